import { describe, expect, it } from 'vitest';
import { lookup, parseConfig, VARS } from '../../src/config/schema.js';
import { describe as describeProblem, isProblem, type ConfigIssue } from '../../src/errors.js';

const issuesOf = (env: Record<string, string>): ConfigIssue[] => {
  try {
    parseConfig(env, 'build');
  } catch (err) {
    if (isProblem(err, 'config-invalid') && err.problem.code === 'config-invalid') return err.problem.issues;
    throw err;
  }
  return [];
};

/** what every build parse holds when nothing is set: each var's `default` (src/config/schema.ts) */
const BUILD_DEFAULTS = { SPARK_S3A: 'auto', SPARK_DOWNLOAD_RETRIES: 3, SPARK_DOWNLOAD_TIMEOUT: 60, SPARK_SKIP_JAVA_CHECK: false, SPARK_JDK_LINK: true, SPARK_SLIM: ['connect-repl'] };

describe('build config vars', () => {
  it('parses good values into typed settings', () => {
    expect(
      parseConfig(
        {
          SPARK_MIRROR_URL: 'https://a.example/spark/, http://127.0.0.1:8000 ,file:///srv/mirror',
          SPARK_DIST_URL: 'https://example.com/spark.tgz',
          SPARK_DIST_SHA512: 'AB'.repeat(64),
          SPARK_PACKAGE: 'hadoop3-scala2.13',
          MAVEN_MIRROR_URL: 'http://127.0.0.1:9000/maven2/',
          SPARK_S3A: 'auto',
          SPARK_DOWNLOAD_RETRIES: '0',
          SPARK_DOWNLOAD_TIMEOUT: '30',
          SPARK_SKIP_JAVA_CHECK: 'yes',
          SPARK_CATALOG: 'catalog.json',
        },
        'build',
      ),
    ).toEqual({
      ...BUILD_DEFAULTS,
      SPARK_MIRROR_URL: ['https://a.example/spark', 'http://127.0.0.1:8000', 'file:///srv/mirror'],
      SPARK_DIST_URL: 'https://example.com/spark.tgz',
      SPARK_DIST_SHA512: 'ab'.repeat(64),
      SPARK_PACKAGE: 'hadoop3-scala2.13',
      MAVEN_MIRROR_URL: 'http://127.0.0.1:9000/maven2',
      SPARK_S3A: 'auto',
      SPARK_DOWNLOAD_RETRIES: 0,
      SPARK_DOWNLOAD_TIMEOUT: 30,
      SPARK_SKIP_JAVA_CHECK: true,
      SPARK_CATALOG: 'catalog.json',
    });
  });

  it('treats empty values as unset', () => {
    // an empty value is unset: the var's default (VarSpec.default), or nothing
    expect(parseConfig({ SPARK_MIRROR_URL: '', SPARK_PACKAGE: '', SPARK_DOWNLOAD_RETRIES: '' }, 'build')).toEqual(BUILD_DEFAULTS);
    expect(BUILD_DEFAULTS).not.toHaveProperty('SPARK_MIRROR_URL');
    expect(BUILD_DEFAULTS.SPARK_DOWNLOAD_RETRIES).toBe(3);
  });

  it.each([
    ['SPARK_MIRROR_URL', 'ftp://mirror/spark', 'must be a http, https, file URL'],
    ['SPARK_MIRROR_URL', ' , ', 'must list at least one URL'],
    ['SPARK_DIST_URL', 'not a url', 'must be a http, https, file URL'],
    ['SPARK_DIST_SHA512', 'zz'.repeat(64), 'must be hexadecimal'],
    ['SPARK_DIST_SHA512', 'ab'.repeat(32), 'must be 128 hex characters'],
    ['SPARK_PACKAGE', 'Hadoop 3', 'must be a flavour name'],
    ['SPARK_S3A', 'maybe', 'must be auto, true or false'],
    ['SPARK_DOWNLOAD_RETRIES', '11', 'must be between 0 and 10'],
    ['SPARK_DOWNLOAD_TIMEOUT', '-1', 'must be a whole number'],
    ['SPARK_SKIP_JAVA_CHECK', 'sure', 'must be true or false'],
    ['SPARK_METASTORE_JDBC', 'perhaps', 'must be true or false'],
  ])('%s=%j fails: %s', (name, value, problem) => {
    const [issue] = issuesOf({ [name]: value });
    expect(issue?.name).toBe(name);
    expect(issue?.problem).toContain(problem);
    expect(issue?.example).toMatch(new RegExp(`^${name}=`));
  });

  it('collects every bad var, and never echoes a value', () => {
    const issues = issuesOf({ SPARK_DIST_URL: 'gopher://secret-host', SPARK_S3A: 'secret-value' });
    expect(issues.map((i) => i.name)).toEqual(['SPARK_DIST_URL', 'SPARK_S3A']);
    const text = describeProblem({ code: 'config-invalid', issues }).join('\n');
    expect(text).not.toContain('secret');
  });

  it('every var has an example that names it, and a doc line', () => {
    for (const [name, v] of Object.entries(VARS)) {
      expect(v.example.startsWith(`${name}=`), name).toBe(true);
      expect(v.doc.length, name).toBeGreaterThan(10);
    }
  });

  it('lookup skips empty values', () => {
    expect(lookup({ SPARK_PACKAGE: '' }, 'SPARK_PACKAGE')).toBeUndefined();
    expect(lookup({ SPARK_PACKAGE: 'hadoop3' }, 'SPARK_PACKAGE')).toEqual({ value: 'hadoop3', from: 'SPARK_PACKAGE' });
  });
});
