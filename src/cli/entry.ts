#!/usr/bin/env node
/**
 * The CLI's entry (`bin`): turns on V8's compile cache (Node ≥ 22.1: the bundle's parsed and
 * compiled code is kept under the temp dir and reused by the next start), then loads the bundle.
 * Nothing else here: every import is the bundle's.
 */
import module from 'node:module';

(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
await import(new URL('./cli-bundle.mjs', import.meta.url).href);
