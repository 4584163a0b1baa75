/** Where nginx is: the space proxy (web dyno) and the connect dyno's TLS sidecar both run it. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fail } from '../errors.js';

export function findNginx(env: Record<string, string | undefined>): string {
  const candidates = [env.SPACE_PROXY_NGINX, env.HOME && path.join(env.HOME, 'bin', 'nginx'), ...(env.PATH ?? '').split(':').map((p) => path.join(p, 'nginx')), '/usr/sbin/nginx'];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return fail({
    code: 'host-unfit',
    message:
      'nginx is not installed: on Heroku add the heroku-community/nginx buildpack (app.json lists it; the web and connect dynos run it); locally install it (Debian: apt-get install nginx-light).',
  });
}
