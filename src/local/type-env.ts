/**
 * What a dyno of a type gets under `local` beside every dyno's environment (formation.ts dynoEnv),
 * one row per type that needs more: the Connect server's TLS pair, the space proxy's listen
 * address, resolver, topology, folder and (when the app sets none) its password.
 */
import path from 'node:path';
import type { Env } from '../config/schema.js';
import type { DynoType } from '../process-types.js';
import { dnsAddress, type Formation } from './formation.js';
import { localPassword } from './passwords.js';
import { localConnectTls } from './tls.js';

export interface TypeEnvInput {
  /** the space's folder (.spark-in-space/local/<app>) */
  dir: string;
  app: string;
  config: Env;
  /** the dyno's name (web.1) */
  name: string;
  formation: Formation;
}

export const LOCAL_TYPE_ENV: Partial<Record<DynoType, (i: TypeEnvInput) => Env>> = {
  connect: (i) => localConnectTls(i.dir, i.app, i.config),
  web(i) {
    const dnsAt = dnsAddress(i.formation);
    const c = i.config;
    return {
      SPACE_PROXY_LISTEN: '127.0.0.1',
      SPACE_PROXY_RESOLVER: `${dnsAt.host}:${dnsAt.port}`,
      SPACE_TOPOLOGY_FILE: path.join(i.dir, 'space-topology.json'),
      SPACE_PROXY_DIR: path.join(i.dir, 'dynos', i.name, 'proxy'),
      ...(!c.SPACE_PROXY_BASIC_AUTH && !c.SPARK_BASIC_AUTH && !c.SPACE_PROXY_PASSWORD ? { SPACE_PROXY_PASSWORD: localPassword(i.dir) } : {}),
    };
  },
};
