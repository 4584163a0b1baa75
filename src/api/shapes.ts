/**
 * The HTTP API's shapes and limits, pure: what a request may carry (zod, strict: an unknown field is
 * refused by name), the stable error codes with their HTTP statuses, and the JSON every answer is.
 * src/api/openapi.ts describes the same schemas; src/api/server.ts routes; the executors are
 * ./statements.ts (the thrift dyno's SQL server) and ./batches.ts (the master).
 */
import { z } from 'zod';

/** What a page of a result holds at most, and a whole result. */
export const LIMITS = {
  /** a request body */
  bodyBytes: 1 << 20,
  /** rows a page holds at most */
  pageRows: 10_000,
  /** JSON bytes a page holds at most (a page ends at the row that passes it) */
  pageBytes: 4 << 20,
  /** a result's JSON kept for paging; past it the result says `truncated` */
  resultBytes: 1 << 30,
  /** longest `wait` */
  waitMs: 50_000,
  /** how long a finished statement and its result stay readable */
  retainMs: 60 * 60_000,
  /** how long an Idempotency-Key is remembered */
  idempotencyMs: 24 * 60 * 60_000,
} as const;

/** Stable error codes: the HTTP status each answers with. */
export const ERRORS = {
  'malformed-json': 400,
  'invalid-request': 400,
  'unsupported-file': 400,
  unauthorized: 401,
  'locked-out': 429,
  'not-found': 404,
  'method-not-allowed': 405,
  conflict: 409,
  'idempotency-key-reused': 422,
  'idempotency-in-progress': 409,
  'body-too-large': 413,
  'unsupported-media-type': 415,
  'sql-server-unavailable': 503,
  'cluster-unavailable': 503,
  'submit-failed': 502,
  internal: 500,
} as const;
export type ErrorCode = keyof typeof ERRORS;

/** An error the API answers with: its code, HTTP status and a message for people. */
export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
  }
  get status(): number {
    return ERRORS[this.code];
  }
  toJSON() {
    return { error: { code: this.code, message: this.message, ...this.detail } };
  }
}

/** "10s", "500ms", "2m", or a number of seconds; at most LIMITS.waitMs. */
export const waitSchema = z
  .union([z.number().min(0), z.string().regex(/^\d+(\.\d+)?(ms|s|m)?$/, 'must be a duration such as "10s", "500ms" or "1m"')])
  .transform((v) => {
    if (typeof v === 'number') return Math.round(v * 1000);
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v)!;
    return Math.round(Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000));
  })
  .refine((ms) => ms <= LIMITS.waitMs, `must be at most ${LIMITS.waitMs / 1000}s (poll GET /api/v1/statements/{id} for longer)`);

const paramValue = z.union([z.string(), z.number().refine(Number.isFinite, 'must be a finite number'), z.boolean(), z.null()]);

export const parameterSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be a SQL identifier such as min_id (the statement says :min_id)'),
  value: paramValue,
  type: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]*(\(\s*\d+(\s*,\s*\d+)?\s*\))?$/, 'must be a Spark SQL type such as INT, BIGINT, DATE or DECIMAL(10,2)')
    .optional(),
});

export const statementRequest = z.strictObject({
  statement: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(256 * 1024, 'must be at most 256 KiB'),
  wait: waitSchema.optional(),
  parameters: z.array(parameterSchema).max(256).optional(),
});
export type StatementRequest = z.infer<typeof statementRequest>;

export const batchRequest = z.strictObject({
  file: z.string().trim().min(1, 'must name the job: s3a://bucket/job.jar, https://host/job.py or a path in the slug').max(2048),
  className: z
    .string()
    .regex(/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/, 'must be a Java class name such as com.example.Job')
    .optional(),
  args: z
    .array(z.string().max(64 * 1024))
    .max(1000)
    .optional(),
  conf: z.record(z.string().regex(/^spark\.[A-Za-z0-9._-]+$/, 'each key must be a Spark property (spark.…)'), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
  name: z
    .string()
    .regex(/^[\w .:@+-]{1,100}$/, 'must be 1–100 letters, digits, spaces and _.:@+-')
    .optional(),
});
export type BatchRequest = z.infer<typeof batchRequest>;

/** Pure: a zod failure as the API's 400, naming the field. */
export function invalid(err: z.ZodError): ApiError {
  const top = err.issues[0]!;
  // a record's bad key: the key's own issue says what is wrong with it
  const nested = (top as { issues?: z.core.$ZodIssue[] }).issues?.[0];
  const first = top.code === 'invalid_key' && nested ? { ...nested, path: top.path } : top;
  const field = first.path.join('.') || (first.code === 'unrecognized_keys' ? (first as { keys: string[] }).keys.join(', ') : '');
  const message = first.code === 'unrecognized_keys' ? `unknown field ${(first as { keys: string[] }).keys.map((k) => `"${k}"`).join(', ')}` : `${field || 'the body'} ${first.message}`;
  return new ApiError('invalid-request', message, { field: first.code === 'unrecognized_keys' ? (first as { keys: string[] }).keys[0] : field || undefined });
}

/** Pure: parses `body` with `schema`, or throws the API's 400. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw invalid(r.error);
  return r.data;
}

/** Pure: a literal Spark SQL reads as `value` (strings with Spark's backslash escapes). */
export function sqlLiteral(value: string | number | boolean | null, type?: string): string {
  const lit = value === null ? 'NULL' : typeof value === 'boolean' ? (value ? 'TRUE' : 'FALSE') : typeof value === 'number' ? String(value) : `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  return type ? `CAST(${lit} AS ${type})` : lit;
}

/**
 * Pure: the SQL the server runs. With parameters, Spark binds them itself (EXECUTE IMMEDIATE … USING
 * value AS name, Spark 4.0+): the statement's `:name` markers are never spliced into its text.
 */
export function boundStatement(r: Pick<StatementRequest, 'statement' | 'parameters'>): string {
  if (!r.parameters?.length) return r.statement;
  const names = new Set<string>();
  for (const p of r.parameters) {
    if (names.has(p.name)) throw new ApiError('invalid-request', `parameter "${p.name}" is given twice`, { field: 'parameters' });
    names.add(p.name);
  }
  return `EXECUTE IMMEDIATE ${sqlLiteral(r.statement)} USING ${r.parameters.map((p) => `${sqlLiteral(p.value, p.type)} AS ${p.name}`).join(', ')}`;
}
