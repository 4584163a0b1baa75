/** The HTTP API's decisions (src/api), pure: request shapes, rows and errors from HiveServer2, pages, batch command lines, auth, Idempotency-Keys, the OpenAPI document. */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { type ApiError, boundStatement, batchRequest, LIMITS, parseBody, sqlLiteral, statementRequest, waitSchema } from '../../src/api/shapes.js';
import { columnsOf, rowsOf, sparkError, type HiveClient } from '../../src/api/hive.js';
import { cutPages, rowJson, Statements } from '../../src/api/statements.js';
import { applicationOf, batchView, fileOf, PYTHON_RUNNER, submitArgv } from '../../src/api/batches.js';
import { ApiAuth, bearerOf, proxyProof, sameSecret } from '../../src/api/auth.js';
import { fingerprint, MemoryStore, validKey } from '../../src/api/idempotency.js';
import { openApiDocument } from '../../src/api/openapi.js';
import { LOCKOUT } from '../../src/proxy/lockout.js';

const require = createRequire(import.meta.url);
const Int64 = require('node-int64') as new (v: number | string) => unknown;
const T = require('hive-driver/thrift/gen-nodejs/TCLIService_types') as Record<string, Record<string, number>>;

const thrown = (f: () => unknown): ApiError => {
  try {
    f();
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('did not throw');
};

describe('request shapes', () => {
  it('a statement: strict (an unknown field is named), wait as a duration, at most 50 s', () => {
    expect(parseBody(statementRequest, { statement: ' SELECT 1 ', wait: '10s' })).toEqual({ statement: 'SELECT 1', wait: 10_000 });
    expect(waitSchema.parse('500ms')).toBe(500);
    expect(waitSchema.parse(2)).toBe(2000);
    const e = thrown(() => parseBody(statementRequest, { statement: 'SELECT 1', limit: 3 }));
    expect([e.code, e.status, e.message, e.detail.field]).toEqual(['invalid-request', 400, 'unknown field "limit"', 'limit']);
    expect(thrown(() => parseBody(statementRequest, { statement: 'x', wait: '2h' })).message).toMatch(/wait must be a duration/);
    expect(thrown(() => parseBody(statementRequest, { statement: 'x', wait: '90s' })).message).toMatch(/at most 50s/);
    expect(thrown(() => parseBody(statementRequest, { statement: '' })).message).toMatch(/statement must not be empty/);
    expect(thrown(() => parseBody(statementRequest, [1])).code).toBe('invalid-request');
  });

  it('parameters are bound by Spark (EXECUTE IMMEDIATE … USING), never spliced; literals escaped', () => {
    expect(boundStatement({ statement: 'SELECT 1' })).toBe('SELECT 1');
    expect(
      boundStatement({
        statement: "SELECT :a, :b WHERE x = 'it''s'",
        parameters: [
          { name: 'a', value: 1 },
          { name: 'b', value: "o'neil\\", type: 'STRING' },
        ],
      }),
    ).toBe("EXECUTE IMMEDIATE 'SELECT :a, :b WHERE x = \\'it\\'\\'s\\'' USING 1 AS a, CAST('o\\'neil\\\\' AS STRING) AS b");
    expect(sqlLiteral(null)).toBe('NULL');
    expect(sqlLiteral(true)).toBe('TRUE');
    expect(sqlLiteral('2026-01-02', 'DATE')).toBe("CAST('2026-01-02' AS DATE)");
    expect(
      thrown(() =>
        boundStatement({
          statement: 'x',
          parameters: [
            { name: 'a', value: 1 },
            { name: 'a', value: 2 },
          ],
        }),
      ).message,
    ).toMatch(/given twice/);
    expect(thrown(() => parseBody(statementRequest, { statement: 'x', parameters: [{ name: 'a; DROP', value: 1 }] })).message).toMatch(/SQL identifier/);
    expect(thrown(() => parseBody(statementRequest, { statement: 'x', parameters: [{ name: 'a', value: 1, type: 'INT) --' }] })).message).toMatch(/Spark SQL type/);
  });

  it('a batch: conf keys are Spark properties, names are plain', () => {
    expect(parseBody(batchRequest, { file: 'job.jar', className: 'a.B', conf: { 'spark.executor.cores': 2 } }).conf).toEqual({ 'spark.executor.cores': '2' });
    expect(thrown(() => parseBody(batchRequest, { file: 'job.jar', conf: { 'java.home': '/x' } })).message).toMatch(/Spark property/);
    expect(thrown(() => parseBody(batchRequest, { file: 'job.jar', className: 'a b' })).message).toMatch(/Java class name/);
    expect(thrown(() => parseBody(batchRequest, { file: 'job.jar', name: 'x;rm' })).detail.field).toBe('name');
  });
});

describe('HiveServer2 answers', () => {
  const col = (kind: string, values: unknown[], nullBits: number[] = []) => {
    const nulls = Buffer.alloc(Math.ceil(values.length / 8));
    for (const i of nullBits) nulls[i >> 3]! |= 1 << (i & 7);
    return { [kind]: { values, nulls } };
  };

  it('columnar rows: nulls from the bitmap, a BIGINT beyond 2^53 as its exact digits, binary as base64', () => {
    const rows = rowsOf({
      columns: [
        col('i64Val', [new Int64(42), new Int64('0x0020000000000001'), new Int64(0)], [2]),
        col('stringVal', ['a', 'b', 'c'], [1]),
        col('binaryVal', [Buffer.from('hi'), Buffer.alloc(0), Buffer.alloc(0)]),
        col('doubleVal', [1.5, Number.NaN, -Infinity]),
      ],
    });
    expect(rows).toEqual([
      [42, 'a', 'aGk=', 1.5],
      [{ json: '9007199254740993' }, null, '', 'NaN'],
      [null, 'c', '', '-Infinity'],
    ]);
    expect(rows.map(rowJson)).toEqual(['[42,"a","aGk=",1.5]', '[9007199254740993,null,"","NaN"]', '[null,"c","","-Infinity"]']);
    expect(rowsOf({ columns: [] })).toEqual([]);
  });

  it('column types, with DECIMAL’s precision and scale', () => {
    const t = (type: number, q?: object) => ({ typeDesc: { types: [{ primitiveEntry: { type, typeQualifiers: q && { qualifiers: q } } }] } });
    expect(
      columnsOf({
        columns: [
          { columnName: 's', ...t(T.TTypeId!.BIGINT_TYPE!) },
          { columnName: 'd', ...t(T.TTypeId!.DECIMAL_TYPE!, { precision: { i32Value: 10 }, scale: { i32Value: 2 } }) },
        ],
      }),
    ).toEqual([
      { name: 's', type: 'BIGINT' },
      { name: 'd', type: 'DECIMAL(10,2)' },
    ]);
  });

  it("Spark's error class and message, without Java's exception names or stack", () => {
    const text = [
      'org.apache.hive.service.cli.HiveSQLException: Error running query: [TABLE_OR_VIEW_NOT_FOUND] org.apache.spark.sql.AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] The table or view `nope` cannot be found. SQLSTATE: 42P01; line 1 pos 14;',
      "'Project [*]",
      '',
      '\tat org.apache.spark.sql.hive.thriftserver.HiveThriftServerErrors$.runningQueryError(HiveThriftServerErrors.scala:43)',
      'Caused by: org.apache.spark.sql.AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] …',
    ].join('\n');
    const e = sparkError(text, '42P01');
    expect(e).toEqual({
      errorClass: 'TABLE_OR_VIEW_NOT_FOUND',
      message: "[TABLE_OR_VIEW_NOT_FOUND] The table or view `nope` cannot be found. SQLSTATE: 42P01; line 1 pos 14;\n'Project [*]",
      sqlState: '42P01',
    });
    const parse = sparkError(
      "Error running query: [PARSE_SYNTAX_ERROR] org.apache.spark.sql.catalyst.parser.ParseException: \n[PARSE_SYNTAX_ERROR] Syntax error at or near 'SELEC'. SQLSTATE: 42601 (line 1, pos 0)\n\n== SQL ==\nSELEC 1\n^^^\n\n\tat x.y(Z.scala:1)",
    );
    expect(parse.errorClass).toBe('PARSE_SYNTAX_ERROR');
    expect(parse.message).toMatch(/^\[PARSE_SYNTAX_ERROR\] Syntax error at or near 'SELEC'/);
    expect(sparkError('something odd')).toEqual({ message: 'something odd' });
  });
});

describe('pages', () => {
  it('cut at the row or byte limit, whichever comes first; a page holds at least one row', () => {
    const rows = Array.from({ length: 25 }, (_, i) => `[${i}]`);
    expect(cutPages(rows, 10, 1 << 20).map((p) => p.length)).toEqual([10, 10, 5]);
    expect(cutPages(['[1]', '[2]', '[3]'], 10, 8).map((p) => p.length)).toEqual([2, 1]);
    expect(cutPages(['["' + 'x'.repeat(100) + '"]'], 10, 8).map((p) => p.length)).toEqual([1]);
    expect(LIMITS.pageRows * 20).toBe(200_000);
  });
});

describe('batches', () => {
  const o = { appDir: '/app', s3a: true, exists: (p: string) => p === '/app/jobs/job.jar' || p === '/app/job.py' };

  it('where the job is: http(s), s3a with the connector, a path in the slug; anything else a 400 saying what is supported', () => {
    expect(fileOf('https://h/job.py', o)).toEqual({ scheme: 'https', url: 'https://h/job.py' });
    expect(fileOf('s3a://bucket/jobs/a.jar', o)).toEqual({ scheme: 's3a', url: 's3a://bucket/jobs/a.jar' });
    expect(fileOf('jobs/job.jar', o)).toEqual({ scheme: 'slug', url: 'file:///app/jobs/job.jar', path: '/app/jobs/job.jar' });
    expect(fileOf('/app/job.py', o).url).toBe('file:///app/job.py');
    for (const [file, why] of [
      ['ftp://h/job.jar', /cannot read ftp:\/\//],
      ['hdfs://nn/job.jar', /cannot read hdfs:\/\//],
      ['../etc/job.jar', /outside the slug/],
      ['/etc/passwd', /outside the slug/],
      ['jobs/missing.jar', /not in the slug/],
    ] as const) {
      const e = thrown(() => fileOf(file, o));
      expect([e.code, e.status], file).toEqual(['unsupported-file', 400]);
      expect(e.message, file).toMatch(why);
      expect(e.detail.supported).toMatch(/s3a:\/\/.*https:\/\/.*slug/);
    }
    expect(thrown(() => fileOf('s3a://bucket/a.jar', { ...o, s3a: false })).message).toMatch(/S3A connector/);
  });

  it('a jar runs its class; a Python file runs under PythonRunner from the bootstrap jar ({{USER_JAR}}: the worker’s copy)', () => {
    const paths = { submit: '/app/bin/spark-submit', pythonBatch: '/app/dist/python-batch.jar' };
    const jar = parseBody(batchRequest, { file: 'jobs/job.jar', className: 'a.Job', args: ['x', ''], conf: { 'spark.executor.memory': '2g' } });
    expect(submitArgv(jar, fileOf(jar.file, o), paths)).toEqual([
      '/app/bin/spark-submit',
      '--deploy-mode',
      'cluster',
      '--name',
      'job.jar',
      '--conf',
      'spark.executor.memory=2g',
      '--conf',
      'spark.standalone.submit.waitAppCompletion=false',
      '--class',
      'a.Job',
      'file:///app/jobs/job.jar',
      'x',
      '',
    ]);
    const py = parseBody(batchRequest, { file: 'https://h/p/job.py?v=1', args: ['7'], name: 'nightly' });
    expect(submitArgv(py, fileOf(py.file, o), paths)).toEqual([
      '/app/bin/spark-submit',
      '--deploy-mode',
      'cluster',
      '--name',
      'nightly',
      '--conf',
      'spark.standalone.submit.waitAppCompletion=false',
      '--class',
      PYTHON_RUNNER,
      'file:///app/dist/python-batch.jar',
      '{{USER_JAR}}',
      '',
      'https://h/p/job.py?v=1',
      '7',
    ]);
    expect(thrown(() => submitArgv({ file: 'jobs/job.jar' }, fileOf('jobs/job.jar', o), paths)).message).toMatch(/className is required/);
    expect(thrown(() => submitArgv({ file: 'job.py', className: 'A' }, fileOf('job.py', o), paths)).detail.field).toBe('className');
  });

  it('a batch as the master says it, with the application its driver started', () => {
    const json = {
      activedrivers: [{ id: 'driver-20261207000000-0001', state: 'RUNNING', starttime: 1000, mainclass: 'a.Job', worker: 'worker-1' }],
      completeddrivers: [{ id: 'driver-20261207000000-0000', state: 'KILLED', starttime: 500 }],
      activeapps: [
        { id: 'app-2', name: 'other', starttime: 900 },
        { id: 'app-3', name: 'nightly', starttime: 3000 },
      ],
      completedapps: [{ id: 'app-1', name: 'x', starttime: 200_000 }],
    };
    const rec = { id: 'driver-20261207000000-0001', name: 'nightly', file: 'job.jar', submittedAt: 'now' };
    expect(batchView(rec.id, json, rec)).toMatchObject({
      state: 'RUNNING',
      ended: false,
      applicationId: 'app-3',
      applicationState: 'RUNNING',
      submittedBy: 'api',
      links: { application: '/app/?appId=app-3' },
    });
    expect(batchView('driver-20261207000000-0000', json)).toMatchObject({ state: 'KILLED', ended: true });
    expect(applicationOf(json, 'unnamed', 1000)?.id).toBe('app-2');
    expect(applicationOf(json, 'unnamed', 100_000)).toBeUndefined();
  });
});

describe('auth', () => {
  it('bearer tokens compared in constant time; the proxy proves itself with a token-derived header', () => {
    expect(bearerOf('Bearer abc')).toBe('abc');
    expect(bearerOf('bearer  abc ')).toBe('abc');
    expect(bearerOf('Basic abc')).toBeUndefined();
    expect(sameSecret('a'.repeat(32), 'a'.repeat(32))).toBe(true);
    expect(sameSecret('a', 'a'.repeat(32))).toBe(false);
    expect(proxyProof('t1')).not.toBe(proxyProof('t2'));
  });

  it('failures are counted per client like the proxy’s logins: past the limit even the right token is refused (429); the proxy’s are its own to count', () => {
    const a = new ApiAuth('the-token-0123456789');
    expect(a.check('10.0.0.1', 'Bearer the-token-0123456789', undefined, 0)).toBe('ok');
    for (let i = 1; i < LOCKOUT.maxFailures; i++) expect(a.check('10.0.0.1', 'Bearer nope', undefined, i)).toBe('denied');
    expect(a.check('10.0.0.1', 'Bearer nope', undefined, 100)).toBe('locked');
    expect(a.check('10.0.0.1', 'Bearer the-token-0123456789', undefined, 200)).toBe('locked');
    expect(a.check('10.0.0.2', 'Bearer the-token-0123456789', undefined, 200)).toBe('ok');
    const proof = proxyProof('the-token-0123456789');
    for (let i = 0; i < LOCKOUT.maxFailures * 2; i++) expect(a.check('10.0.0.3', undefined, proof, i)).toBe('denied');
    expect(a.check('10.0.0.3', 'Bearer the-token-0123456789', proof, 1000)).toBe('ok');
    expect(a.check('10.0.0.1', 'Bearer the-token-0123456789', undefined, LOCKOUT.lockMs + 200)).toBe('ok');
  });
});

describe('Idempotency-Key (in memory)', () => {
  it('first: new; again: the first answer; another body: mismatch; in flight: pending; after 24 h: new', async () => {
    const s = new MemoryStore();
    const fp = fingerprint('POST', '/api/v1/batches', '{"file":"a.jar"}');
    expect(await s.claim('k', fp, 0)).toEqual({ kind: 'new' });
    expect(await s.claim('k', fp, 1)).toEqual({ kind: 'pending' });
    await s.finish('k', 201, '{"id":"driver-1"}');
    expect(await s.claim('k', fp, 2)).toEqual({ kind: 'done', status: 201, body: '{"id":"driver-1"}' });
    expect(await s.claim('k', fingerprint('POST', '/api/v1/batches', '{"file":"b.jar"}'), 3)).toEqual({ kind: 'mismatch' });
    expect(await s.claim('k', fp, LIMITS.idempotencyMs + 10)).toEqual({ kind: 'new' });
    await s.release('k');
    expect(await s.claim('k', fp, LIMITS.idempotencyMs + 20)).toEqual({ kind: 'new' });
    expect(validKey('0f7e…')).toBe(false);
    expect(validKey('a'.repeat(255))).toBe(true);
    expect(validKey('')).toBe(false);
  });
});

describe('the OpenAPI document', () => {
  it('OpenAPI 3.1: every route, request bodies from the schemas the server parses with, every error code', () => {
    const doc = openApiDocument() as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown>; additionalProperties?: unknown }> };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.fromEntries(Object.entries(doc.paths).map(([p, ops]) => [p, Object.keys(ops).sort()]))).toEqual({
      '/api/v1/statements': ['post'],
      '/api/v1/statements/{id}': ['delete', 'get'],
      '/api/v1/statements/{id}/result': ['get'],
      '/api/v1/batches': ['get', 'post'],
      '/api/v1/batches/{id}': ['delete', 'get'],
      '/api/v1/batches/{id}/log': ['get'],
      '/api/v1/openapi.json': ['get'],
    });
    expect(Object.keys(doc.components.schemas.StatementRequest!.properties!)).toEqual(['statement', 'wait', 'parameters']);
    expect(doc.components.schemas.BatchRequest!.additionalProperties).toBe(false);
    expect(JSON.stringify(doc)).toContain('"unsupported-file"');
  });
});

describe('a statement’s pages (a stand-in SQL server)', () => {
  /** a HiveServer2 stand-in: `total` rows of one BIGINT column, in fetches of at most `max` */
  const hive = (total: number, o: { failAt?: number } = {}) => {
    let sent = 0;
    return {
      openSession: async () => ({ handle: 's' }),
      closeSession: async () => {},
      execute: async () => ({ handle: { hasResultSet: true } }),
      status: async () => ({ state: 'SUCCEEDED' as const }),
      columns: async () => [{ name: 'id', type: 'BIGINT' }],
      fetch: async (_op: unknown, max: number) => {
        if (o.failAt !== undefined && sent >= o.failAt) throw new Error('connection reset');
        const n = Math.min(max, total - sent);
        const rows = Array.from({ length: n }, (_, i) => [sent + i]);
        sent += n;
        return { rows, more: n > 0 };
      },
      cancel: async () => {},
      close: async () => {},
    };
  };
  const pagesOf = async (total: number) => {
    const st = new Statements(hive(total) as unknown as HiveClient);
    const s = await st.submit({ statement: 'SELECT id', wait: 5000 });
    const first = JSON.parse(st.view(s, (await st.page(s.id, 0)).rows)) as { rows: number[][]; next?: string; totalRows?: number };
    const seen = [first];
    while (seen.at(-1)!.next) {
      const n = Number(/page=(\d+)/.exec(seen.at(-1)!.next!)![1]);
      const p = await st.page(s.id, n);
      seen.push(JSON.parse(st.pageView(p.s, n, p.rows)));
    }
    st.close();
    return seen;
  };

  it('every page but the last says `next`; the last says the totals; a result ending on a page boundary has no empty page after it', async () => {
    for (const total of [0, 1, LIMITS.pageRows, 2 * LIMITS.pageRows, 2 * LIMITS.pageRows + 1]) {
      const pages = await pagesOf(total);
      expect(
        pages.map((p) => p.rows.length),
        String(total),
      ).toEqual(total ? [...Array(Math.ceil(total / LIMITS.pageRows)).keys()].map((i) => Math.min(LIMITS.pageRows, total - i * LIMITS.pageRows)) : [0]);
      expect(pages.at(-1)!.totalRows).toBe(total);
      expect(pages.flatMap((p) => p.rows.map((r) => r[0])).reduce((a, b) => a! + b!, 0)).toBe((total * Math.max(0, total - 1)) / 2);
    }
  });

  it('the SQL server gone mid-result: the pages read so far, then the end says truncated, with why', async () => {
    const st = new Statements(hive(3 * LIMITS.pageRows, { failAt: LIMITS.pageRows }) as unknown as HiveClient);
    const s = await st.submit({ statement: 'SELECT id', wait: 5000 });
    const first = JSON.parse(st.view(s, (await st.page(s.id, 0)).rows)) as { rows: unknown[]; next?: string; truncated?: boolean; error?: { message: string } };
    expect(first.rows).toHaveLength(LIMITS.pageRows);
    expect(first.next).toBeUndefined();
    expect(first.truncated).toBe(true);
    expect(first.error?.message).toMatch(/stopped answering: connection reset/);
    st.close();
  });

  it('a status poll lost to a reset connection is asked again; the statement still succeeds', async () => {
    const h = hive(5);
    let fails = 2;
    const status = h.status;
    h.status = async () => {
      if (fails-- > 0) throw new Error('socket hang up');
      return status();
    };
    const st = new Statements(h as unknown as HiveClient);
    const s = await st.submit({ statement: 'SELECT id', wait: 5000 });
    expect(JSON.parse(st.view(s, (await st.page(s.id, 0)).rows))).toMatchObject({ state: 'SUCCEEDED', totalRows: 5 });
    st.close();
  });
});
