/**
 * The space proxy (`web` dyno) as pure functions: who may log in, which backends /set-backend
 * accepts (names inside the space, Spark UI ports), the default backend, and nginx's settings.
 */
import { fail } from '../errors.js';
import { VARS, type Settings } from '../config/schema.js';
import { clusterDomain, MASTER_UI_PORT, SPACE_SUFFIX, THRIFT_HTTP_PORT } from '../space/index.js';
import { API_PORT } from '../ports.js';
import { proxyProof } from '../api/auth.js';

/**
 * Where /set-backend may point by default: this app's own names (`*.<app>.app.localspace`), plus the
 * cluster app's for a job app (SPARK_CLUSTER_APP). Other apps of the space only when listed in
 * SPACE_PROXY_ALLOWED_DOMAINS.
 */
export function defaultDomains(s: Settings): string[] {
  const own = [s.HEROKU_DNS_APP_NAME, s.SPARK_CLUSTER_APP && `${s.SPARK_CLUSTER_APP}.${SPACE_SUFFIX}`].filter((d): d is string => Boolean(d));
  return own.length ? [...new Set(own)] : [SPACE_SUFFIX];
}

export const allowedDomains = (s: Settings): string[] => s.SPACE_PROXY_ALLOWED_DOMAINS ?? defaultDomains(s);

/** Failed logins nginx answers per client before throttling them (limit_req), and the pace after. */
export const AUTH_FAIL = { rate: '10r/m', every: '6 s', burst: 10 };
/** Spark UI ports: masters and workers 8080-8099, drivers 4040-4099, the history server 18080. */
/** SPACE_PROXY_ALLOWED_PORTS's default (its VarSpec's), parsed */
export const DEFAULT_PORTS = VARS.SPACE_PROXY_ALLOWED_PORTS.schema.parse(VARS.SPACE_PROXY_ALLOWED_PORTS.default);
export const COOKIE = 'space_backend';
export const USER = 'spark';

/** htpasswd lines: SPACE_PROXY_BASIC_AUTH (nginx formats), else user spark with SPACE_PROXY_PASSWORD. Never none. */
export function htpasswd(s: Settings): string[] {
  if (s.SPACE_PROXY_BASIC_AUTH?.length) return s.SPACE_PROXY_BASIC_AUTH;
  if (s.SPACE_PROXY_PASSWORD) return [`${USER}:{PLAIN}${s.SPACE_PROXY_PASSWORD}`];
  return fail({
    code: 'config-invalid',
    issues: [
      {
        name: 'SPACE_PROXY_BASIC_AUTH',
        problem: 'is not set (nor SPACE_PROXY_PASSWORD): the proxy refuses to start without credentials, it would open the space to anyone',
        example: 'SPACE_PROXY_BASIC_AUTH=spark:{PLAIN}a-long-password',
      },
    ],
  });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function portList(ranges: [number, number?][]): number[] {
  const out = new Set<number>();
  for (const [a, b] of ranges) for (let p = a; p <= (b ?? a); p++) out.add(p);
  return [...out].sort((x, y) => x - y);
}

/**
 * The `host:port` pattern a backend must match, without anchors (used by nginx's PCRE and by JS):
 * DNS labels under an allowed suffix, an allowed port, 200 characters at most.
 */
export function backendPattern(domains: string[], ports = DEFAULT_PORTS): string {
  const label = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
  return `(?=[a-z0-9.:-]{1,200}/?(?![\\s\\S]))(?:${label}\\.)+(?:${domains.map(escape).join('|')}):(?:${portList(ports).join('|')})`;
}

export function isAllowedBackend(value: string, domains: string[], ports = DEFAULT_PORTS): boolean {
  return new RegExp(`^${backendPattern(domains, ports)}$`).test(value);
}

export function defaultBackend(s: Settings): string {
  return s.SPACE_PROXY_DEFAULT_BACKEND ?? `1.master.${clusterDomain(s)}:${MASTER_UI_PORT}`;
}

/** Nameservers for nginx's resolver: /etc/resolv.conf on Heroku. */
export function resolversFrom(resolvConf: string): string[] {
  return resolvConf
    .split('\n')
    .map((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1])
    .filter((x): x is string => Boolean(x))
    .map((ip) => (ip.includes(':') ? `[${ip}]` : ip));
}

/** Where the proxy's /api/v1/ goes: the api dyno (src/api). */
export const apiBackend = (s: Settings) => `1.api.${clusterDomain(s)}:${s.SPARK_API_PORT ?? API_PORT}`;

/** Where the proxy's /cliservice (Hive's default httpPath) goes: the thrift dyno's Thrift server (HTTP transport). */
export const thriftBackend = (s: Settings) => `1.thrift.${clusterDomain(s)}:${THRIFT_HTTP_PORT}`;

/**
 * Pure: the Authorization header the Thrift server gets for each proxy user, in place of the one
 * the client sent (the proxy's password never reaches a backend). Hive's HTTP transport wants basic
 * credentials even with no authentication of its own; the session runs as the proxy user.
 */
export function thriftAuthHeaders(htpasswdLines: string[]): [string, string][] {
  const users = [...new Set(htpasswdLines.map((l) => l.split(':')[0]!).filter((u) => /^[A-Za-z0-9._@-]+$/.test(u)))];
  return users.map((u) => [u, `Basic ${Buffer.from(`${u}:space-proxy`).toString('base64')}`]);
}

export interface Upstream {
  /** nginx upstream name */
  name: string;
  /** the backend as the cookie names it, host:port */
  backend: string;
  /** ip:port to connect to */
  address: string;
}

/**
 * Pure: keep-alive upstreams for the backends the space topology knows (name → private IP), so
 * the proxy does not open a new connection to Spark's Jetty per request; other allowed backends
 * are resolved per request through DNS.
 */
export function upstreamsFor(dynos: { host: string; port: number; ip?: string }[], allowed: (v: string) => boolean): Upstream[] {
  return dynos
    .filter((d) => d.ip && /^(\d{1,3}\.){3}\d{1,3}$/.test(d.ip) && allowed(`${d.host}:${d.port}`))
    .map((d, i) => ({ name: `dyno_${i + 1}`, backend: `${d.host}:${d.port}`, address: `${d.ip}:${d.port}` }));
}

export interface ProxyConfInput {
  settings: Settings;
  dir: string;
  listen: string;
  resolvers: string[];
  landingPort: number;
  upstreams?: Upstream[];
  /** the unprivileged user nginx's workers run as, when started as root */
  workerUser?: string;
  /** where what the workers read and write lives (htpasswd, temp files): `dir` unless they cannot reach it */
  workerDir?: string;
  /** the private addresses of the space's dynos (its topology): their X-Forwarded-For is not believed */
  dynoAddresses?: string[];
}

export interface ProxyConf {
  dir: string;
  workerDir: string;
  listen: string;
  resolvers: string[];
  landingPort: number;
  defaultBackend: string;
  pattern: string;
  cookie: string;
  domains: string[];
  ports: string;
  upstreams: Upstream[];
  workerUser?: string;
  authFailRate: string;
  authFailEvery: string;
  authFailBurst: number;
  /** /cliservice → the thrift dyno, and the header each proxy user is sent as */
  thrift: { backend: string; auth: [string, string][] };
  /** /api/v1/ → the api dyno (when SPARK_API_TOKEN is set): the token sent for the proxy's users, and the proof it is the proxy */
  api?: { backend: string; bearer: string; proof: string };
  /** addresses whose peer address is the client (nginx `geo`), whatever X-Forwarded-For they send */
  dynoAddresses: string[];
  /** SPARK_LOG_FORMAT: the access log as text, or as JSON objects with Spark's structured-logging keys */
  logFormat: 'text' | 'json';
}

/**
 * Pure: the private addresses of every dyno of the space (every app, every type: any of them can
 * reach the web dyno directly). A request from one of them is that dyno's, whatever
 * X-Forwarded-For it claims; only the router's requests carry the visitor's address there.
 */
export function spaceAddresses(topology: unknown): string[] {
  const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => typeof x === 'object' && x !== null) : []);
  const ips = list((topology as { apps?: unknown } | undefined)?.apps).flatMap((a) => list(a.formation).flatMap((f) => list(f.dynos).map((d) => d.private_ip)));
  return [...new Set(ips.filter((ip): ip is string => typeof ip === 'string' && /^[0-9A-Fa-f.:]+$/.test(ip)))].sort();
}

export function proxyConf(i: ProxyConfInput): ProxyConf {
  const domains = allowedDomains(i.settings);
  const ports = i.settings.SPACE_PROXY_ALLOWED_PORTS ?? DEFAULT_PORTS;
  const def = defaultBackend(i.settings);
  return {
    dir: i.dir,
    workerDir: i.workerDir ?? i.dir,
    listen: i.listen,
    resolvers: i.resolvers,
    landingPort: i.landingPort,
    defaultBackend: def,
    pattern: backendPattern(domains, ports),
    cookie: COOKIE,
    domains,
    ports: ports.map(([a, b]) => (b ? `${a}-${b}` : `${a}`)).join(', '),
    upstreams: i.upstreams ?? [],
    workerUser: i.workerUser,
    authFailRate: AUTH_FAIL.rate,
    authFailEvery: AUTH_FAIL.every,
    authFailBurst: AUTH_FAIL.burst,
    thrift: { backend: thriftBackend(i.settings), auth: thriftAuthHeaders(htpasswd(i.settings)) },
    api: i.settings.SPARK_API_TOKEN ? { backend: apiBackend(i.settings), bearer: `Bearer ${i.settings.SPARK_API_TOKEN}`, proof: proxyProof(i.settings.SPARK_API_TOKEN) } : undefined,
    dynoAddresses: i.dynoAddresses ?? [],
    logFormat: i.settings.SPARK_LOG_FORMAT,
  };
}
