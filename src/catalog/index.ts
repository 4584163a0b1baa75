import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { fail } from '../errors.js';
import { RELEASES, type Pin, type Release } from './data.js';

export type { Pin, Release } from './data.js';
export { APACHE_MIRRORS } from './data.js';

export interface Catalog {
  releases: Release[];
}

export interface Resolved {
  release: Release;
  /** flavour, e.g. `hadoop3` */
  pkg: string;
  /** tarball file name */
  file: string;
  pin?: Pin;
}

const VERSION = /^\d+\.\d+\.\d+(?:_[a-z0-9_.]+)?$/;
const LINE = /^\d+\.\d+$/;

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[._]/).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const pb = b.split(/[._]/).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

export const builtinCatalog = (): Catalog => ({ releases: RELEASES });

/** The newest release with a pinned checksum: what an app without `.spark.version` gets. */
export function defaultRelease(catalog: Catalog): Release {
  const pinned = catalog.releases.filter((r) => Object.keys(r.pinned).length > 0 && !r.needsDistUrl);
  const newest = pinned.sort((a, b) => compareVersions(b.version, a.version))[0];
  if (!newest) throw new Error('catalog has no pinned release');
  return newest;
}

/** Versions for error messages: legacy ones in full, modern lines as ranges. */
export function supportedList(catalog: Catalog): string[] {
  const byLine = new Map<string, Release[]>();
  for (const r of [...catalog.releases].sort((a, b) => compareVersions(a.version, b.version))) {
    const list = byLine.get(r.line) ?? [];
    list.push(r);
    byLine.set(r.line, list);
  }
  const out: string[] = [];
  for (const [line, rs] of byLine) {
    if (rs.length > 2 && rs.every((r) => !r.needsDistUrl)) {
      out.push(`${rs[0]!.version}–${rs[rs.length - 1]!.version} (or ${line})`);
    } else {
      out.push(...rs.map((r) => r.version));
    }
  }
  return out;
}

/** Parses the content of `.spark.version`: one version, comments (`#`) and blank lines ignored. */
export function parseVersionFile(content: string | undefined, catalog: Catalog): string | undefined {
  if (content === undefined) return undefined;
  const lines = content
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l.length > 0);
  if (lines.length === 0) return undefined;
  const [value] = lines;
  if (lines.length > 1 || !value || !(VERSION.test(value) || LINE.test(value))) {
    fail({ code: 'version-malformed', value: lines.join(' ').slice(0, 60), supported: supportedList(catalog) });
  }
  return value;
}

export function findRelease(catalog: Catalog, requested: string | undefined): Release {
  if (requested === undefined) return defaultRelease(catalog);
  const exact = catalog.releases.find((r) => r.version === requested);
  if (exact) return exact;
  if (LINE.test(requested)) {
    const newest = catalog.releases.filter((r) => r.line === requested && !r.needsDistUrl).sort((a, b) => compareVersions(b.version, a.version))[0];
    if (newest) return newest;
  }
  return newerRelease(catalog, requested) ?? fail({ code: 'version-unknown', requested, supported: supportedList(catalog) });
}

/**
 * Pure: a release Apache published after this catalog was written. An exact `X.Y.Z` newer than
 * every known patch of its line inherits that line's facts; one of a line newer than every known
 * line (4.4.0, 5.0.0) inherits the newest line's. Its file names follow the template's, it is
 * looked for at the current mirrors first, and with no pin its tarball is checked against the
 * `.sha512` published beside it. An older unknown line (3.4.1) stays unknown: its facts differ.
 */
export function newerRelease(catalog: Catalog, version: string): Release | undefined {
  if (!/^\d+\.\d+\.\d+$/.test(version)) return undefined;
  const line = version.split('.').slice(0, 2).join('.');
  const known = catalog.releases.filter((r) => !r.needsDistUrl && /^\d+\.\d+\.\d+$/.test(r.version));
  const newestOf = (rs: Release[]) => [...rs].sort((a, b) => compareVersions(b.version, a.version))[0];
  const ofLine = newestOf(known.filter((r) => r.line === line));
  const newestLine = newestOf(known);
  const template = ofLine ?? (newestLine && compareVersions(line, newestLine.line) > 0 ? newestLine : undefined);
  if (!template || compareVersions(version, template.version) <= 0) return undefined;
  return {
    ...template,
    version,
    line,
    packages: Object.fromEntries(Object.entries(template.packages).map(([k, v]) => [k, v.replaceAll(template.version, version)])),
    pinned: {},
    archiveOnly: false,
    inferredFrom: ofLine ? `the ${line} line (${template.version})` : `the newest line this catalog knows, ${template.line} (${template.version})`,
  };
}

/**
 * Resolves `.spark.version` (+ SPARK_PACKAGE) to a tarball. `pkg` undefined means the release's
 * default flavour. A custom distribution (SPARK_DIST_URL) skips the package check.
 */
export function resolve(catalog: Catalog, requested: string | undefined, pkg: string | undefined, custom = false): Resolved {
  const release = findRelease(catalog, requested);
  if (custom) return { release, pkg: pkg ?? release.defaultPackage, file: '' };
  if (release.needsDistUrl) fail({ code: 'version-needs-dist-url', version: release.version, reason: release.needsDistUrl });
  const flavour = pkg ?? release.defaultPackage;
  const file = release.packages[flavour];
  if (!file) {
    fail({ code: 'package-unavailable', version: release.version, pkg: flavour, available: Object.keys(release.packages) });
  }
  return { release, pkg: flavour, file, pin: release.pinned[flavour] };
}

// ---- catalog overrides (SPARK_CATALOG): add a release before we ship it, or pin your own checksums

const hex = (n: number) =>
  z
    .string()
    .regex(new RegExp(`^[0-9a-fA-F]{${n}}$`), `must be ${n} hex characters`)
    .transform((s) => s.toLowerCase());
const PinSchema = z.object({ sha256: hex(64).optional(), sha512: hex(128).optional() }).strict();
const OverrideSchema = z
  .object({
    version: z.string().regex(VERSION, 'must be an exact version such as 4.2.1'),
    scala: z.string().optional(),
    hadoop: z.string().optional(),
    java: z.object({ min: z.number().int(), max: z.number().int() }).optional(),
    log4j: z.union([z.literal(1), z.literal(2)]).optional(),
    packages: z.record(z.string(), z.string().regex(/^[\w.+-]+\.(tgz|tar\.gz)$/, 'must be a .tgz file name')).optional(),
    defaultPackage: z.string().optional(),
    pinned: z.record(z.string(), PinSchema).optional(),
    archiveOnly: z.boolean().optional(),
  })
  .strict();
const CatalogFileSchema = z.object({ releases: z.array(OverrideSchema) }).strict();

export function withOverrides(base: Catalog, file: string): Catalog {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return fail({ code: 'catalog-invalid', file, problem: (err as Error).message });
  }
  const parsed = CatalogFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return fail({ code: 'catalog-invalid', file, problem: `${issue.path.join('.') || '(root)'} ${issue.message}` });
  }
  const releases = [...base.releases];
  for (const o of parsed.data.releases) {
    const i = releases.findIndex((r) => r.version === o.version);
    const line = o.version.split('.').slice(0, 2).join('.');
    const template = i >= 0 ? releases[i]! : releases.filter((r) => r.line === line && !r.needsDistUrl).sort((a, b) => compareVersions(b.version, a.version))[0];
    if (!template && !o.packages) {
      return fail({ code: 'catalog-invalid', file, problem: `${o.version} is a new line: give its "packages"` });
    }
    const renamed = template ? Object.fromEntries(Object.entries(template.packages).map(([k, v]) => [k, v.replaceAll(template.version, o.version)])) : {};
    const merged: Release = {
      version: o.version,
      line,
      scala: o.scala ?? template?.scala ?? '2.13',
      hadoop: o.hadoop ?? template?.hadoop ?? '3',
      java: o.java ?? template?.java ?? { min: 17, max: 21 },
      log4j: o.log4j ?? template?.log4j ?? 2,
      packages: o.packages ?? renamed,
      defaultPackage: o.defaultPackage ?? template?.defaultPackage ?? 'hadoop3',
      pinned: o.pinned ?? (i >= 0 ? template!.pinned : {}),
      archiveOnly: o.archiveOnly ?? (i >= 0 ? template!.archiveOnly : false),
      restOnByDefault: template?.restOnByDefault ?? true,
    };
    if (i >= 0) releases[i] = merged;
    else releases.push(merged);
  }
  return { releases };
}
