/**
 * README cannot drift from the code: every command, config var (old names too), default, process
 * type and bench appears in it, and its defaults are the schema's. The `--help` examples are run in
 * test/integration/readme-examples.test.ts; the process-type table and the exit codes are checked in
 * process-types.test.ts and errors.test.ts.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { VARS } from '../../src/config/schema.js';
import { EXIT_CODES } from '../../src/errors.js';
import { DYNO_TYPES } from '../../src/process-types.js';
import { commandTree, examples, helpText } from '../helpers/help.js';
import { allDocs } from '../helpers/docs.js';

const REPO = path.resolve(import.meta.dirname, '../..');
// README and docs/ together: a name may be in either (test/helpers/docs.ts)
const README = allDocs();
const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };

describe('README names everything there is', () => {
  it('every command (as `spark-in-space <command>` or `<command>` in backticks)', () => {
    const tree = commandTree();
    expect(tree.length).toBeGreaterThan(20);
    for (const { path: p } of tree) expect(README, p).toMatch(new RegExp(`(spark-in-space |\`)${p.replace(/ /g, ' ')}\\b`));
  });

  it('every config var, and every old name it is still read by', () => {
    for (const [name, v] of Object.entries(VARS)) {
      expect(README, name).toContain(`\`${name}\``);
      for (const old of (v as { legacy?: string[] }).legacy ?? []) expect(README, `${old} (legacy of ${name})`).toContain(old);
    }
  });

  it("every default is the schema's: the README row (or sentence) naming a var gives its default", () => {
    const rows = README.split('\n').filter((l) => l.startsWith('| '));
    for (const [name, v] of Object.entries(VARS)) {
      const dflt = (v as { default?: string }).default;
      if (dflt === undefined) continue;
      // a var table's row: its first cell lists vars (`A`, `B`)
      const row = rows.find((r) => {
        const first = r.split('|')[1]?.trim() ?? '';
        return /^`[A-Z0-9_]+`(, `[A-Z0-9_]+`)*$/.test(first) && first.includes(`\`${name}\``);
      });
      expect(row, `a README table row for ${name}`).toBeDefined();
      expect(row, `${name}'s default ${dflt}`).toContain(dflt);
    }
  });

  it('names nothing that does not exist: every backticked command, config var and exit code of README and docs/ is one of ours', () => {
    const tree = new Set(commandTree().map((c) => c.path));
    const code = [...README.matchAll(/```[\s\S]*?```|`[^`\n]+`/g)].map((m) => m[0]).join('\n');
    for (const m of code.matchAll(/(?:^|[\s`$(])spark-in-space ((?:local |buildpack |config |catalog |versions )?[a-z][a-z-]*)/gm)) {
      const c = m[1]!;
      expect(tree.has(c) || tree.has(c.split(' ')[0]!), `a command \`spark-in-space ${c}\``).toBe(true);
    }
    // variables that are not config vars: Spark's own environment, what the launchers set, the tests'
    const notConfig = new Set([
      'SPARK_HOME',
      'SPARK_CONF_DIR',
      'SPARK_DAEMON_JAVA_OPTS',
      'SPARK_DAEMON_CLASSPATH',
      'SPARK_LOCAL_IP',
      'SPARK_LOCAL_DIRS',
      'SPARK_PUBLIC_DNS',
      'SPARK_CONNECT_AUTHENTICATE_TOKEN',
      'SPARK_IN_SPACE_WITHHELD',
      'SPARK_IN_SPACE_CHECK_ONLY',
      'SPARK_IN_SPACE_PROXY_URL',
      // the worker's environment for its executors (src/cds/executor.ts EXECUTOR_ENV), set by its launcher
      'SPARK_IN_SPACE_JAVA_HOME',
      'SPACE_PROXY_DIR',
      'SPARK_TEST_CACHE',
      'SPARK_TEST_DISTS',
      'SPARK_S3',
      'SPARK_S3_',
      'BUCKETEER_',
    ]);
    const known = new Set(Object.entries(VARS).flatMap(([k, v]) => [k, ...((v as { legacy?: string[] }).legacy ?? [])]));
    for (const m of README.matchAll(/`((?:SPARK|SPACE_PROXY|BUCKETEER)_[A-Z0-9_]*)/g)) expect(known.has(m[1]!) || notConfig.has(m[1]!), `a config var ${m[1]}`).toBe(true);
    const codes = new Set([...EXIT_CODES.map(([c]) => c), 130]);
    for (const m of README.matchAll(/\bexit(?:s| code)? (\d+)/g)) expect(codes.has(Number(m[1])), `exit ${m[1]}`).toBe(true);
  });

  it('every process type and every bench', () => {
    for (const t of DYNO_TYPES) expect(README, t).toMatch(new RegExp(`\`${t}\``));
    for (const s of Object.keys(pkg.scripts).filter((k) => k.startsWith('bench:'))) expect(README, s).toContain(`npm run ${s}`);
  });

  it("the test command CI runs is README's (`npm test`, after scripts/setup)", () => {
    expect(readFileSync(path.join(REPO, '.ci/run'), 'utf8')).toMatch(/^scripts\/setup\nnpm test\n$/m);
    expect(README).toContain('scripts/setup && npm test');
    expect(pkg.scripts.test).toContain('scripts/lint');
  });
});

describe('--help', () => {
  it('every command says what it does, and the commands users run show examples', () => {
    for (const { path: p, cmd } of commandTree()) expect(cmd.description(), p).not.toBe('');
    const withExamples = new Set(examples().map((e) => e.command));
    for (const p of ['local up', 'local run', 'local exec', 'local scale', 'deploy', 'status', 'scale', 'ui', 'shell', 'submit', 'versions', 'destroy', 'build', 'config render'])
      expect(withExamples.has(p), `${p} shows examples`).toBe(true);
  });

  it('every example calls a command that exists, and the Heroku commands print the exit codes', () => {
    const paths = new Set(commandTree().map((c) => c.path));
    for (const e of examples())
      for (const i of e.invocations) {
        const words = i.args.filter((a) => !a.startsWith('-'));
        expect(paths.has(words.slice(0, 2).join(' ')) || paths.has(words[0]!), `${e.line}`).toBe(true);
      }
    for (const p of ['deploy', 'status', 'scale', 'ui', 'shell', 'destroy']) expect(helpText(commandTree().find((c) => c.path === p)!.cmd), p).toContain('Exit codes:');
  });
});
