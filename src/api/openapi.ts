/** The API's OpenAPI 3.1 document (GET /api/v1/openapi.json): request bodies from the same zod schemas the server parses with. */
import { z } from 'zod';
import { ERRORS, LIMITS, batchRequest, statementRequest } from './shapes.js';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const body = (name: string) => ({ required: true, content: { 'application/json': { schema: ref(name) } } });
const answer = (description: string, name: string) => ({ description, content: { 'application/json': { schema: ref(name) } } });
const errors = (...codes: number[]) =>
  Object.fromEntries(
    codes.map((c) => [
      String(c),
      answer(
        `an error (codes: ${Object.entries(ERRORS)
          .filter(([, s]) => s === c)
          .map(([k]) => k)
          .join(', ')})`,
        'Error',
      ),
    ]),
  );
const idParam = (what: string) => ({ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: what });
const idempotencyKey = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  schema: { type: 'string', maxLength: 255 },
  description: 'the same key within 24 h returns the first answer and starts nothing new',
};

export function openApiDocument(): Record<string, unknown> {
  const input = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' });
  return {
    openapi: '3.1.0',
    info: {
      title: 'spark-in-space API',
      version: '1',
      description: `SQL statements on the cluster's shared SQL server (the thrift dyno) and batch jobs on its workers. Pages hold at most ${LIMITS.pageRows} rows and ${LIMITS.pageBytes} bytes; a request body at most ${LIMITS.bodyBytes} bytes.`,
    },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }, { basic: [] }],
    paths: {
      '/api/v1/statements': {
        post: {
          summary: 'Run a SQL statement; the result when it ends within `wait`, else 202 and its id',
          parameters: [idempotencyKey],
          requestBody: body('StatementRequest'),
          responses: {
            '200': answer('ended: SUCCEEDED with its first page, or FAILED with Spark’s error', 'Statement'),
            '202': answer('still running: poll GET /api/v1/statements/{id}', 'Statement'),
            ...errors(400, 401, 409, 413, 415, 422, 429, 503),
          },
        },
      },
      '/api/v1/statements/{id}': {
        get: {
          summary: 'A statement’s state (and first page once SUCCEEDED)',
          parameters: [idParam('the statement id'), { name: 'wait', in: 'query', schema: { type: 'string' }, description: 'wait this long for it to end (e.g. 10s)' }],
          responses: { '200': answer('the statement', 'Statement'), ...errors(401, 404) },
        },
        delete: {
          summary: 'Cancel the statement’s query on the cluster',
          parameters: [idParam('the statement id')],
          responses: { '200': answer('CANCELED (or the state it ended in)', 'Statement'), ...errors(401, 404) },
        },
      },
      '/api/v1/statements/{id}/result': {
        get: {
          summary: 'A page of a SUCCEEDED statement’s result',
          parameters: [idParam('the statement id'), { name: 'page', in: 'query', schema: { type: 'integer', minimum: 0 } }],
          responses: { '200': answer('the page; `next` links the following one', 'Statement'), ...errors(400, 401, 404, 409) },
        },
      },
      '/api/v1/batches': {
        get: {
          summary: 'Running and recent batches (every cluster-mode driver the master knows)',
          responses: {
            '200': { description: 'the batches', content: { 'application/json': { schema: { type: 'object', properties: { batches: { type: 'array', items: ref('Batch') } } } } } },
            ...errors(401, 503),
          },
        },
        post: {
          summary: 'Submit a jar or a Python file to run on the cluster (cluster mode: its driver on a worker)',
          parameters: [idempotencyKey],
          requestBody: body('BatchRequest'),
          responses: { '201': answer('submitted: the driver id is the batch id', 'Batch'), ...errors(400, 401, 409, 413, 415, 422, 429, 502, 503) },
        },
      },
      '/api/v1/batches/{id}': {
        get: { summary: 'A batch as the master says it', parameters: [idParam('the batch (driver) id')], responses: { '200': answer('the batch', 'Batch'), ...errors(401, 404, 503) } },
        delete: { summary: 'Kill the batch', parameters: [idParam('the batch (driver) id')], responses: { '200': answer('KILLED', 'Batch'), ...errors(401, 404, 409, 503) } },
      },
      '/api/v1/batches/{id}/log': {
        get: {
          summary: 'The driver’s output, from its worker, from a byte offset',
          parameters: [
            idParam('the batch (driver) id'),
            { name: 'stream', in: 'query', schema: { enum: ['stdout', 'stderr'] } },
            { name: 'from', in: 'query', schema: { type: 'integer', minimum: 0 } },
          ],
          responses: { '200': answer('up to 1 MiB of the log; `next` is the offset to ask from', 'Log'), ...errors(400, 401, 404, 503) },
        },
      },
      '/api/v1/openapi.json': { get: { summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } } },
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'SPARK_API_TOKEN: apps in the space, at http://1.api.<app>.app.localspace:8998' },
        basic: { type: 'http', scheme: 'basic', description: 'the space proxy’s users (the web dyno)' },
      },
      schemas: {
        StatementRequest: input(statementRequest),
        BatchRequest: input(batchRequest),
        Statement: {
          type: 'object',
          required: ['id', 'state'],
          properties: {
            id: { type: 'string' },
            state: { enum: ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELED'] },
            columns: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, type: { type: 'string' } } } },
            rows: { type: 'array', items: { type: 'array' } },
            page: { type: 'integer' },
            pageRows: { type: 'integer' },
            totalRows: { type: 'integer' },
            pages: { type: 'integer' },
            next: { type: 'string', description: 'the next page’s path' },
            truncated: { type: 'boolean' },
            error: { type: 'object', properties: { errorClass: { type: 'string' }, message: { type: 'string' }, sqlState: { type: 'string' } } },
          },
        },
        Batch: {
          type: 'object',
          required: ['id'],
          properties: {
            id: { type: 'string' },
            name: { type: 'string' },
            state: { enum: ['SUBMITTED', 'RUNNING', 'RELAUNCHING', 'FINISHED', 'FAILED', 'KILLED', 'ERROR', 'UNKNOWN'] },
            ended: { type: 'boolean' },
            applicationId: { type: 'string' },
            links: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
        Log: { type: 'object', properties: { from: { type: 'integer' }, next: { type: 'integer' }, size: { type: 'integer' }, more: { type: 'boolean' }, text: { type: 'string' } } },
        Error: {
          type: 'object',
          required: ['error'],
          properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { enum: Object.keys(ERRORS) }, message: { type: 'string' }, field: { type: 'string' } } } },
        },
      },
    },
  };
}
