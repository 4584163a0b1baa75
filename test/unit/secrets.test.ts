/**
 * The secrets table (src/secrets.ts): every secret var of the schema is in exactly one kind, each
 * process keeps only what its row allows, and copies of a secret under other names go with it.
 * The launchers that apply it: test/integration/secrets.test.ts; real JVMs: test/e2e/metastore.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, VARS } from '../../src/config/schema.js';
import { DYNO_TYPES } from '../../src/process-types.js';
import { PROCESS_TYPES } from '../../src/launch/index.js';
import { allowedEnv, execAs, kindOf, SECRET_KINDS, SECRETS_OF, secretsToDrop, WITHHELD_VAR } from '../../src/secrets.js';

const TOKEN = 'HRKU-0123456789abcdef0123456789abcdef';
const DB = 'postgres://u:p4ssw0rd-long@db.example:5432/meta';
const EVERY_SECRET = {
  SPARK_HEROKU_ACCESS_TOKEN: TOKEN,
  SPARK_METASTORE_DATABASE_URL: DB,
  DATABASE_URL: DB,
  HEROKU_POSTGRESQL_PINK_URL: DB,
  SPACE_PROXY_PASSWORD: 'proxy-password-123',
  SPARK_CONNECT_TOKEN: 'connect-token-0123456789',
  SPARK_CONNECT_AUTHENTICATE_TOKEN: 'connect-token-0123456789',
  SPARK_CONNECT_TLS_KEY: '-----BEGIN PRIVATE KEY-----x-----END PRIVATE KEY-----',
  SPARK_S3_AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE123',
  SPARK_S3_AWS_SECRET_ACCESS_KEY: 's3-secret-key-abcdef',
  AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE123',
  AWS_SECRET_ACCESS_KEY: 's3-secret-key-abcdef',
  SPARK_AUTH_SECRET: 'cluster-secret-0123456789abcdef',
  // the token copied under a name of the app's own, and an innocent var
  MY_OWN_COPY: TOKEN,
  SPARK_WORKER_CORES: '4',
};

describe('the secrets table', () => {
  it('every secret var of the schema (and its legacy names) is in exactly one kind', () => {
    for (const [name, v] of Object.entries(VARS) as [string, { secret?: boolean; legacy?: string[] }][]) {
      if (!v.secret) continue;
      for (const n of [name, ...(v.legacy ?? [])]) {
        const kinds = Object.entries(SECRET_KINDS).filter(([, k]) => (k.vars as readonly string[]).includes(n));
        expect(kinds.length, `${n}: add it to one kind of SECRET_KINDS in src/secrets.ts`).toBe(1);
      }
    }
    // and no kind names a var the schema would not call secret (ours), except well-known outside names
    const outside = ['HEROKU_API_KEY', 'SPARK_CONNECT_AUTHENTICATE_TOKEN', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN'];
    const legacyOf = Object.values(VARS).flatMap((v) => ((v as { legacy?: string[] }).legacy ?? []) as string[]);
    for (const k of Object.values(SECRET_KINDS))
      for (const n of k.vars) if (!outside.includes(n)) expect((VARS as Record<string, { secret?: boolean }>)[n]?.secret || legacyOf.includes(n), n).toBeTruthy();
  });

  it('every launch type, the web dyno and the sidecars have a row', () => {
    for (const t of [...DYNO_TYPES, ...PROCESS_TYPES, 'autoscale', 'graceful-cycling', 'cluster-driver', 'eventlog-dir']) expect(SECRETS_OF[t as keyof typeof SECRETS_OF], t).toBeDefined();
  });

  it('the Platform API token reaches only the sidecars that call the Platform API (and the operator’s own one-off processes)', () => {
    const holders = Object.entries(SECRETS_OF).filter(([h]) => !secretsToDrop(h as keyof typeof SECRETS_OF, EVERY_SECRET).includes('SPARK_HEROKU_ACCESS_TOKEN'));
    expect(holders.map(([h]) => h).sort()).toEqual(['autoscale', 'graceful-cycling', 'spark-shell', 'spark-submit']);
  });

  it('secret_table_rows: what each process keeps of a dyno holding every secret', () => {
    const kept = (h: keyof typeof SECRETS_OF) => {
      const drop = secretsToDrop(h, EVERY_SECRET);
      return Object.keys(EVERY_SECRET)
        .filter((k) => !drop.includes(k) && kindOf(k))
        .sort();
    };
    const aws = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'];
    expect(kept('master')).toEqual([]);
    expect(kept('zookeeper')).toEqual([]);
    for (const h of ['worker', 'history', 'thrift', 'metastore', 'console', 'cluster-driver', 'eventlog-dir'] as const) expect(kept(h), h).toEqual(aws);
    expect(kept('connect')).toEqual([...aws, 'SPARK_CONNECT_AUTHENTICATE_TOKEN', 'SPARK_CONNECT_TOKEN'].sort());
    expect(kept('web')).toEqual(['SPACE_PROXY_PASSWORD']);
    expect(kept('autoscale')).toEqual(['SPARK_HEROKU_ACCESS_TOKEN']);
    expect(kept('spark-shell')).toEqual(
      Object.keys(EVERY_SECRET)
        .filter((k) => kindOf(k))
        .sort(),
    );
  });

  it('a copy of a dropped secret under another name goes too (by value); innocent vars stay', () => {
    const env = allowedEnv('thrift', EVERY_SECRET);
    expect(env.MY_OWN_COPY).toBeUndefined();
    expect(env.HEROKU_POSTGRESQL_PINK_URL).toBeUndefined();
    expect(env.SPARK_WORKER_CORES).toBe('4');
    // a short value is no secret's copy: `true` in another var stays
    expect(secretsToDrop('thrift', { SPARK_AUTH_SECRET: 'true', OTHER: 'true' })).toEqual(['SPARK_AUTH_SECRET']);
    // the autoscaler keeps the token and the copy of it
    expect(allowedEnv('autoscale', EVERY_SECRET).MY_OWN_COPY).toBe(TOKEN);
  });

  it('execAs: env -u for each dropped name, the withheld names (never values) for the process’s own config checks', () => {
    const argv = execAs('master', EVERY_SECRET, ['spark-class', 'Master']);
    expect(argv[0]).toBe('env');
    expect(argv.slice(-2)).toEqual(['spark-class', 'Master']);
    const unset = argv.flatMap((a, i) => (argv[i - 1] === '-u' ? [a] : []));
    expect(unset).toEqual(secretsToDrop('master', EVERY_SECRET));
    const withheld = argv.find((a) => a.startsWith(`${WITHHELD_VAR}=`))!;
    expect(withheld.split('=')[1]!.split(' ')).toEqual(unset);
    for (const v of Object.values(EVERY_SECRET)) if (v.length > 8) expect(argv.join(' ')).not.toContain(v);
    // nothing to drop: the argv as it is
    expect(execAs('master', { SPARK_WORKER_CORES: '2' }, ['x'])).toEqual(['x']);
    expect(execAs('spark-shell', EVERY_SECRET, ['x'])).toEqual(['x']);
  });

  it('a withheld secret counts as set for the config checks of what runs without it (the proxy, sidecars)', () => {
    const env = { SPARK_REVERSE_PROXY_URL: 'https://x.herokuapp.com' };
    expect(() => parseConfig(env, 'run')).toThrow();
    expect(() => parseConfig({ ...env, [WITHHELD_VAR]: 'SPARK_AUTH_SECRET' }, 'run')).not.toThrow();
    expect(() => parseConfig({ [WITHHELD_VAR]: 'SPARK_CONNECT_TOKEN' }, 'run', { processes: ['connect'] })).not.toThrow();
  });
});
