/**
 * SPARK_LOG_FORMAT: our own lines (src/log) and Spark's (the rendered log4j2 file) in one shape,
 * Spark 4's structured logging (ts, level, msg, logger); text as ever; Spark 3.5 says it cannot.
 */
import { describe, expect, it } from 'vitest';
import { dynoLog, formatLogLine, levelOf, logFormatOf } from '../../src/log/index.js';
import { computeConf, logFormatFor, logFormatNote, renderConf } from '../../src/render/index.js';
import { parseConfig, type Env } from '../../src/config/schema.js';
import { problemOf } from '../helpers/problem.js';

const NOW = new Date('2026-12-07T20:00:00.000Z');
const L = { memoryMb: 14336, cores: 8 };
const env = (more: Env = {}): Env => ({ DYNO: 'master.1', HEROKU_DNS_APP_NAME: 'demo.app.localspace', ...more });
const log4j2Of = (e: Env, role: 'master' | 'worker' | 'driver' | 'console' | 'history', version: string, type?: string) =>
  renderConf(computeConf({ settings: parseConfig(e, 'run'), env: e, role, spark: { version, log4j: 2 }, resources: L, process: type })).find((f) => f.name === 'log4j2.properties')!.content;

describe('SPARK_LOG_FORMAT', () => {
  it('text keeps the prefix and one line per line; json is one object with Spark’s keys, line breaks escaped', () => {
    expect(formatLogLine({ logger: 'spark-in-space.launch', prefix: 'spark-in-space', msg: 'a\nb', format: 'text' })).toBe('spark-in-space: a\nspark-in-space: b\n');
    const line = formatLogLine({ logger: 'spark-in-space.launch', prefix: 'spark-in-space', msg: 'WARNING: "quoted"\nnext', format: 'json', now: NOW });
    expect(line.endsWith('\n') && line.split('\n').length).toBe(2);
    expect(JSON.parse(line)).toEqual({ ts: '2026-12-07T20:00:00.000Z', level: 'WARN', msg: 'WARNING: "quoted"\nnext', logger: 'spark-in-space.launch' });
  });

  it('the level follows the message unless given; the format is read raw from the environment (any case)', () => {
    expect([levelOf('waiting for a master'), levelOf('WARNING: x'), levelOf('ERROR: x')]).toEqual(['INFO', 'WARN', 'ERROR']);
    expect([logFormatOf({}), logFormatOf({ SPARK_LOG_FORMAT: 'JSON' }), logFormatOf({ SPARK_LOG_FORMAT: 'nonsense' })]).toEqual(['text', 'json', 'text']);
    const out: string[] = [];
    dynoLog('spark-in-space.autoscale', 'spark-in-space autoscale', { SPARK_LOG_FORMAT: 'json' }, (s) => out.push(s))('scaled up', 'INFO');
    expect(JSON.parse(out[0]!)).toMatchObject({ level: 'INFO', msg: 'scaled up', logger: 'spark-in-space.autoscale' });
  });

  it('the schema takes text or json and names the var with an example otherwise', () => {
    expect(parseConfig({ SPARK_LOG_FORMAT: ' JSON ' }, 'run').SPARK_LOG_FORMAT).toBe('json');
    expect(parseConfig({}, 'run').SPARK_LOG_FORMAT).toBe('text');
    const p = problemOf(() => parseConfig({ SPARK_LOG_FORMAT: 'xml' }, 'run'));
    expect(JSON.stringify(p)).toMatch(/SPARK_LOG_FORMAT.*must be text or json.*SPARK_LOG_FORMAT=json/);
  });

  it('json on Spark 4: JsonTemplateLayout with Spark’s SparkLayout.json, on stderr (a driver’s stdout is its output; a worker’s conf is its cluster-mode drivers’), the context on', () => {
    const e = env({ SPARK_LOG_FORMAT: 'json', LOG_LEVEL: 'WARN' });
    const master = log4j2Of(e, 'master', '4.3.0');
    expect(master).toContain('appender.console.layout.type = JsonTemplateLayout');
    expect(master).toContain('appender.console.layout.eventTemplateUri = classpath:org/apache/spark/SparkLayout.json');
    expect(master).toContain('appender.console.target = SYSTEM_ERR');
    expect(master).toContain('rootLogger.level = warn');
    expect(master).not.toContain('PatternLayout');
    for (const [role, type] of [
      ['history', 'history'],
      ['driver', 'thrift'],
      ['worker', 'worker'],
      ['console', 'console'],
      ['driver', 'spark-submit'],
    ] as const)
      expect(log4j2Of(e, role, '4.2.0', type)).toMatch(/target = SYSTEM_ERR\n[^]*JsonTemplateLayout/);
    const c = computeConf({ settings: parseConfig(e, 'run'), env: e, role: 'master', spark: { version: '4.0.0', log4j: 2 }, resources: L });
    expect(Object.fromEntries(c.defaults)['spark.log.structuredLogging.enabled']).toBe('true');
  });

  it('text by default, and on Spark 3.5 (which has no structured logging), with a warning naming the var', () => {
    expect(log4j2Of(env(), 'master', '4.3.0')).toContain('PatternLayout');
    const s = parseConfig({ SPARK_LOG_FORMAT: 'json' }, 'run');
    expect(logFormatFor(s, '3.5.9')).toBe('text');
    expect(log4j2Of(env({ SPARK_LOG_FORMAT: 'json' }), 'master', '3.5.9')).toContain('PatternLayout');
    expect(logFormatNote(s, '3.5.9')).toMatch(/^WARNING: SPARK_LOG_FORMAT=json is not available on Spark 3\.5\.9 .*4\.0\.0/);
    expect(logFormatNote(s, '4.0.0')).toBeUndefined();
    expect(logFormatNote(parseConfig({}, 'run'), '3.5.9')).toBeUndefined();
    const e = env({ SPARK_LOG_FORMAT: 'json' });
    const c = computeConf({ settings: parseConfig(e, 'run'), env: e, role: 'master', spark: { version: '3.5.9', log4j: 2 }, resources: L });
    expect(Object.fromEntries(c.defaults)['spark.log.structuredLogging.enabled']).toBeUndefined();
  });
});
