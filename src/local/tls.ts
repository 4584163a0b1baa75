/**
 * TLS of the local space's connect dyno: one self-signed certificate per space (made at the first
 * connect dyno's start, for every connect dyno name), and the trust bundle its clients get
 * (`local exec`, `local run`). On Heroku the pair is SPARK_CONNECT_TLS_CERT/KEY or made per start.
 */
import { writeAtomicSync } from '../fs/atomic.js';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Env } from '../config/schema.js';
import { connectNames, selfSignedCert } from '../launch/connect.js';
import { appDomain } from './formation.js';

/** The local space's Connect certificate: made once per space, trusted by `local exec` clients. */
export const connectCertOf = (dir: string) => ({ cert: path.join(dir, 'connect-tls', 'connect-tls.crt'), key: path.join(dir, 'connect-tls', 'connect-tls.key') });

/** The connect dyno's TLS pair under `local`: .env's, else the space's own self-signed one (for every connect dyno name). */
export function localConnectTls(dir: string, app: string, config: Env): Env {
  if (config.SPARK_CONNECT_TLS_CERT || config.SPARK_CONNECT_TLS_KEY) return {};
  const { cert, key } = connectCertOf(dir);
  if (!existsSync(cert) || !existsSync(key)) selfSignedCert(connectNames({ HEROKU_DNS_APP_NAME: appDomain(app) }), cert, key);
  return { SPARK_CONNECT_TLS_CERT: readFileSync(cert, 'utf8'), SPARK_CONNECT_TLS_KEY: readFileSync(key, 'utf8') };
}

/**
 * gRPC clients (pyspark-client) trust the space's Connect certificate besides the roots they
 * trusted already (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, else the system's bundle): one file of both.
 */
export function connectTrust(dir: string, base: Env): Env {
  const { cert } = connectCertOf(dir);
  if (!existsSync(cert)) return {};
  const roots = [base.GRPC_DEFAULT_SSL_ROOTS_FILE_PATH, '/etc/ssl/certs/ca-certificates.crt'].find((f) => f && existsSync(f) && f !== path.join(dir, 'connect-tls', 'roots.pem'));
  const bundle = path.join(dir, 'connect-tls', 'roots.pem');
  // written aside and renamed in: a client starting meanwhile never reads half a bundle
  writeAtomicSync(bundle, `${roots ? readFileSync(roots, 'utf8').trimEnd() + '\n' : ''}${readFileSync(cert, 'utf8')}`);
  return { GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: bundle };
}
