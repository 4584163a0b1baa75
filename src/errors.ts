/**
 * Every failure the product reports is a typed value (`Problem`); `describe` turns it into the
 * words a user reads. This is the one place where messages are written, so a newcomer finds every
 * error text here and tests can assert on `code` instead of prose.
 */
export type Problem =
  | { code: 'version-malformed'; value: string; supported: string[] }
  | { code: 'version-unknown'; requested: string; supported: string[] }
  | { code: 'version-needs-dist-url'; version: string; reason: string }
  | { code: 'package-unavailable'; version: string; pkg: string; available: string[] }
  | { code: 'config-invalid'; issues: ConfigIssue[] }
  | { code: 'catalog-invalid'; file: string; problem: string }
  | { code: 'download-failed'; what: string; attempts: Attempt[] }
  | { code: 'checksum-mismatch'; url: string; algorithm: string; expected: string; actual: string; source: string }
  | { code: 'checksum-file-invalid'; url: string; problem: string }
  | { code: 'tarball-invalid'; url: string; reason: string }
  | { code: 'cache-unusable'; dir: string; cause: string }
  | { code: 'dir-unusable'; role: string; dir: string; cause: string }
  | { code: 'disk-full'; dir: string }
  | { code: 'java-incompatible'; spark: string; java: number; supported: string; fix: string }
  | { code: 's3a-no-hadoop'; why: string }
  | { code: 's3a-needs-java'; java: string; what?: string; fix?: string }
  | { code: 's3a-resolve-failed'; what: string; repository: string; lines: string[]; fix?: string }
  | { code: 'bad-input'; message: string }
  | { code: 'app-incomplete'; message: string }
  | { code: 'space-not-running'; message: string }
  | { code: 'port-in-use'; message: string }
  | { code: 'spark-unfit'; message: string }
  | { code: 'host-unfit'; message: string }
  | { code: 'heroku-no-token'; host: string }
  | { code: 'heroku-api'; what: string; status: number; id?: string; message: string; hint?: string; unsure?: boolean }
  | { code: 'dyno-size-unknown'; size: string; known: string[] }
  | { code: 'space-no-dns'; space: string; why: string }
  | { code: 'deploy-failed'; app: string; what: string; lines: string[]; cleanup: string }
  | { code: 'cluster-unhealthy'; app: string; problems: string[] }
  | { code: 'heroku-cli-missing'; command: string }
  | { code: 'slug-too-large'; estimate: string[]; advice: string[] }
  | { code: 'feature-left-out'; tool: string; message: string }
  | { code: 'job-unknown'; id: string; where: string; hint: string }
  | { code: 'proxy-refused'; proxy: string; why: string }
  | { code: 'kill-failed'; id: string; state: string; why: string }
  | { code: 'driver-ended'; id: string; state: DriverEnd; logs: string }
  | { code: 'metastore-database'; name: string; why: string; fix: string };

/** How a cluster-mode driver can end (Spark's DriverState; LOST: the masters no longer know it), and `submit --wait`'s exit code for each. */
export const DRIVER_END_EXIT = { FINISHED: 0, FAILED: 20, KILLED: 21, ERROR: 22, LOST: 23 } as const;
export type DriverEnd = keyof typeof DRIVER_END_EXIT;

/**
 * The exit codes of the CLI and the entry points, with what each means: docs/exit-codes.md is generated from it
 * (src/docs/reference.ts), and each command's `--help` prints its own rows (EXIT_REACH).
 */
export const EXIT_CODES: [number, string][] = [
  [0, 'success (`status`: healthy)'],
  [1, 'the build failed, a config var is invalid or missing, or an unexpected failure'],
  [2, 'bad input: an option, an argument, a confirmation, an app.json Heroku would refuse'],
  [3, 'no Heroku token, or the Platform API refused it (401/403)'],
  [4, 'the app, space or build does not exist (404)'],
  [5, 'the Platform API rejected the request (422)'],
  [6, 'the Platform API did not answer, or kept failing (network, 429 and 5xx after 6 tries)'],
  [7, 'the deploy failed (build or app setup)'],
  [8, 'the cluster is unhealthy (`status`, `local scale`, `local up --detach`)'],
  [9, 'the space has no DNS service discovery'],
  [10, '`shell`/`submit`: the heroku CLI is not installed'],
  [11, 'the dyno size does not exist'],
  [12, 'the app lacks what the command needs (a Procfile or one of its process types)'],
  [13, 'no local space runs for the app, or it does not answer'],
  [14, 'an address or port the local space needs is in use'],
  [15, 'the Spark installation lacks what is asked (SPARK_HOME, a jar, a part SPARK_SLIM left out)'],
  [16, 'this machine or dyno lacks what the process needs, or a tool it runs failed (nginx, openssl)'],
  [17, '`apps`/`drivers`/`kill`/`logs`: no application or driver has that id on the leading master'],
  [18, 'the space proxy refused the password (HTTP 401), or answered what is not a Spark master'],
  [19, '`kill`: the application or driver did not end KILLED (it had already ended, or the master did not act)'],
  [20, '`submit --wait`: the driver ended FAILED (it threw, or exited non-zero)'],
  [21, '`submit --wait`: the driver ended KILLED'],
  [22, '`submit --wait`: the driver ended ERROR (it could not be launched)'],
  [23, '`submit --wait`: the driver was LOST (no master knows it any more, or its state is UNKNOWN)'],
  [24, "the metastore's database cannot be used: unreachable, credentials refused, not PostgreSQL, or another Hive version's schema"],
];

/** Each kind of problem's exit code (heroku-api: by the HTTP status, see `exitCodeOf`). */
export const PROBLEM_EXIT: Record<Problem['code'], number> = {
  'version-malformed': 1,
  'version-unknown': 1,
  'version-needs-dist-url': 1,
  'package-unavailable': 1,
  'config-invalid': 1,
  'catalog-invalid': 1,
  'download-failed': 1,
  'checksum-mismatch': 1,
  'checksum-file-invalid': 1,
  'tarball-invalid': 1,
  'cache-unusable': 1,
  'dir-unusable': 1,
  'disk-full': 1,
  'java-incompatible': 1,
  's3a-no-hadoop': 1,
  's3a-needs-java': 1,
  's3a-resolve-failed': 1,
  'slug-too-large': 1,
  'bad-input': 2,
  'heroku-no-token': 3,
  'heroku-api': 6,
  'deploy-failed': 7,
  'cluster-unhealthy': 8,
  'space-no-dns': 9,
  'heroku-cli-missing': 10,
  'dyno-size-unknown': 11,
  'app-incomplete': 12,
  'space-not-running': 13,
  'port-in-use': 14,
  'spark-unfit': 15,
  'feature-left-out': 15,
  'host-unfit': 16,
  'job-unknown': 17,
  'proxy-refused': 18,
  'kill-failed': 19,
  'driver-ended': 20,
  'metastore-database': 24,
};

/** The exit code of a problem: scripts tell a wrong token from a missing app from a failed build without reading prose. */
export function exitCodeOf(p: Problem): number {
  if (p.code === 'heroku-api') {
    if (p.status === 401 || p.status === 403) return 3;
    if (p.status === 404) return 4;
    if (p.status === 422 || p.status === 400 || p.status === 409) return 5;
    return 6; // 0 (no answer), 429 and 5xx after the retries
  }
  if (p.code === 'driver-ended') return DRIVER_END_EXIT[p.state];
  return PROBLEM_EXIT[p.code];
}

/** The exit-code table in Markdown (test/unit/errors.test.ts finds each row in docs/exit-codes.md). */
export const exitCodesMarkdown = () => ['| code | meaning |', '| --- | --- |', ...EXIT_CODES.map(([c, w]) => `| ${c} | ${w} |`)].join('\n');

/**
 * What a command's work may fail on, each with the exit codes it leads to (rows of EXIT_CODES): a
 * command names its reaches, and its --help lists 0, 2 (bad input) and theirs, not all 25.
 */
export const EXIT_REACH = {
  /** config vars, a build, or an unexpected failure */
  config: [1],
  'platform-api': [3, 4, 5, 6],
  deploy: [7],
  /** a master is asked: none ALIVE is unhealthy */
  health: [8],
  'space-dns': [9],
  'heroku-cli': [10],
  'dyno-size': [11],
  'app-files': [12],
  'local-space': [13],
  ports: [14],
  spark: [15],
  host: [16],
  job: [17],
  proxy: [18],
  kill: [19],
  'driver-end': [20, 21, 22, 23],
  metastore: [24],
} as const satisfies Record<string, readonly number[]>;
export type ExitReach = keyof typeof EXIT_REACH;

/** Pure: the exit codes a command with these reaches can return: 0, 2 and theirs, in order. */
export const exitCodesFor = (reaches: readonly ExitReach[]): number[] => [...new Set([0, 2, ...reaches.flatMap((r) => EXIT_REACH[r])])].sort((a, b) => a - b);

/** --help's exit codes: the command's own (from its reaches), then where the full list is. */
export const exitCodesHelp = (reaches: readonly ExitReach[]) => {
  const codes = new Set(exitCodesFor(reaches));
  const rows = EXIT_CODES.filter(([c]) => codes.has(c));
  return `\nExit codes:\n${rows.map(([c, w]) => `  ${String(c).padEnd(3)} ${w.replace(/`/g, '')}`).join('\n')}\n  (every code: docs/exit-codes.md)\n`;
};

export interface ConfigIssue {
  /** the config var (or file) at fault */
  name: string;
  /** what is wrong, without echoing a secret value */
  problem: string;
  /** a good value, e.g. `SPARK_MIRROR_URL=https://mirror.example.org/spark` */
  example: string;
}

export interface Attempt {
  url: string;
  cause: string;
}

export class SparkInSpaceError extends Error {
  constructor(readonly problem: Problem) {
    super(describe(problem).join('\n'));
    this.name = 'SparkInSpaceError';
  }
}

export function fail(problem: Problem): never {
  throw new SparkInSpaceError(problem);
}

export function isProblem(err: unknown, code?: Problem['code']): err is SparkInSpaceError {
  return err instanceof SparkInSpaceError && (code === undefined || err.problem.code === code);
}

const short = (hex: string) => (hex.length > 24 ? `${hex.slice(0, 16)}…${hex.slice(-8)}` : hex);

/** The user-facing text of a problem: first line a summary, then details. */
export function describe(p: Problem): string[] {
  switch (p.code) {
    case 'version-malformed':
      return [
        `.spark.version holds "${p.value}", which is not a Spark version.`,
        'Write one version on one line: an exact release (e.g. 3.5.9) or a line (e.g. 4.2 for its newest patch).',
        `Supported: ${p.supported.join(', ')}`,
      ];
    case 'version-unknown':
      return [`Spark ${p.requested} is not in the catalog.`, `Supported: ${p.supported.join(', ')}`, 'For another build, set SPARK_DIST_URL to its tarball (and SPARK_DIST_SHA512 to its checksum).'];
    case 'version-needs-dist-url':
      return [
        `Spark ${p.version} cannot be downloaded from Apache: ${p.reason}`,
        `Set SPARK_DIST_URL to the tarball you built (heroku config:set SPARK_DIST_URL=https://example.com/spark-${p.version}.tgz) and SPARK_DIST_SHA512 to its checksum.`,
      ];
    case 'package-unavailable':
      return [`SPARK_PACKAGE=${p.pkg} is not published for Spark ${p.version}.`, `Available for ${p.version}: ${p.available.join(', ')} (example: SPARK_PACKAGE=${p.available[0] ?? 'hadoop3'})`];
    case 'config-invalid':
      return [p.issues.length === 1 ? 'A config var is invalid:' : `${p.issues.length} config vars are invalid:`, ...p.issues.map((i) => `${i.name}: ${i.problem} (example: ${i.example})`)];
    case 'catalog-invalid':
      return [`The catalog file ${p.file} is invalid: ${p.problem}`];
    case 'download-failed':
      return [`Could not download ${p.what}.`, ...p.attempts.map((a) => `${a.url}: ${a.cause}`)];
    case 'checksum-mismatch':
      return [
        `Checksum mismatch for ${p.url}: the file is corrupt or has been tampered with.`,
        `Expected ${p.algorithm} ${short(p.expected)} (${p.source}), got ${short(p.actual)}.`,
        'Nothing was installed or cached.',
      ];
    case 'checksum-file-invalid':
      return [`The checksum file ${p.url} is not usable: ${p.problem}`];
    case 'tarball-invalid':
      return [`The Spark tarball from ${p.url} is not a valid distribution: ${p.reason}`, 'Nothing was installed or cached.'];
    case 'cache-unusable':
      return [`The build cache ${p.dir || '(empty path)'} is not usable: ${p.cause}`];
    case 'dir-unusable':
      return [`The ${p.role} ${p.dir || '(empty path)'} is not usable: ${p.cause}`];
    case 'disk-full':
      return [`No space left on the device holding ${p.dir}. Nothing was installed or cached.`];
    case 'java-incompatible':
      return [
        `Spark ${p.spark} does not run on Java ${p.java}; it needs Java ${p.supported}.`,
        `Fix: put this line in system.properties at the root of your app: ${p.fix}`,
        'Or set SPARK_SKIP_JAVA_CHECK=true if you know better.',
      ];
    case 's3a-no-hadoop':
      return [
        `The S3A connector is wanted (${p.why}), but this Spark distribution carries no Hadoop (no jars/hadoop-client-api-*.jar).`,
        'Use a distribution with Hadoop (SPARK_PACKAGE=hadoop3), or set SPARK_S3A=false.',
      ];
    case 's3a-needs-java':
      return [
        `Installing ${p.what ?? 'the S3A connector'} needs Java at build time to resolve its jars, and ${p.java} was not found.`,
        `Add the JVM buildpack before this one (heroku buildpacks:add --index 1 heroku/jvm)${p.fix ?? ', or set SPARK_S3A=false'}.`,
      ];
    case 's3a-resolve-failed':
      return [
        `Could not resolve ${p.what} from ${p.repository}.`,
        ...p.lines,
        p.fix ?? 'Nothing was installed, and no connector was cached. Set MAVEN_MIRROR_URL to a reachable Maven-layout repository, or SPARK_S3A=false to build without S3.',
      ];
    case 'bad-input':
    case 'app-incomplete':
    case 'space-not-running':
    case 'port-in-use':
    case 'spark-unfit':
    case 'host-unfit':
      return [p.message];
    case 'heroku-no-token':
      return ['No Heroku API token.', `Set HEROKU_API_KEY (e.g. HEROKU_API_KEY=$(heroku auth:token)), or log in with the heroku CLI (heroku login) so that ~/.netrc has machine ${p.host}.`];
    case 'heroku-api': {
      const why = p.status === 0 ? `no answer from the Platform API (${p.message})` : `HTTP ${p.status}${p.id ? ` ${p.id}` : ''}: ${p.message}`;
      const fix =
        p.status === 401
          ? 'The token was refused: check HEROKU_API_KEY or log in again (heroku login).'
          : p.status === 403
            ? 'The token’s account may not do this: ask the team admin for the deploy/operate permission.'
            : undefined;
      return [`Could not ${p.what}: ${why}${/[.!?]$/.test(why) ? '' : '.'}`, ...(fix ? [fix] : []), ...(p.hint ? [p.hint] : [])];
    }
    case 'dyno-size-unknown':
      return [`There is no dyno size "${p.size}".`, `Private Space sizes: ${p.known.join(', ')} (example: --worker-size private-l)`];
    case 'space-no-dns':
      return [`The space ${p.space} cannot run a Spark cluster: ${p.why}`, 'Spark’s workers find the masters by DNS name (<n>.master.<app>.app.localspace): use a Cedar Private Space.'];
    case 'deploy-failed':
      return [`The deploy of ${p.app} failed: ${p.what}.`, ...p.lines, p.cleanup];
    case 'cluster-unhealthy':
      return [`The cluster ${p.app} is unhealthy:`, ...p.problems.map((x) => `- ${x}`)];
    case 'feature-left-out':
      return [p.message];
    case 'slug-too-large':
      return [
        'The slug would be too large for Heroku (it refuses slugs over 1 GB compressed): the build stops here, before Heroku refuses it.',
        ...p.estimate,
        ...(p.advice.length ? ['What to drop:', ...p.advice.map((a) => `- ${a}`)] : []),
      ];
    case 'job-unknown':
      return [`No application or driver ${p.id} on ${p.where}.`, p.hint];
    case 'proxy-refused':
      return [
        `The space proxy ${p.proxy} ${p.why}.`,
        'Set SPACE_PROXY_PASSWORD in your shell to the password of the user spark (the app’s SPACE_PROXY_PASSWORD, or the one in SPACE_PROXY_BASIC_AUTH).',
      ];
    case 'kill-failed':
      return [`${p.id} was not killed: ${p.why} (its state: ${p.state}).`];
    case 'driver-ended':
      return [`The driver ${p.id} ended ${p.state}${p.state === 'FINISHED' ? '' : ` (exit code ${DRIVER_END_EXIT[p.state]})`}.`, `Its log: ${p.logs}`];
    case 'metastore-database':
      return [`The metastore's database (${p.name}) ${p.why}.`, p.fix];
    case 'heroku-cli-missing':
      return [`\`${p.command}\` runs in a one-off dyno through the heroku CLI, which is not on PATH.`, 'Install it (npm install -g heroku), log in (heroku login), and run this again.'];
  }
}

/** Maps low-level Node errors (ENOSPC, EACCES, EROFS, ...) to problems about a directory. */
export function fsProblem(err: unknown, role: string, dir: string): Problem | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return { code: 'disk-full', dir };
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return role === 'cache'
      ? { code: 'cache-unusable', dir, cause: 'it is not writable (read-only or wrong permissions)' }
      : { code: 'dir-unusable', role, dir, cause: 'it is not writable (read-only or wrong permissions)' };
  return undefined;
}
