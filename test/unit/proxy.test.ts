import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/schema.js';
import { allowedDomains, backendPattern, defaultBackend, htpasswd, isAllowedBackend, resolversFrom, spaceAddresses, upstreamsFor } from '../../src/proxy/index.js';
import { crossSite, dynosFromMaster, dynosFromTopology, landingHtml, proxyTarget, withWorkerStates } from '../../src/proxy/landing.js';
import { emptyLockout, expire, lockoutMap, recordFailure } from '../../src/proxy/lockout.js';
import { answer, parseQuery } from '../../src/local/dns.js';
import { dnsTable, formation, parseProcfile, topology } from '../../src/local/formation.js';
import { HOSTILE } from '../helpers/hostile.js';

/** the allow-list of app `demo` that runs jobs against cluster app `my-spark-job`'s… and `demo`'s own names */
const DEMO = ['demo.app.localspace', 'my-spark-job.app.localspace'];

describe('set-backend allow-list', () => {
  it.each([
    '1.master.demo.app.localspace:8080',
    '7.worker.demo.app.localspace:8081',
    '1.job.my-spark-job.app.localspace:4040',
    'history.demo.app.localspace:18080',
    '2.worker.demo.app.localspace:8099',
  ])('accepts %s', (b) => expect(isAllowedBackend(b, DEMO)).toBe(true));

  it.each(HOSTILE)('refuses %j', (b) => expect(isAllowedBackend(b, ['localspace'])).toBe(false));

  it('defaults to this app’s own names (and the cluster app’s), not the whole space', () => {
    const own = allowedDomains(parseConfig({ HEROKU_DNS_APP_NAME: 'demo.app.localspace' }, 'run'));
    expect(own).toEqual(['demo.app.localspace']);
    expect(isAllowedBackend('1.worker.demo.app.localspace:8081', own)).toBe(true);
    expect(isAllowedBackend('1.web.other-app.app.localspace:8080', own)).toBe(false);
    expect(isAllowedBackend('1.master.xdemo.app.localspace:8080', own)).toBe(false);
    expect(allowedDomains(parseConfig({ HEROKU_DNS_APP_NAME: 'job.app.localspace', SPARK_CLUSTER_APP: 'cluster' }, 'run'))).toEqual(['job.app.localspace', 'cluster.app.localspace']);
    // other apps only when listed
    expect(allowedDomains(parseConfig({ HEROKU_DNS_APP_NAME: 'demo.app.localspace', SPACE_PROXY_ALLOWED_DOMAINS: 'localspace' }, 'run'))).toEqual(['localspace']);
  });

  it('is configurable: domains and ports', () => {
    expect(isAllowedBackend('spark.internal:9999', ['internal'], [[9999]])).toBe(true);
    expect(isAllowedBackend('1.master.demo.app.localspace:8080', ['internal'], [[9999]])).toBe(false);
    expect(backendPattern(['a.b'], [[1, 2]])).toContain('(?:a\\.b):(?:1|2)');
  });
});

describe('credentials', () => {
  it('uses SPACE_PROXY_BASIC_AUTH (or legacy SPARK_BASIC_AUTH), else user spark with SPACE_PROXY_PASSWORD', () => {
    expect(htpasswd(parseConfig({ SPACE_PROXY_BASIC_AUTH: 'a:{PLAIN}long-enough\nb:{SHA}y' }, 'run'))).toEqual(['a:{PLAIN}long-enough', 'b:{SHA}y']);
    expect(htpasswd(parseConfig({ SPARK_BASIC_AUTH: 'spark:{PLAIN}space-is-big' }, 'run'))).toEqual(['spark:{PLAIN}space-is-big']);
    expect(htpasswd(parseConfig({ SPACE_PROXY_PASSWORD: 'longenough' }, 'run'))).toEqual(['spark:{PLAIN}longenough']);
  });

  it('refuses to run an open proxy', () => {
    expect(() => htpasswd(parseConfig({}, 'run'))).toThrow(/SPACE_PROXY_BASIC_AUTH: is not set.*refuses to start without credentials/);
  });
});

describe('defaults and resolvers', () => {
  it('default backend: SPACE_PROXY_DEFAULT_BACKEND, else the first master UI', () => {
    expect(defaultBackend(parseConfig({ HEROKU_DNS_APP_NAME: 'demo.app.localspace' }, 'run'))).toBe('1.master.demo.app.localspace:8080');
    expect(defaultBackend(parseConfig({ HEROKU_DNS_APP_NAME: 'demo.app.localspace', SPACE_PROXY_DEFAULT_BACKEND: '2.master.demo.app.localspace:8080' }, 'run'))).toBe(
      '2.master.demo.app.localspace:8080',
    );
  });
  it('reads nameservers from resolv.conf', () => {
    expect(resolversFrom('# x\nnameserver 10.0.0.2\nsearch x\nnameserver fd00::1\n')).toEqual(['10.0.0.2', '[fd00::1]']);
  });
});

describe('upstreams', () => {
  it('keeps alive only allowed backends with a known IPv4 address', () => {
    const ups = upstreamsFor(
      [
        { host: '1.master.demo.app.localspace', port: 8080, ip: '10.0.0.5' },
        { host: '1.worker.demo.app.localspace', port: 8081 },
        { host: 'evil.com', port: 8080, ip: '10.0.0.6' },
        { host: '2.worker.demo.app.localspace', port: 8081, ip: 'not-an-ip' },
      ],
      (v) => isAllowedBackend(v, DEMO),
    );
    expect(ups).toEqual([{ name: 'dyno_1', backend: '1.master.demo.app.localspace:8080', address: '10.0.0.5:8080' }]);
  });
});

describe('landing page', () => {
  const f = formation('demo', parseProcfile('master: a\nworker: b\nweb: c\n'), { master: 1, worker: 2, web: 1 });
  it('lists the topology’s dynos (not web) with set-backend links, and escapes', () => {
    const dynos = dynosFromTopology(topology(f));
    expect(dynos.map((d) => `${d.name} ${d.host}:${d.port}`)).toEqual([
      'master.1 1.master.demo.app.localspace:8080',
      'worker.1 1.worker.demo.app.localspace:8081',
      'worker.2 2.worker.demo.app.localspace:8081',
    ]);
    const html = landingHtml({ app: '<demo>', dynos, source: 'x', current: '1.worker.demo.app.localspace:8081', allowed: (v) => isAllowedBackend(v, DEMO) });
    expect(html).toContain('<a href="/set-backend/1.master.demo.app.localspace:8080">');
    expect(html).toContain('&#60;demo&#62;');
    expect(html).not.toMatch(/<script|https?:\/\//);
    expect(html).toMatch(/1\.worker\.demo\.app\.localspace:8081<\/a> <strong>\(current\)/);
  });
  it('notes each worker’s state on the master: DECOMMISSIONING while it drains', () => {
    const json = {
      workers: [
        { host: '1.worker.demo.app.localspace', state: 'ALIVE' },
        { host: '2.worker.demo.app.localspace', state: 'DEAD' },
        { host: '2.worker.demo.app.localspace', state: 'DECOMMISSIONED' },
      ],
    };
    const dynos = withWorkerStates(dynosFromTopology(topology(f)), json);
    expect(dynos.map((d) => `${d.name} ${d.note ?? ''}`)).toEqual(['master.1 ', 'worker.1 ALIVE', 'worker.2 DECOMMISSIONING']);
    expect(landingHtml({ app: 'demo', dynos, source: 'x', allowed: (v) => isAllowedBackend(v, DEMO) })).toContain('<td>DECOMMISSIONING</td>');
    expect(withWorkerStates(dynosFromTopology(topology(f)), { workers: [] }).map((d) => d.note ?? '')).toEqual(['', 'not registered on the master', 'not registered on the master']);
    // no master answering: the topology's rows as they are
    expect(withWorkerStates(dynosFromTopology(topology(f)), undefined)).toEqual(dynosFromTopology(topology(f)));
  });
  it('falls back to the master’s workers', () => {
    const d = dynosFromMaster('1.master.demo.app.localspace', { workers: [{ host: '1.worker.demo.app.localspace', webuiaddress: 'http://1.worker.demo.app.localspace:8081', state: 'ALIVE' }] });
    expect(d.map((x) => `${x.type} ${x.host}:${x.port}`)).toEqual(['master 1.master.demo.app.localspace:8080', 'worker 1.worker.demo.app.localspace:8081']);
  });
});

describe('local DNS', () => {
  const query = (name: string, type = 1) => {
    const labels = name.split('.').flatMap((l) => [Buffer.from([l.length]), Buffer.from(l)]);
    return Buffer.concat([Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, type, 0, 1])]);
  };
  const table = dnsTable(formation('demo', parseProcfile('master: a\nworker: b\n'), { master: 1, worker: 2 }));
  it('answers A for dyno and round-robin names, NXDOMAIN otherwise', () => {
    expect(parseQuery(query('1.Master.demo.app.localspace'))?.name).toBe('1.master.demo.app.localspace');
    const a = answer(query('2.worker.demo.app.localspace'), table)!;
    expect(a.readUInt16BE(0)).toBe(0x1234);
    expect(a.readUInt16BE(2) & 0xf).toBe(0);
    expect(a.readUInt16BE(6)).toBe(1);
    expect([...a.subarray(a.length - 4)].join('.')).toBe(table.get('2.worker.demo.app.localspace'));
    expect(table.get('worker.demo.app.localspace')).toBe(table.get('1.worker.demo.app.localspace'));
    const nx = answer(query('example.com'), table)!;
    expect(nx.readUInt16BE(2) & 0xf).toBe(3);
    expect(nx.readUInt16BE(6)).toBe(0);
    expect(answer(Buffer.from([1, 2, 3]), table)).toBeUndefined();
  });
  it('answers from a lookup too (the formation, then the one-off dynos running now)', () => {
    const lookup = (n: string) => table.get(n) ?? (n === '1.run.demo.app.localspace' ? '127.9.100.1' : undefined);
    const a = answer(query('1.run.demo.app.localspace'), lookup)!;
    expect([...a.subarray(a.length - 4)].join('.')).toBe('127.9.100.1');
    expect(answer(query('2.run.demo.app.localspace'), lookup)!.readUInt16BE(2) & 0xf).toBe(3);
  });
});

describe('proxy_reverse_proxy_paths', () => {
  const json = {
    workers: [
      { id: 'worker-20260101-1.worker.demo.app.localspace-40000', webuiaddress: 'http://1.worker.demo.app.localspace:8081' },
      { id: 'worker-rogue', webuiaddress: 'http://evil.example:8081' },
      { id: 'worker-rogue-port', webuiaddress: 'http://2.worker.demo.app.localspace:22' },
    ],
  };
  const allowed = (v: string) => isAllowedBackend(v, DEMO);
  it('serves a worker id at the UI the master lists, when that is an allowed backend', () => {
    expect(proxyTarget('/proxy/worker-20260101-1.worker.demo.app.localspace-40000/logPage/?x=1', json, allowed)).toEqual({ backend: '1.worker.demo.app.localspace:8081', reason: 'allowed' });
  });
  it('refuses a worker advertising a host or port outside the allow-list, an unknown id, and app ids', () => {
    expect(proxyTarget('/proxy/worker-rogue/', json, allowed).backend).toBeUndefined();
    expect(proxyTarget('/proxy/worker-rogue/', json, allowed).reason).toContain('not an allowed backend');
    expect(proxyTarget('/proxy/worker-rogue-port/', json, allowed).backend).toBeUndefined();
    expect(proxyTarget('/proxy/worker-nope/', json, allowed).reason).toBe('no worker worker-nope on the master');
    expect(proxyTarget('/proxy/app-20260101000000-0000/', json, allowed).reason).toContain('driver UIs are reached through /_dynos');
    expect(proxyTarget('/other', json, allowed).backend).toBeUndefined();
  });
  it('tells a cross-site navigation by Sec-Fetch-Site', () => {
    expect([crossSite('cross-site'), crossSite('same-site'), crossSite('same-origin'), crossSite('none'), crossSite(undefined)]).toEqual([true, true, false, false, false]);
  });
});

describe('proxy_lockout', () => {
  const p = { maxFailures: 3, windowMs: 1000, lockMs: 5000 };
  it('locks a client out after maxFailures within the window, for lockMs; others are untouched', () => {
    const l = emptyLockout();
    expect([recordFailure(l, '203.0.113.7', 0, p), recordFailure(l, '203.0.113.7', 10, p), recordFailure(l, '198.51.100.1', 20, p)]).toEqual([false, false, false]);
    expect(recordFailure(l, '203.0.113.7', 30, p)).toBe(true);
    expect(lockoutMap(l, 40)).toBe('"203.0.113.7" 1;\n');
    expect(expire(l, 4000)).toBe(false);
    expect(expire(l, 5030)).toBe(true);
    expect(lockoutMap(l, 5030)).toBe('\n');
  });
  it('forgets failures older than the window, and ignores what is not an address', () => {
    const l = emptyLockout();
    recordFailure(l, '203.0.113.7', 0, p);
    recordFailure(l, '203.0.113.7', 10, p);
    expect(recordFailure(l, '203.0.113.7', 2000, p)).toBe(false);
    expect(recordFailure(l, '"; evil', 0, p)).toBe(false);
    expect(recordFailure(l, '"; evil', 1, p)).toBe(false);
    expect(recordFailure(l, '"; evil', 2, p)).toBe(false);
    expect(lockoutMap(l, 3)).toBe('\n');
  });
});

describe('spaceAddresses', () => {
  it('proxy_space_addresses: every dyno of every app in the topology (web included), once; junk ignored', () => {
    const topology = {
      apps: [
        {
          formation: [
            { process_type: 'web', dynos: [{ private_ip: '10.0.1.5' }] },
            { process_type: 'worker', dynos: [{ private_ip: '10.0.1.7' }, { private_ip: '10.0.1.5' }] },
          ],
        },
        { formation: [{ process_type: 'run', dynos: [{ private_ip: '10.0.9.1' }, { private_ip: 'x; include /etc/passwd' }, {}] }] },
      ],
    };
    expect(spaceAddresses(topology)).toEqual(['10.0.1.5', '10.0.1.7', '10.0.9.1']);
    expect(spaceAddresses(undefined)).toEqual([]);
    expect(spaceAddresses({ apps: 'nope' as unknown })).toEqual([]);
  });
});
