/**
 * The connect dyno: the Spark Connect server behind an nginx that serves it with TLS. Clients
 * (pyspark-client's `sc://host:15002/;token=...`) send a token only over TLS unless they talk to
 * localhost, so TLS is not optional in a space. The certificate is SPARK_CONNECT_TLS_CERT/KEY,
 * else a self-signed one for the dyno's names made at start (clients then trust that file).
 */
import { chmodSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Env, Settings } from '../config/schema.js';
import { fail } from '../errors.js';
import { CONNECT_BACKEND_PORT, CONNECT_PORT, connectBackendHost, writeConf } from '../render/index.js';
import { renderTemplate } from '../render/templates.js';
import { buildpackFile } from '../paths.js';
import { clusterDomain } from '../space/index.js';
import { findNginx } from '../proxy/nginx.js';
import { dynoLog } from '../log/index.js';

/** bin/support/tls-sidecar: nginx and the server side by side, each ending the other. */
export const TLS_SIDECAR = buildpackFile(import.meta.url, 'bin/support/tls-sidecar');

/** Pure: the names a connect dyno's certificate covers (every connect dyno, and the round-robin name). */
export function connectNames(s: Pick<Settings, 'SPARK_CLUSTER_APP' | 'HEROKU_DNS_APP_NAME' | 'HEROKU_DNS_DYNO_NAME'>): string[] {
  const domain = clusterDomain(s);
  return [`*.connect.${domain}`, `connect.${domain}`, ...(s.HEROKU_DNS_DYNO_NAME ? [s.HEROKU_DNS_DYNO_NAME] : []), 'localhost'];
}

/** Pure: the sidecar nginx's configuration. */
export function connectNginxConf(a: { dir: string; tmp: string; listenHost: string; backendHost: string }): string {
  return renderTemplate('connect-nginx.conf.ejs', { dir: a.dir, tmp: a.tmp, listen: `${a.listenHost}:${CONNECT_PORT}`, backend: `${a.backendHost}:${CONNECT_BACKEND_PORT}` });
}

/** A self-signed certificate (P-256, 825 days) for `names`, key 0600; openssl does the work. */
export function selfSignedCert(names: string[], certFile: string, keyFile: string): void {
  mkdirSync(path.dirname(certFile), { recursive: true });
  // fetched here, not imported: every launcher loads this module, only the connect dyno runs openssl
  const { execFileSync } = process.getBuiltinModule('node:child_process');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        keyFile,
        '-out',
        certFile,
        '-days',
        '825',
        '-subj',
        `/CN=${names[0]}`,
        '-addext',
        `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  } catch (err) {
    fail({
      code: 'host-unfit',
      message: `Could not make a TLS certificate for the connect dyno with openssl (${(err as Error).message.split('\n')[0]}): set SPARK_CONNECT_TLS_CERT and SPARK_CONNECT_TLS_KEY.`,
    });
  }
  chmodSync(keyFile, 0o600);
}

/**
 * Writes the certificate, the key and nginx.conf into the conf dir; returns the argv prefix that
 * runs nginx beside the server.
 */
export async function prepareConnect(s: Settings, env: Env, confDir: string): Promise<string[]> {
  const nginx = findNginx(env);
  const cert = path.join(confDir, 'connect-tls.crt');
  const key = path.join(confDir, 'connect-tls.key');
  if (s.SPARK_CONNECT_TLS_CERT && s.SPARK_CONNECT_TLS_KEY)
    await writeConf(confDir, [
      { name: 'connect-tls.crt', content: `${s.SPARK_CONNECT_TLS_CERT.trim()}\n`, mode: 0o644 },
      { name: 'connect-tls.key', content: `${s.SPARK_CONNECT_TLS_KEY.trim()}\n`, mode: 0o600 },
    ]);
  else if (s.SPARK_CONNECT_TLS_CERT || s.SPARK_CONNECT_TLS_KEY)
    fail({
      code: 'config-invalid',
      issues: [
        {
          name: s.SPARK_CONNECT_TLS_CERT ? 'SPARK_CONNECT_TLS_KEY' : 'SPARK_CONNECT_TLS_CERT',
          problem: 'is not set, but its pair is: set both (or neither, for a self-signed certificate)',
          example: 'SPARK_CONNECT_TLS_KEY="$(cat connect.key)"',
        },
      ],
    });
  else {
    selfSignedCert(connectNames(s), cert, key);
    dynoLog('spark-in-space.connect', 'spark-in-space', env)(`the connect dyno serves a self-signed certificate (${cert}); set SPARK_CONNECT_TLS_CERT/KEY for one clients can trust ahead`);
  }
  // nginx's workers run as nobody when it starts as root (a local machine): a temp dir they can write
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sis-connect-'));
  if (process.getuid?.() === 0) chmodSync(tmp, 0o1777);
  const listenHost = s.HEROKU_PRIVATE_IP ?? '0.0.0.0';
  const conf = connectNginxConf({ dir: confDir, tmp, listenHost, backendHost: connectBackendHost(s, env) });
  await writeConf(confDir, [{ name: 'connect-nginx.conf', content: conf, mode: 0o600 }]);
  return [TLS_SIDECAR, nginx, path.join(confDir, 'connect-nginx.conf'), '--'];
}
