import { describe, expect, it } from 'vitest';
import { findRelease, builtinCatalog } from '../../src/catalog/index.js';
import { javaProblem, parseJavaMajor, releaseFileMajor, systemPropertiesLine } from '../../src/buildpack/java.js';
import { PRUNE_RULES, ruleFor } from '../../src/buildpack/prune.js';
import { causeOf, redactUrl } from '../../src/download/fetch.js';
import { profileScript } from '../../src/buildpack/compile.js';

const cat = builtinCatalog();

describe('java', () => {
  it.each([
    ['openjdk version "17.0.15" 2025-04-15', 17],
    ['java version "1.8.0_392"', 8],
    ['openjdk version "21" 2023-09-19', 21],
    ['openjdk version "11.0.22" 2024-01-16', 11],
    ['nothing here', undefined],
  ])('parses %j', (out, major) => expect(parseJavaMajor(out)).toBe(major));

  it.each([
    ['IMPLEMENTOR="Debian"\nJAVA_RUNTIME_VERSION="17.0.21.1+2-1-deb12u1-Debian"\nJAVA_VERSION="17.0.21.1"\n', 17],
    ['JAVA_VERSION="21"\nOS_NAME="Linux"\n', 21],
    ['JAVA_VERSION="1.8.0_412"\n', 8],
    ['IMPLEMENTOR="Azul Systems, Inc."\n', undefined],
  ])("reads a JDK's release file %j", (text, major) => expect(releaseFileMajor(text)).toBe(major));

  it.each([
    ['4.2.0', 11, 'java.runtime.version=17'],
    ['4.0.5', 8, 'java.runtime.version=17'],
    ['1.6.1', 17, 'java.runtime.version=1.8'],
    ['2.1.1', 11, 'java.runtime.version=1.8'],
    ['3.5.9', 21, 'java.runtime.version=17'],
  ])('refuses Spark %s on Java %i, fixed by %s', (v, java, fix) => {
    expect(javaProblem(findRelease(cat, v), java)).toMatchObject({ code: 'java-incompatible', fix });
  });

  it.each([
    ['4.2.0', 17],
    ['4.2.0', 21],
    ['3.5.9', 8],
    ['3.5.9', 17],
    ['1.6.1', 8],
  ])('accepts Spark %s on Java %i, and no Java at all', (v, java) => {
    expect(javaProblem(findRelease(cat, v), java)).toBeUndefined();
    expect(javaProblem(findRelease(cat, v), undefined)).toBeUndefined();
  });

  it('writes Heroku system.properties lines', () => {
    expect(systemPropertiesLine(8)).toBe('java.runtime.version=1.8');
    expect(systemPropertiesLine(21)).toBe('java.runtime.version=21');
  });
});

describe('prune rules', () => {
  it.each([
    ['R', true],
    ['yarn', true],
    ['data', true],
    ['examples/src', true],
    ['examples/jars', false],
    ['bin/spark-shell.cmd', true],
    ['bin/spark-shell', false],
    ['bin/pyspark', false],
    ['jars/spark-kubernetes_2.13-4.2.0.jar', true],
    ['jars/kubernetes-model-core-7.6.1.jar', true],
    ['jars/spark-yarn_2.12-3.5.9.jar', true],
    ['jars/spark-core_2.13-4.2.0.jar', false],
    ['jars/connect-repl/spark-connect-client-jvm_2.13-4.2.0.jar', false],
    ['python/lib/pyspark.zip', false],
    ['python/pyspark/sql/tests', true],
    ['sbin', false],
  ])('%s pruned: %s', (p, pruned) => {
    expect(Boolean(ruleFor(p))).toBe(pruned);
  });

  it('every rule says why', () => {
    for (const r of PRUNE_RULES) expect(r.why.length).toBeGreaterThan(5);
  });
});

describe('urls and network causes', () => {
  it('redacts credentials and query strings', () => {
    expect(redactUrl('https://user:pw@host.example/a/b.tgz?X-Amz-Signature=abc')).toBe('https://***@host.example/a/b.tgz?…');
    expect(redactUrl('file:///srv/spark.tgz')).toBe('file:///srv/spark.tgz');
    expect(redactUrl('::')).toBe('(invalid URL)');
  });

  it('names network causes a user can act on', () => {
    expect(causeOf({ cause: { code: 'ECONNREFUSED' } }, 1000).message).toBe('connection refused');
    expect(causeOf({ code: 'ENOTFOUND' }, 1000).message).toBe('host not found (DNS)');
    expect(causeOf({ name: 'TimeoutError' }, 5000).message).toBe('timed out (no data for 5 s)');
    expect(causeOf({ code: 'CERT_HAS_EXPIRED' }, 1000)).toEqual({ message: 'TLS certificate has expired', retryable: false });
  });
});

describe('.profile.d/spark.sh', () => {
  it('finds Spark from $HOME, never /app, and does not shadow the app’s own bin/', () => {
    const s = profileScript();
    expect(s).toContain('export SPARK_HOME="${SPARK_HOME:-$HOME/spark-home}"');
    expect(s).not.toContain('/app');
    expect(s).toContain('export PATH="$PATH:$SPARK_HOME/bin"');
  });
});
