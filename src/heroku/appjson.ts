/**
 * app.json as Heroku reads it when an app is created (Dev Center "app.json Schema"): one zod schema
 * of its rules, plus what this project needs of it (every formation type in the Procfile, Private
 * Space sizes, this project's buildpack last). `deploy` checks it before uploading anything; the
 * repository's own app.json is checked by test/unit/heroku.test.ts.
 */
import * as z from 'zod';

const EnvName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'must be an upper-case config var name');
const EnvEntry = z.union([
  z.string(),
  z
    .object({
      description: z.string().optional(),
      value: z.string().optional(),
      required: z.boolean().optional(),
      generator: z.literal('secret', { error: 'the only generator is "secret"' }).optional(),
    })
    .strict(),
]);
export const PRIVATE_SIZES = ['private-s', 'private-m', 'private-l', 'private-l-ram', 'private-xl', 'private-2xl'] as const;
const Size = z.string().refine((s) => (PRIVATE_SIZES as readonly string[]).includes(s.toLowerCase()), `must be a Private Space dyno size: ${PRIVATE_SIZES.join(', ')}`);

export const AppJsonSchema = z
  .object({
    name: z.string().min(1).max(30, 'is at most 30 characters').optional(),
    description: z.string().optional(),
    keywords: z.array(z.string()).optional(),
    website: z.url().optional(),
    repository: z.url().optional(),
    logo: z.url().optional(),
    success_url: z.string().optional(),
    stack: z
      .string()
      .regex(/^heroku-\d+$/, 'must be a stack such as heroku-24')
      .optional(),
    scripts: z.record(z.string(), z.string()).optional(),
    env: z.record(EnvName, EnvEntry).optional(),
    formation: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/, 'must be a process type name'), z.object({ quantity: z.number().int().min(0), size: Size.optional() }).strict()).optional(),
    addons: z.array(z.union([z.string(), z.object({ plan: z.string().min(1), as: EnvName.optional(), options: z.record(z.string(), z.unknown()).optional() }).strict()])).optional(),
    buildpacks: z.array(z.object({ url: z.string().min(1) }).strict()).optional(),
    environments: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type AppJsonFile = z.infer<typeof AppJsonSchema>;

/** Pure: every problem of an app.json for a Spark cluster app, as `path: what` lines (empty: fine). */
export function appJsonProblems(raw: unknown, procfileTypes: string[], buildpackUrl?: string): string[] {
  const parsed = AppJsonSchema.safeParse(raw);
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
  const a = parsed.data;
  const problems: string[] = [];
  for (const type of Object.keys(a.formation ?? {})) if (!procfileTypes.includes(type)) problems.push(`formation.${type}: the Procfile has no "${type}" process type`);
  for (const type of ['master', 'worker']) if (!a.formation?.[type]) problems.push(`formation.${type}: missing (a cluster needs its ${type} dynos)`);
  const urls = (a.buildpacks ?? []).map((b) => b.url);
  if (buildpackUrl && urls.at(-1) !== buildpackUrl) problems.push(`buildpacks: the last one must be this project's buildpack, ${buildpackUrl} (found ${urls.at(-1) ?? 'none'})`);
  const node = urls.indexOf('heroku/nodejs');
  if (buildpackUrl && (node < 0 || node > urls.indexOf(buildpackUrl))) problems.push('buildpacks: heroku/nodejs must come before this buildpack (bin/compile runs on Node.js)');
  const jvm = urls.indexOf('heroku/jvm');
  if (buildpackUrl && (jvm < 0 || jvm > urls.indexOf(buildpackUrl))) problems.push('buildpacks: heroku/jvm must come before this buildpack (Spark runs on its Java)');
  return problems;
}

/** Pure: the Procfile's process types. */
export const procfileTypes = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l) => /^([A-Za-z0-9_-]+):/.exec(l)?.[1])
    .filter((t): t is string => Boolean(t));

/** Pure: the repository URL of package.json (`"repository": "…"` or `{ "url": "git+…" }`), as a buildpack URL. */
export function repositoryUrl(pkg: { repository?: string | { url?: string } }): string | undefined {
  const raw = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  return raw?.replace(/^git\+/, '').replace(/\.git$/, '');
}
