/**
 * One schema for every config var. Each var is declared once in `VARS` with its legacy names,
 * its zod parser (whose messages say what is wrong), a good example, and whether it is a secret.
 * `parseConfig` reads an environment (process env, or ENV_DIR at build time), resolves legacy
 * names, and returns typed settings or a `config-invalid` problem listing every bad var.
 * Values are never echoed in messages: some of them are secrets.
 */
import { z } from 'zod';
import { fail, type ConfigIssue } from '../errors.js';

export type Env = Record<string, string | undefined>;

interface VarSpec<T extends z.ZodType> {
  schema: T;
  example: string;
  legacy?: string[];
  secret?: boolean;
  /** when: build (bin/compile) or run (dyno start) */
  phase: 'build' | 'run';
  doc: string;
}

const spec = <T extends z.ZodType>(s: VarSpec<T>) => s;

const urlOf = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine((v) => {
      try {
        const u = new URL(v);
        return protocols.includes(u.protocol);
      } catch {
        return false;
      }
    }, `must be a ${protocols.map((p) => p.replace(':', '')).join(', ')} URL`);

const boolish = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'].includes(v), 'must be true or false')
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

const intIn = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);

export const VARS = {
  SPARK_MIRROR_URL: spec({
    phase: 'build',
    doc: "base URL(s), comma-separated, laid out like Apache's archive (<base>/spark-X/<file>)",
    example: 'SPARK_MIRROR_URL=https://archive.apache.org/dist/spark',
    schema: z
      .string()
      .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
      .pipe(z.array(urlOf(['http:', 'https:', 'file:'])).min(1, 'must list at least one URL'))
      .transform((list) => list.map((u) => u.replace(/\/+$/, ''))),
  }),
  SPARK_DIST_URL: spec({
    phase: 'build',
    doc: 'exact URL of a custom distribution tarball (overrides the version lookup)',
    example: 'SPARK_DIST_URL=https://example.com/spark-1.6.2-bin-custom.tgz',
    schema: urlOf(['http:', 'https:', 'file:']),
  }),
  SPARK_DIST_SHA512: spec({
    phase: 'build',
    doc: 'expected SHA-512 of SPARK_DIST_URL (else the .sha512 published beside it)',
    example: 'SPARK_DIST_SHA512=8883c67e0a13…2101319 (128 hex characters)',
    schema: z
      .string()
      .transform((v) => v.replace(/\s+/g, '').toLowerCase())
      .refine((v) => /^[0-9a-f]*$/.test(v), 'must be hexadecimal (0-9, a-f)')
      .refine((v) => v.length === 128, 'must be 128 hex characters (a SHA-512)'),
  }),
  SPARK_PACKAGE: spec({
    phase: 'build',
    doc: 'distribution flavour: hadoop3, hadoop3-scala2.13 (3.5), hadoop3-connect (4.x), without-hadoop',
    example: 'SPARK_PACKAGE=hadoop3',
    schema: z.string().trim().regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be a flavour name such as hadoop3'),
  }),
  MAVEN_MIRROR_URL: spec({
    phase: 'build',
    doc: 'Maven-layout base URL for extra jars (default: the resolver’s own, Maven Central)',
    example: 'MAVEN_MIRROR_URL=https://maven.example.com/releases',
    schema: urlOf(['http:', 'https:', 'file:']).transform((u) => u.replace(/\/+$/, '')),
  }),
  SPARK_S3A: spec({
    phase: 'build',
    doc: 'install the S3A connector jars: auto (when S3 vars are set), true, false',
    example: 'SPARK_S3A=auto',
    schema: z.enum(['auto', 'true', 'false'], { message: 'must be auto, true or false' }),
  }),
  SPARK_DOWNLOAD_RETRIES: spec({
    phase: 'build',
    doc: 'retries per mirror after a network error (backoff doubles from 1 s)',
    example: 'SPARK_DOWNLOAD_RETRIES=3',
    schema: intIn(0, 10),
  }),
  SPARK_DOWNLOAD_TIMEOUT: spec({
    phase: 'build',
    doc: 'seconds without a byte before a download attempt is abandoned and retried',
    example: 'SPARK_DOWNLOAD_TIMEOUT=60',
    schema: intIn(1, 3600),
  }),
  SPARK_CATALOG: spec({
    phase: 'build',
    doc: 'JSON file (relative to the app) adding releases or pinning checksums in the catalog',
    example: 'SPARK_CATALOG=spark-catalog.json',
    schema: z.string().trim().min(1, 'must be a file path'),
  }),
  SPARK_SKIP_JAVA_CHECK: spec({
    phase: 'build',
    doc: 'skip the build-time Spark/Java compatibility check',
    example: 'SPARK_SKIP_JAVA_CHECK=false',
    schema: boolish,
  }),
} satisfies Record<string, VarSpec<z.ZodType>>;

export type VarName = keyof typeof VARS;
type Out<N extends VarName> = z.output<(typeof VARS)[N]['schema']>;
export type Settings = { [N in VarName]?: Out<N> };

/** Reads a var by its name, then its legacy names. An empty value counts as unset. */
export function lookup(env: Env, name: VarName): { value: string; from: string } | undefined {
  const v = VARS[name] as VarSpec<z.ZodType>;
  for (const key of [name, ...(v.legacy ?? [])]) {
    const value = env[key];
    if (value !== undefined && value !== '') return { value, from: key };
  }
  return undefined;
}

/** Parses the vars of one phase (or all); collects every problem before failing. */
export function parseConfig(env: Env, phase?: 'build' | 'run'): Settings {
  const out: Record<string, unknown> = {};
  const issues: ConfigIssue[] = [];
  for (const [name, raw] of Object.entries(VARS) as [VarName, VarSpec<z.ZodType>][]) {
    if (phase && raw.phase !== phase) continue;
    const found = lookup(env, name);
    if (!found) continue;
    const r = raw.schema.safeParse(found.value);
    if (r.success) out[name] = r.data;
    else
      issues.push({
        name: found.from === name ? name : `${found.from} (read as ${name})`,
        problem: r.error.issues.map((i) => i.message).join('; '),
        example: raw.example,
      });
  }
  if (issues.length) fail({ code: 'config-invalid', issues });
  return out as Settings;
}
