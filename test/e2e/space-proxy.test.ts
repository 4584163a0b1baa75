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

const APP = 'e2e-proxy';
const PASSWORD = 'e2e-proxy-password';
const ARTIFACTS = process.env.SPARK_TEST_ARTIFACTS ?? path.join(os.tmpdir(), 'spark-in-space-artifacts');

describe(`space proxy with real Spark ${DEFAULT_VERSION}`, () => {
  let app: string;
  let url: string;
  let browser: Browser | undefined;
  const auth = { authorization: `Basic ${Buffer.from(`spark:${PASSWORD}`).toString('base64')}` };

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    ({ app } = await appWithSpark(DEFAULT_VERSION, { SPACE_PROXY_BASIC_AUTH: `spark:{PLAIN}${PASSWORD}`, SPARK_REVERSE_PROXY_URL: url, SPARK_AUTH_SECRET: randomBytes(24).toString('hex') }, true));
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
