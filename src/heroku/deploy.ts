/**
 * `spark-in-space deploy`: what the Heroku Button does, from a checkout. The app source is packed
 * (with app.json's formation and .spark.version adjusted to the options: `deployManifest`, pure),
 * uploaded through `POST /sources`, then either set up as a new app in the space (`POST
 * /app-setups`, which reads app.json: add-ons, generated secrets, buildpacks, formation) or built
 * as a new release of an existing one (`POST /apps/{app}/builds`). The build output is streamed;
 * a failure says what exists afterwards and how to clean it up.
 */
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, type Dirent } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { create as tarCreate } from 'tar';
import { fail, isProblem, SparkInSpaceError } from '../errors.js';
import {
  createAppSetup,
  createBuild,
  createSource,
  getApp,
  getAppFeature,
  getAppSetup,
  getBuild,
  getDynoSize,
  listBuilds,
  getSpace,
  updateFormation,
  type App,
  type AppSetup,
  type Build,
  type FormationUpdate,
  type Source,
  type Space,
} from './api.js';
import { appJsonProblems, PRIVATE_SIZES, procfileTypes } from './appjson.js';
import type { Client } from './client.js';

export interface DeployOptions {
  dir: string;
  space: string;
  app?: string;
  team?: string;
  workers?: number;
  workerSize?: string;
  masters?: number;
  sparkVersion?: string;
  /** between polls of the setup or build */
  pollMs?: number;
}

export interface AppJson {
  formation?: Record<string, { quantity?: number; size?: string }>;
  env?: Record<string, { value?: string; description?: string; generator?: string; required?: boolean }>;
  [k: string]: unknown;
}

/** Pure: app.json as this deploy wants it: the formation's worker/master counts and sizes, SPARK_MASTERS. */
export function deployManifest(appJson: AppJson, o: Pick<DeployOptions, 'workers' | 'workerSize' | 'masters'>): AppJson {
  const formation = { ...(appJson.formation ?? {}) };
  const env = { ...(appJson.env ?? {}) };
  if (o.workers !== undefined || o.workerSize) formation.worker = { ...formation.worker, ...(o.workers !== undefined ? { quantity: o.workers } : {}), ...(o.workerSize ? { size: o.workerSize } : {}) };
  if (o.masters !== undefined) {
    formation.master = { ...formation.master, quantity: o.masters };
    env.SPARK_MASTERS = { ...env.SPARK_MASTERS, value: String(o.masters) };
  }
  return { ...appJson, formation, env };
}

/** Pure: the formation updates an existing app gets after its build (app.json is read only when an app is created). */
export function formationUpdates(o: Pick<DeployOptions, 'workers' | 'workerSize' | 'masters'>): FormationUpdate[] {
  const u: FormationUpdate[] = [];
  if (o.workers !== undefined || o.workerSize) u.push({ type: 'worker', ...(o.workers !== undefined ? { quantity: o.workers } : {}), ...(o.workerSize ? { dyno_size: { name: o.workerSize } } : {}) });
  if (o.masters !== undefined) u.push({ type: 'master', quantity: o.masters });
  return u;
}

/** Never uploaded: local secrets, dependencies, build output, the local space's files. */
export const NEVER_PACKED = ['.env', '.git', 'node_modules', 'dist', '.spark-in-space'];

/** The files of the app: git's view (tracked and untracked, ignores honoured) in a work tree, else every file. */
async function sourceFiles(dir: string): Promise<string[]> {
  const git = await execa('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: dir, reject: false });
  const all =
    git.exitCode === 0
      ? git.stdout.split('\0').filter(Boolean)
      : (readdirSync(dir, { recursive: true, withFileTypes: true }) as Dirent[]).filter((e) => e.isFile() || e.isSymbolicLink()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
  return all.filter((f) => !NEVER_PACKED.some((n) => f === n || f.startsWith(`${n}/`)) && existsSync(path.join(dir, f))).sort();
}

/** Packs the app as a gzipped tarball, with `overrides` (relative path → content) replacing or adding files. */
export async function packSource(dir: string, overrides: Record<string, string>): Promise<{ data: Buffer; files: number; sha256: string }> {
  const files = await sourceFiles(dir);
  const stage = mkdtempSync(path.join(os.tmpdir(), 'sis-source-'));
  try {
    for (const f of files) cpSync(path.join(dir, f), path.join(stage, f), { verbatimSymlinks: true });
    for (const [f, content] of Object.entries(overrides)) writeFileSync(path.join(stage, f), content);
    const list = [...new Set([...files, ...Object.keys(overrides)])].sort();
    const chunks: Buffer[] = [];
    const stream = tarCreate({ gzip: true, cwd: stage, portable: true, noMtime: true }, list);
    for await (const c of stream as AsyncIterable<Buffer>) chunks.push(c);
    const data = Buffer.concat(chunks);
    return { data, files: list.length, sha256: createHash('sha256').update(data).digest('hex') };
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Streams a build's output (Heroku's output_stream_url) to `write` until the build closes it. */
async function streamOutput(url: string, write: (text: string) => void): Promise<void> {
  try {
    const res = await fetch(url);
    if (!res.ok || !res.body) return;
    const decoder = new TextDecoder();
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) write(decoder.decode(chunk, { stream: true }));
  } catch (err) {
    write(`(the build output stream broke off: ${(err as Error).message}; waiting for the result)\n`);
  }
}

export interface DeployResult {
  app: string;
  created: boolean;
  webUrl?: string;
}

/**
 * `spark-in-space deploy`, step by step: read app.json, check what can be checked before anything
 * exists (space, size, app, manifest), pack and upload the source, then build an existing app or
 * create a new one from app.json, following the build to its end. A request whose answer was
 * lost is never sent twice blindly: what it may have done is looked up first.
 */
export async function deploy(o: DeployOptions, api: Client, say: (line: string) => void, write: (text: string) => void): Promise<DeployResult> {
  const d = new Deployment(o, api, say, write);
  const appJson = readAppJson(o.dir);
  const existing = await d.precheck(appJson);
  const upload = await d.upload(appJson);
  return existing ? d.rebuild(existing.name, upload) : d.create(upload);
}

/** The app's app.json, refused here (missing, not JSON) rather than by Heroku after an app exists. */
function readAppJson(dir: string): AppJson {
  const file = path.join(dir, 'app.json');
  if (!existsSync(file)) fail({ code: 'bad-input', message: `${file} is missing: deploy needs the app's app.json (formation, config vars, buildpacks).` });
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as AppJson;
  } catch (err) {
    return fail({ code: 'bad-input', message: `${file} is not valid JSON: ${(err as Error).message}` });
  }
}

/** The uploaded source: its URL, and this deploy's own version mark (`sha256-<source>-<nonce>`). */
interface Upload {
  url: string;
  version: string;
}

class Deployment {
  private readonly poll: number;

  constructor(
    private readonly o: DeployOptions,
    private readonly api: Client,
    private readonly say: (line: string) => void,
    private readonly write: (text: string) => void,
  ) {
    this.poll = o.pollMs ?? 2000;
  }

  /** What can be checked before anything exists: the space (Cedar, with DNS), the worker size, the app (in this space), app.json's rules. */
  async precheck(appJson: AppJson): Promise<App | undefined> {
    const { o, api } = this;
    const space = await api.send<Space>(getSpace(o.space), `find the space ${o.space}`, 'List your spaces with `heroku spaces`.');
    if (space.generation?.name && space.generation.name !== 'cedar') fail({ code: 'space-no-dns', space: o.space, why: `it is a ${space.generation.name} space, which has no DNS service discovery` });
    if (o.workerSize) {
      const size = await api.find(getDynoSize(o.workerSize), `check the dyno size ${o.workerSize}`);
      if (!size) fail({ code: 'dyno-size-unknown', size: o.workerSize, known: [...PRIVATE_SIZES] });
    }
    const existing = o.app ? await api.find<App>(getApp(o.app), `look up the app ${o.app}`) : undefined;
    if (existing && existing.space?.name !== o.space)
      fail({
        code: 'bad-input',
        message: `The app ${existing.name} exists ${existing.space ? `in the space ${existing.space.name}` : 'outside any space'}, not in ${o.space}: pick another --app, or --space ${existing.space?.name ?? '<its space>'}.`,
      });
    // app.json's rules (appjson.ts), after the API has said whether a --worker-size exists
    const procfile = existsSync(path.join(o.dir, 'Procfile')) ? readFileSync(path.join(o.dir, 'Procfile'), 'utf8') : '';
    const problems = appJsonProblems(deployManifest(appJson, o), procfileTypes(procfile));
    if (problems.length) fail({ code: 'bad-input', message: [`${path.join(o.dir, 'app.json')} would be refused (nothing was created):`, ...problems.map((p) => `  ${p}`)].join('\n') });
    return existing;
  }

  /** Packs the app (app.json with the options applied, .spark.version) and uploads it. */
  async upload(appJson: AppJson): Promise<Upload> {
    const { o, api, say } = this;
    const overrides: Record<string, string> = { 'app.json': `${JSON.stringify(deployManifest(appJson, o), null, 2)}\n` };
    if (o.sparkVersion) overrides['.spark.version'] = `${o.sparkVersion}\n`;
    const src = await packSource(o.dir, overrides);
    say(`Packed ${src.files} files (${(src.data.length / 1e6).toFixed(1)} MB, sha256 ${src.sha256.slice(0, 12)}…)`);
    const source = await api.send<Source>(createSource(), 'create a source upload URL');
    try {
      const put = await fetch(source.source_blob.put_url, { method: 'PUT', body: new Uint8Array(src.data), signal: AbortSignal.timeout(300_000) });
      if (!put.ok) fail({ code: 'heroku-api', what: 'upload the source', status: put.status, message: put.statusText });
    } catch (err) {
      if (err instanceof SparkInSpaceError) throw err;
      fail({ code: 'heroku-api', what: 'upload the source', status: 0, message: (err as Error).message });
    }
    say('Uploaded the source');
    // the source's checksum, and this deploy's own mark: after a lost answer, the build this deploy
    // started is told from an earlier one of the same source
    return { url: source.source_blob.get_url, version: `sha256-${src.sha256.slice(0, 16)}-${randomBytes(4).toString('hex')}` };
  }

  /** An existing app: a new build (never a second one after a lost answer), then the formation. */
  async rebuild(app: string, up: Upload): Promise<DeployResult> {
    const { api, say } = this;
    say(`Building a new release of ${app}`);
    const start = () => api.send<Build>(createBuild(app, up.url, up.version), `start a build of ${app}`);
    let build: Build;
    try {
      build = await start();
    } catch (err) {
      // the request may have started a build before its answer was lost: never start a second one
      if (!lostAnswer(err)) throw err;
      say(`No answer to the build request: looking for the build it may have started (source ${up.version})`);
      const found = await buildOf(api, app, up.version);
      if (found) say(`Heroku started it (${found.id}): following it`);
      else say('No build was started: asking once more');
      build = found ?? (await start());
    }
    build = await followBuild(api, app, build, { poll: this.poll, write: this.write });
    if (build.status !== 'succeeded')
      fail({
        code: 'deploy-failed',
        app,
        what: `the build ${build.id} ${build.status}`,
        lines: ['The build output is above.'],
        cleanup: 'Nothing changed: the previous release keeps running. Fix the cause and run deploy again.',
      });
    const updates = formationUpdates(this.o);
    if (updates.length) {
      await api.send(updateFormation(app, updates), `scale ${app}`);
      say(`Scaled ${updates.map((u) => `${u.type}=${u.quantity ?? '-'}${u.dyno_size ? `:${u.dyno_size.name}` : ''}`).join(' ')}`);
    }
    return finish(app, false, api, say);
  }

  /** A new app in the space, from app.json (never a second one after a lost answer), its setup followed to the end. */
  async create(up: Upload): Promise<DeployResult> {
    const { o, api, say } = this;
    say(`Creating ${o.app ?? 'an app'} in the space ${o.space}${o.team ? ` (team ${o.team})` : ''} from app.json`);
    const create = () =>
      api.send<AppSetup>(
        createAppSetup({ source_blob: { url: up.url, version: up.version }, app: { ...(o.app ? { name: o.app } : {}), space: o.space, ...(o.team ? { organization: o.team } : {}) } }),
        `create ${o.app ?? 'the app'} in ${o.space}`,
      );
    let setup: AppSetup;
    try {
      setup = await create();
    } catch (err) {
      // the request may have created the app before its answer was lost: never create a second one
      if (!lostAnswer(err) || !isProblem(err, 'heroku-api') || err.problem.code !== 'heroku-api') throw err;
      if (!o.app)
        fail({
          ...err.problem,
          hint: `Heroku may have created an app in ${o.space} before the answer was lost, under a name it chose: look (heroku apps --space ${o.space}) before deploying again, and name the app with -a, so that a retry can find it.`,
        });
      say(`No answer to the app setup request: looking for ${o.app}`);
      const app = await api.find<App>(getApp(o.app), `look up ${o.app}`);
      if (app) {
        // created: its setup's id was in the lost answer, so follow its build (started with our source)
        say(`Heroku created ${o.app}: following its build`);
        return this.recoveredSetup(o.app, up.version);
      }
      say(`${o.app} was not created: asking once more`);
      setup = await create();
    }
    return this.followSetup(setup);
  }

  /** Streams the setup's build output and polls it to its end; a failure says what was left and how to clean up. */
  private followSetup(first: AppSetup): Promise<DeployResult> {
    const name = first.app.name;
    return this.created(name, async (cleanup) => {
      let setup = first;
      let streamed = false;
      for (;;) {
        if (!streamed && setup.build?.output_stream_url) {
          streamed = true;
          await streamOutput(setup.build.output_stream_url, this.write);
        }
        if (setup.status !== 'pending') break;
        await sleep(this.poll);
        setup = await this.api.send<AppSetup>(getAppSetup(setup.id), `follow the setup of ${name}`);
      }
      if (setup.status === 'failed')
        fail({
          code: 'deploy-failed',
          app: name,
          what: setup.failure_message || `the app setup ${setup.build?.status === 'failed' ? '(its build) ' : ''}failed`,
          lines: [...(setup.manifest_errors ?? []).map((e) => `app.json: ${e}`), ...(setup.build?.status === 'failed' ? ['The build output is above.'] : [])],
          cleanup,
        });
    });
  }

  /** The app exists though the setup's answer was lost: its build (our source's version) to its end. */
  private recoveredSetup(name: string, version: string): Promise<DeployResult> {
    return this.created(name, async (cleanup) => {
      const found = await buildOf(this.api, name, version);
      if (!found)
        fail({
          code: 'deploy-failed',
          app: name,
          what: 'the app was created, but no build of this source was found',
          lines: ['Heroku may still be setting it up: look with heroku builds -a ' + name + '.'],
          cleanup,
        });
      const build = await followBuild(this.api, name, found, { poll: this.poll, write: this.write });
      if (build.status !== 'succeeded') fail({ code: 'deploy-failed', app: name, what: `the app setup's build ${build.id} ${build.status}`, lines: ['The build output is above.'], cleanup });
    });
  }

  /** A created app's last steps (`work`, then its DNS discovery checked); any failure says what was left and how to clean up. */
  private async created(name: string, work: (cleanup: string) => Promise<void>): Promise<DeployResult> {
    const cleanup = this.cleanupOf(name);
    try {
      await work(cleanup);
      await this.checkDns(name);
    } catch (err) {
      throw withCleanup(err, cleanup);
    }
    return finish(name, true, this.api, this.say);
  }

  private cleanupOf(name: string): string {
    return `The app ${name} was created and left as it is: delete it with \`spark-in-space destroy -a ${name} --confirm ${name}\`, or fix the cause and run \`spark-in-space deploy --space ${this.o.space} -a ${name}\` to build it again.`;
  }

  private async checkDns(name: string): Promise<void> {
    const dns = await this.api.find<{ enabled: boolean }>(getAppFeature(name, 'spaces-dns-discovery'), `check DNS service discovery of ${name}`);
    if (dns && !dns.enabled)
      fail({
        code: 'space-no-dns',
        space: this.o.space,
        why: `DNS service discovery is off for ${name}. Turn it on: heroku features:enable spaces-dns-discovery -a ${name}, then heroku ps:restart -a ${name}. ${this.cleanupOf(name)}`,
      });
  }
}

/** A POST whose answer was lost (no answer, a 5xx): Heroku may have acted on it (api.ts `unsure`). */
function lostAnswer(err: unknown): boolean {
  return isProblem(err, 'heroku-api') && err.problem.code === 'heroku-api' && Boolean(err.problem.unsure);
}

/** A lost connection (or an API failure) after the app exists: say what is left and how to clean up. */
function withCleanup(err: unknown, cleanup: string): unknown {
  if (isProblem(err, 'heroku-api') && err.problem.code === 'heroku-api' && !err.problem.hint) return new SparkInSpaceError({ ...err.problem, hint: cleanup });
  return err;
}

/** The build of `app` from our source (its version), if Heroku started one. */
async function buildOf(api: Client, app: string, version: string): Promise<Build | undefined> {
  const builds = await api.send<Build[]>(listBuilds(app), `list the builds of ${app}`);
  return builds.find((b) => b.source_blob?.version === version);
}

/** Streams a build's output and polls it until it is no longer pending. */
async function followBuild(api: Client, app: string, build: Build, o: { poll: number; write: (text: string) => void }): Promise<Build> {
  if (build.output_stream_url) await streamOutput(build.output_stream_url, o.write);
  while (build.status === 'pending') {
    await sleep(o.poll);
    build = await api.send<Build>(getBuild(app, build.id), `follow the build ${build.id}`);
  }
  return build;
}

async function finish(name: string, created: boolean, api: Client, say: (line: string) => void): Promise<DeployResult> {
  const app = await api.send<App>(getApp(name), `look up ${name}`);
  say(`${created ? 'Created' : 'Deployed'} ${name}${app.space ? ` in the space ${app.space.name}` : ''}.`);
  if (app.web_url) say(`Space proxy: ${app.web_url} (user spark; password: heroku config:get SPACE_PROXY_PASSWORD -a ${name})`);
  say(`Health: spark-in-space status -a ${name}    A shell: spark-in-space shell -a ${name}`);
  return { app: name, created, webUrl: app.web_url ?? undefined };
}
