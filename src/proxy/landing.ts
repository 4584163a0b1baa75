/**
 * The landing page at /_dynos: a small self-contained HTML page (no scripts, no external assets)
 * listing the space's dynos with links that select each UI. Dynos come from
 * /etc/heroku/space-topology.json when present, else from the masters' /json.
 */
import { readFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { Resolver } from 'node:dns/promises';
import { isAllowedBackend } from './index.js';
import { DRIVER_UI_PORT, HISTORY_UI_PORT, MASTER_UI_PORT, shownState, workerState } from '../space/index.js';
import { isNodeService, specOf } from '../process-types.js';

export interface DynoLink {
  name: string;
  type: string;
  host: string;
  port: number;
  /** the dyno's private IP, when the topology gives it */
  ip?: string;
  note?: string;
}

/** Pure: where a UI serves Prometheus text (the PrometheusServlet sink rendered for every Spark process), or none. */
export function metricsPath(d: Pick<DynoLink, 'type' | 'port'>): string | undefined {
  if (d.type === 'master') return '/metrics/master/prometheus/';
  if (d.type === 'history' || d.port === HISTORY_UI_PORT) return undefined;
  return '/metrics/prometheus/';
}

/** Pure: dynos of a space-topology.json (Platform API format: apps[].formation[].dynos[]). */
export function dynosFromTopology(topology: unknown): DynoLink[] {
  const out: DynoLink[] = [];
  const apps = (topology as { apps?: { formation?: { process_type?: string; dynos?: { number?: number; hostname?: string; private_ip?: string }[] }[] }[] })?.apps ?? [];
  for (const app of apps)
    for (const f of app.formation ?? []) {
      const type = f.process_type ?? '?';
      const spec = specOf(type);
      if (spec && isNodeService(spec)) continue;
      for (const d of f.dynos ?? []) {
        if (!d.hostname) continue;
        out.push({
          name: `${type}.${d.number ?? '?'}`,
          type,
          host: d.hostname,
          port: spec?.uiPort ?? DRIVER_UI_PORT,
          ip: d.private_ip,
          note: spec?.serves ?? (spec?.uiPort ? undefined : 'driver UI, while an application runs'),
        });
      }
    }
  return out;
}

/** Pure: dynos from a master's /json (the master itself and its workers). */
export function dynosFromMaster(masterHost: string, json: unknown): DynoLink[] {
  const out: DynoLink[] = [{ name: 'master', type: 'master', host: masterHost, port: MASTER_UI_PORT }];
  for (const w of (json as { workers?: { host?: string; webuiaddress?: string; state?: string }[] })?.workers ?? []) {
    const m = /^https?:\/\/([^/:]+):(\d+)/.exec(w.webuiaddress ?? '');
    if (!m) continue;
    out.push({ name: w.host ?? m[1]!, type: 'worker', host: m[1]!, port: Number(m[2]), note: shownState(w.state) });
  }
  return out;
}

/** Pure: each worker dyno of the topology noted with its state on the master (DECOMMISSIONING while it drains). */
export function withWorkerStates(dynos: DynoLink[], masterJson: unknown): DynoLink[] {
  const workers = (masterJson as { workers?: { host?: string; state?: string }[] } | undefined)?.workers;
  if (!workers) return dynos;
  return dynos.map((d) => (d.type === 'worker' ? { ...d, note: workerState(workers, d.host) ?? 'not registered on the master' } : d));
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Pure: the page. Links go through /set-backend, so only allowed backends are offered. */
export function landingHtml(a: { app: string; dynos: DynoLink[]; source: string; current?: string; allowed: (v: string) => boolean }): string {
  const rows = a.dynos
    .map((d) => {
      const target = `${d.host}:${d.port}`;
      const link = a.allowed(target) ? `<a href="/set-backend/${esc(target)}">${esc(target)}</a>` : `${esc(target)} <small>(not an allowed backend)</small>`;
      const here = a.current === target ? ' <strong>(current)</strong>' : '';
      const m = metricsPath(d);
      const metrics = m && a.allowed(target) ? `<a href="/set-backend/${esc(target)}?to=${esc(m)}">Prometheus</a>` : '';
      return `<tr><td>${esc(d.type)}</td><td>${esc(d.name)}</td><td>${link}${here}</td><td>${metrics}</td><td>${esc(d.note ?? '')}</td></tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Spark in Space: ${esc(a.app)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left}
th{background:#f4f4f8}a{color:#4a2aa8}small,.meta{color:#666}
</style></head>
<body>
<h1>Spark in Space: ${esc(a.app)}</h1>
<p class="meta">Pick a UI: the proxy remembers it in a cookie and shows it at <a href="/">/</a>. Dynos from ${esc(a.source)}.</p>
<table><thead><tr><th>type</th><th>dyno</th><th>UI</th><th>metrics</th><th></th></tr></thead>
<tbody>
${rows || '<tr><td colspan="5">No dynos found yet.</td></tr>'}
</tbody></table>
<p class="meta">Prometheus: the master's is at <a href="/metrics/master/prometheus/">/metrics/master/prometheus/</a>; a scraper reaches any other UI's
with this proxy's basic auth and the cookie <code>space_backend=&lt;host:port&gt;</code> (e.g. <code>/metrics/prometheus/</code> of a worker or a driver,
<code>/metrics/executors/prometheus</code> of a driver). JDBC: <code>jdbc:hive2://&lt;this host&gt;:443/default;ssl=true;transportMode=http;httpPath=cliservice</code>.</p>
</body></html>
`;
}

/**
 * Pure: the answer to /set-backend/<host:port>: a cookie and a redirect to / for an allowed backend,
 * else a 400 that explains and no cookie.
 */
export function setBackend(url: string, cookie: string, allowed: (v: string) => boolean): { status: number; headers: Record<string, string>; body: string } {
  let target: string;
  const [pathPart, query = ''] = url.split('?', 2) as [string, string?];
  try {
    target = decodeURIComponent(pathPart.slice('/set-backend/'.length)).replace(/\/$/, '');
  } catch {
    target = '';
  }
  // ?to=/metrics/...: where to go after choosing (only a metrics path of the backend, nothing else)
  const to = new URLSearchParams(query).get('to');
  const next = to && /^\/metrics\/[A-Za-z0-9/_-]*$/.test(to) ? to : '/';
  if (target && allowed(target)) return { status: 302, headers: { location: next, 'set-cookie': `${cookie}=${target}; Path=/; HttpOnly; SameSite=Lax`, 'content-type': 'text/plain' }, body: '' };
  return {
    status: 400,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    body:
      'Refused: /set-backend/<host:port> accepts only names inside the space on Spark UI ports ' +
      '(masters and workers 8080-8099, drivers 4040-4099, history 18080, unless SPACE_PROXY_ALLOWED_* say otherwise), ' +
      'e.g. /set-backend/1.worker.<app>.app.localspace:8081. No cookie was set. See /_dynos.\n',
  };
}

/**
 * Pure: where Spark's reverse-proxy path `/proxy/<id>/…` leads, from the master's /json: a worker's
 * UI (its webuiaddress), only if that is an allowed backend. Application ids are refused: the
 * master's /json does not say where a driver's UI is, so nothing could check it.
 */
export function proxyTarget(uri: string, masterJson: unknown, allowed: (v: string) => boolean): { backend?: string; reason: string } {
  const id = /^\/proxy\/([^/?#]+)/.exec(uri)?.[1];
  if (!id) return { reason: 'not a /proxy/<id>/ path' };
  const workers = (masterJson as { workers?: { id?: string; webuiaddress?: string }[] })?.workers ?? [];
  const w = workers.find((x) => x.id === decodeURIComponent(id));
  if (!w) return { reason: /^app-/.test(id) ? 'driver UIs are reached through /_dynos (/set-backend), not /proxy/<app-id>/' : `no worker ${id} on the master` };
  const m = /^https?:\/\/([^/:]+):(\d+)\/?$/.exec(w.webuiaddress ?? '');
  const backend = m ? `${m[1]!.toLowerCase()}:${m[2]}` : undefined;
  if (!backend || !allowed(backend)) return { reason: `worker ${id} advertises ${w.webuiaddress ?? 'no UI'}, which is not an allowed backend` };
  return { backend, reason: 'allowed' };
}

/** Pure: a navigation from another site (the browser says so) must not choose the backend. */
export const crossSite = (secFetchSite: string | string[] | undefined) => secFetchSite === 'cross-site' || secFetchSite === 'same-site';

export interface LandingOptions {
  app: string;
  topologyFile: string;
  masterHosts: string[];
  resolvers: string[];
  cookie: string;
  allowed: (v: string) => boolean;
}

/** The first master whose /json answers (names resolved through the space's DNS). */
async function masterJson(o: LandingOptions): Promise<{ host: string; json: unknown } | undefined> {
  const resolver = new Resolver({ timeout: 2000, tries: 1 });
  if (o.resolvers.length) resolver.setServers(o.resolvers.map((r) => r.replace(/^\[|\]$/g, '')));
  for (const host of o.masterHosts) {
    try {
      const [ip] = await resolver.resolve4(host);
      const res = await fetch(`http://${ip}:8080/json`, { signal: AbortSignal.timeout(3000) });
      return { host, json: await res.json() };
    } catch {
      /* next master */
    }
  }
  return undefined;
}

async function masterDynos(o: LandingOptions): Promise<DynoLink[]> {
  const m = await masterJson(o);
  if (m) return dynosFromMaster(m.host, m.json);
  return o.masterHosts.map((h) => ({ name: 'master', type: 'master', host: h, port: MASTER_UI_PORT, note: 'not answering' }));
}

/** The master's /json for /proxy checks, kept 3 s: a page pulls many assets through /proxy/<id>/. */
function cachedMasterJson(o: LandingOptions): () => Promise<unknown> {
  let last: { at: number; json: Promise<unknown> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > 3000) last = { at: Date.now(), json: masterJson(o).then((m) => m?.json) };
    return last.json;
  };
}

export function startLanding(o: LandingOptions): Promise<Server> {
  const workersView = cachedMasterJson(o);
  const server = process.getBuiltinModule('node:http').createServer(async (req, res) => {
    const url = req.url ?? '/';
    // routes by path: a query string never changes which page answers
    const route = url.split('?')[0];
    if (route === '/_space_denied') {
      // nginx keeps auth_basic's challenge header on its way here
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8' }).end('Authentication required.\n');
      return;
    }
    if (route === '/_space_proxy_check') {
      const t = proxyTarget(String(req.headers['x-original-uri'] ?? ''), await workersView(), o.allowed);
      res.writeHead(t.backend ? 204 : 403, t.backend ? { 'x-space-backend': t.backend } : { 'x-space-refused': t.reason }).end();
      return;
    }
    if ((url === '/set-backend' || url.startsWith('/set-backend/')) && crossSite(req.headers['sec-fetch-site'])) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end("Refused: /set-backend must be followed from the proxy's own pages, not from another site.\n");
      return;
    }
    if (url === '/set-backend' || url.startsWith('/set-backend/')) {
      const r = setBackend(url, o.cookie, o.allowed);
      res.writeHead(r.status, r.headers).end(r.body);
      return;
    }
    if (route !== '/_dynos') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found.\n');
      return;
    }
    let dynos: DynoLink[];
    let source: string;
    try {
      dynos = dynosFromTopology(JSON.parse(await readFile(o.topologyFile, 'utf8')));
      source = 'the space topology';
      dynos = withWorkerStates(dynos, await workersView());
    } catch {
      dynos = await masterDynos(o);
      source = 'the master’s /json';
    }
    const current = new RegExp(`(?:^|;\\s*)${o.cookie}=([^;]+)`).exec(req.headers.cookie ?? '')?.[1];
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(landingHtml({ app: o.app, dynos, source, current, allowed: o.allowed }));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export { isAllowedBackend };
