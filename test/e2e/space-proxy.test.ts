/**
 * The space proxy in front of a real local space (real nginx, real Spark): the master and worker UIs
 * through it, Spark's reverse-proxy mode, and a person's path in headless Chromium (screenshots in
 * a temp dir, or SPARK_TEST_ARTIFACTS: tests never write into the checkout).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appWithSpark, cli, freePort } from '../helpers/cluster.js';
import { DEFAULT_VERSION } from '../helpers/spark.js';
import { until } from '../helpers/wait.js';
import { startFakeHeroku } from '../helpers/fake-heroku.js';
import { addApp, newWorld } from '../helpers/fake-heroku-world.js';

const APP = 'e2e-proxy';
const PASSWORD = 'e2e-proxy-password';
const ARTIFACTS = process.env.SPARK_TEST_ARTIFACTS ?? path.join(os.tmpdir(), 'spark-in-space-artifacts');

describe(`space proxy with real Spark ${DEFAULT_VERSION}`, () => {
  let app: string;
  let sparkHome: string;
  let url: string;
  let browser: Browser | undefined;
  const auth = { authorization: `Basic ${Buffer.from(`spark:${PASSWORD}`).toString('base64')}` };

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    ({ app, sparkHome } = await appWithSpark(
      DEFAULT_VERSION,
      { SPACE_PROXY_BASIC_AUTH: `spark:{PLAIN}${PASSWORD}`, SPARK_REVERSE_PROXY_URL: url, SPARK_AUTH_SECRET: randomBytes(24).toString('hex') },
      true,
    ));
    const up = await cli(['local', 'up', '--detach', '--dir', app, '--app', APP, '--workers', '2', '--port', String(port)]);
    expect(up.exitCode, up.all).toBe(0);
    expect(up.stdout).toContain(`web (space proxy): ${url}/ (users from SPACE_PROXY_BASIC_AUTH)`);
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    if (app) await cli(['local', 'down', '--dir', app]);
  });

  it('answers 401 without credentials', async () => {
    expect((await fetch(url)).status).toBe(401);
  });

  it('serves the real master UI as the default backend', async () => {
    const r = await fetch(`${url}/`, { headers: auth });
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain(`spark://1.master.${APP}.app.localspace:7077`);
    // the worker table lists both workers by their space names
    expect(html).toContain(`1.worker.${APP}.app.localspace`);
    expect(html).toContain(`2.worker.${APP}.app.localspace`);
  });

  it('spark-in-space status (Heroku side): the fake Platform API for the formation, this real master through this real proxy; exit 8 with a wrong password', async () => {
    const token = 'HRKU-e2e-status-token-0123456789';
    const fake = await startFakeHeroku({ token, world: newWorld() });
    try {
      addApp(fake.world!, APP, { config: { SPARK_MASTERS: '1', SPACE_PROXY_PASSWORD: PASSWORD } });
      const env = { HEROKU_API_URL: fake.url, HEROKU_API_KEY: token };
      const r = await cli(['status', '-a', APP, '--proxy-url', url, '--json'], { env });
      expect(r.exitCode, r.all).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report).toMatchObject({ app: APP, healthy: true, master: { status: 'ALIVE', url: `spark://1.master.${APP}.app.localspace:7077`, workers: { alive: 2, dead: 0 } } });
      expect(report.master.workers.list.map((w: { host: string }) => w.host).sort()).toEqual([`1.worker.${APP}.app.localspace`, `2.worker.${APP}.app.localspace`]);
      expect(report.master.cores.total).toBeGreaterThan(0);
      const table = await cli(['status', '-a', APP, '--proxy-url', url], { env });
      expect(table.stdout).toMatch(new RegExp(`Master ALIVE spark://1\\.master\\.${APP}\\.app\\.localspace:7077: 2 workers alive`));
      expect(table.all).not.toContain(PASSWORD);
      const wrong = await cli(['status', '-a', APP, '--proxy-url', url], { env: { ...env, SPACE_PROXY_PASSWORD: 'not-the-password' } });
      expect(wrong.exitCode).toBe(8);
      expect(wrong.stdout).toContain('the proxy refused the password (HTTP 401)');
      expect(fake.problems).toEqual([]);
    } finally {
      await fake.close();
    }
  });

  it('set-backend to a worker UI works', async () => {
    const set = await fetch(`${url}/set-backend/2.worker.${APP}.app.localspace:8081`, { headers: auth, redirect: 'manual' });
    expect(set.status).toBe(302);
    const cookie = set.headers.get('set-cookie')!.split(';')[0]!;
    const html = await (await fetch(`${url}/`, { headers: { ...auth, cookie } })).text();
    expect(html).toContain(`Spark Worker at 2.worker.${APP}.app.localspace`);
  });

  it('with SPARK_REVERSE_PROXY_URL, the master’s /proxy/<worker-id>/ links work through the proxy', async () => {
    const master = await (await fetch(`${url}/`, { headers: auth })).text();
    const link = /href="(?:http:\/\/127\.0\.0\.1:\d+)?(\/proxy\/worker-[^"/]+\/?)"/.exec(master)?.[1];
    expect(link, 'a /proxy/worker-… link on the master page').toBeDefined();
    const r = await fetch(`${url}${link}`, { headers: auth });
    expect(r.status).toBe(200);
    expect(await r.text()).toMatch(/Spark Worker at \d\.worker\.e2e-proxy\.app\.localspace/);
  });

  it('reverse-proxy mode: a worker holding the secret but advertising a UI outside the allow-list is not served under /proxy/<id>/', async () => {
    // a rogue daemon on the host, registered with the cluster's secret (local exec renders it), its UI on port 9999
    const rogue = cli(
      [
        'local',
        'exec',
        '--dir',
        app,
        '--no-hosts',
        '--',
        path.join(sparkHome, 'bin/spark-class'),
        'org.apache.spark.deploy.worker.Worker',
        '--webui-port',
        '9999',
        '--cores',
        '1',
        '--memory',
        '512m',
        `spark://1.master.${APP}.app.localspace:7077`,
      ],
      { env: { SPARK_DAEMON_MEMORY: '256m' }, timeout: 300_000 },
    );
    try {
      const json = async () => (await (await fetch(`${url}/json/`, { headers: auth })).json()) as { workers: { id: string; webuiaddress: string; state: string }[] };
      const bad = await until('the rogue worker registered', async () => (await json()).workers.find((w) => w.webuiaddress.endsWith(':9999') && w.state === 'ALIVE'), 120_000, 500);
      const refused = await fetch(`${url}/proxy/${bad.id}/`, { headers: auth });
      expect(refused.status).toBe(403);
      const good = (await json()).workers.find((w) => w.webuiaddress.includes(`.worker.${APP}.app.localspace:8081`) && w.state === 'ALIVE')!;
      const served = await fetch(`${url}/proxy/${good.id}/`, { headers: auth });
      expect(served.status).toBe(200);
      expect(await served.text()).toMatch(/Spark Worker at \d\.worker\.e2e-proxy\.app\.localspace/);
      // an application id: where its UI is, nothing can check, so it is not served this way
      expect((await fetch(`${url}/proxy/app-20260101000000-0000/`, { headers: auth })).status).toBe(403);
    } finally {
      rogue.kill('SIGTERM');
      await rogue;
    }
  }, 300_000);

  it('a person logs in, opens the dynos page and clicks through to a worker UI (headless Chromium)', async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = await (await browser.newContext({ httpCredentials: { username: 'spark', password: PASSWORD } })).newPage();
    await page.goto(`${url}/_dynos`);
    expect(await page.title()).toBe(`Spark in Space: ${APP}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'space-proxy-dynos.png'), fullPage: true });
    await page.click(`a[href="/set-backend/1.worker.${APP}.app.localspace:8081"]`);
    await page.waitForURL(`${url}/`);
    await expect.poll(() => page.title()).toContain('Spark Worker at 1.worker');
    await page.screenshot({ path: path.join(ARTIFACTS, 'space-proxy-worker.png'), fullPage: true });
    await page.goto(`${url}/_dynos`);
    expect(await page.locator('strong', { hasText: '(current)' }).count()).toBe(1);
  });
});
