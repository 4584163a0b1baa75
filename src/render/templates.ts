/**
 * The templates of templates/*.ejs, each read and compiled once per process, then rendered as a
 * pure function of its data: Spark's conf, the proxy's and the connect dyno's nginx.conf, the
 * slug's .profile.d script, all through here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import ejs from 'ejs';
import { buildpackFile } from '../paths.js';

/** templates/ of the app: two levels up from dist/render/, one from the bundled dist/launch.mjs. */
export const TEMPLATES = path.dirname(buildpackFile(import.meta.url, 'templates/spark-defaults.conf.ejs'));

export type TemplateName = 'spark-defaults.conf.ejs' | 'spark-env.sh.ejs' | 'log4j.properties.ejs' | 'log4j2.properties.ejs' | 'nginx.conf.ejs' | 'connect-nginx.conf.ejs' | 'profile.d-spark.sh.ejs';

const compiled = new Map<TemplateName, ejs.TemplateFunction>();

/** Renders a template (read and compiled on first use). */
export function renderTemplate(name: TemplateName, data: object): string {
  let fn = compiled.get(name);
  if (!fn) {
    fn = ejs.compile(readFileSync(path.join(TEMPLATES, name), 'utf8'), { filename: name });
    compiled.set(name, fn);
  }
  return fn(data as ejs.Data);
}
