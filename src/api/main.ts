/**
 * The `api` dyno (bin/api): the HTTP API under /api/v1/ on the dyno's private address, port 8998
 * (SPARK_API_PORT). Statements run on the thrift dyno's SQL server, batches on the cluster through
 * its leading master; apps in the space send SPARK_API_TOKEN, browsers and tools outside come
 * through the space proxy (web), which checks its own users. Exits on SIGTERM once requests in
 * flight are answered (10 s at most).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LookupFunction } from 'node:net';
import dns from 'node:dns';
import { parseConfig } from '../config/schema.js';
import { fail } from '../errors.js';
import { handleError } from '../handle-error.js';
import { addressIn, spaceHostsFile, spaceLink } from '../jobs/link.js';
import { dynoLog, launchOutput } from '../log/index.js';
import { parseDatabaseUrl } from '../metastore/parse.js';
import { buildpackFile } from '../paths.js';
import { API_PORT, THRIFT_HTTP_PORT } from '../ports.js';
import { allowedEnv } from '../secrets.js';
import { clusterDomain, masterHosts } from '../space/index.js';
import { hasS3A } from './batches.js';
import { HiveClient } from './hive.js';
import { MemoryStore, PostgresStore, type IdempotencyStore } from './idempotency.js';
import { createApiServer } from './server.js';
import { Statements } from './statements.js';

const say = dynoLog('spark-in-space.api', 'api');

/** A resolver that reads a local space's hosts file (its dynos' names), else the system's. */
function lookupFor(hostsFile: string | undefined): LookupFunction | undefined {
  if (!hostsFile) return undefined;
  return ((host: string, opts: dns.LookupOptions, cb: (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void) => {
    let ip: string | undefined;
    try {
      ip = addressIn(readFileSync(hostsFile, 'utf8'), host);
    } catch {
      /* not there yet */
    }
    if (!ip) return dns.lookup(host, opts, cb as never);
    if (opts?.all) return cb(null, [{ address: ip, family: 4 }]);
    cb(null, ip, 4);
  }) as LookupFunction;
}

async function main(): Promise<void> {
  const env = process.env;
  const settings = parseConfig(env, 'run');
  const token = settings.SPARK_API_TOKEN;
  if (!token)
    fail({
      code: 'config-invalid',
      issues: [
        {
          name: 'SPARK_API_TOKEN',
          problem: 'is not set: the API runs SQL and jobs on the cluster, so it only starts with a token clients must send',
          example: 'SPARK_API_TOKEN=$(openssl rand -hex 32)',
        },
      ],
    });
  const hostsFile = spaceHostsFile(env);
  const thrift = `http://1.thrift.${clusterDomain(settings)}:${THRIFT_HTTP_PORT}/cliservice`;
  const statements = new Statements(new HiveClient(thrift, lookupFor(hostsFile)), { say });
  const dbUrl = settings.SPARK_METASTORE_DATABASE_URL;
  const db = dbUrl ? parseDatabaseUrl(dbUrl) : undefined;
  const idempotency: IdempotencyStore = db && !('problem' in db) ? await PostgresStore.open(db) : new MemoryStore();
  const sparkHome = env.SPARK_HOME ?? path.join(process.cwd(), 'spark-home');
  const server = createApiServer({
    token,
    statements,
    link: spaceLink(masterHosts(settings), hostsFile),
    idempotency,
    corsOrigins: settings.SPARK_API_CORS_ORIGINS,
    appDir: process.cwd(),
    s3a: hasS3A(sparkHome),
    submit: buildpackFile(import.meta.url, 'bin/spark-submit'),
    pythonBatch: buildpackFile(import.meta.url, 'dist/python-batch.jar'),
    // the launcher renders the cluster's conf from these, then runs spark-submit as a cluster-mode client (src/secrets.ts)
    submitEnv: allowedEnv('api-batch', env),
    say,
  });
  const host = env.HEROKU_PRIVATE_IP ?? '0.0.0.0';
  const port = settings.SPARK_API_PORT ?? API_PORT;
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, host, resolve));
  say(`listening on ${host}:${port}: statements on ${thrift.replace(/^http:\/\//, '')}, batches on the leading master; Idempotency-Keys in ${idempotency.where}`);
  statements.warm();
  const stop = () => {
    say('stopping: answering the requests in flight');
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 10_000).unref();
    statements.close();
    void idempotency.close().catch(() => {});
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => handleError(err, launchOutput('spark-in-space.api')));
