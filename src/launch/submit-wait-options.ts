/** `bin/spark-submit --wait [--follow-logs]`: the launcher's own options among spark-submit's, as pure functions (./submit-wait.ts follows the driver). */
import path from 'node:path';
import { SUBMIT_FLAGS } from '../spark-features.js';

/**
 * Pure: the sidecar entry (./sidecar.ts: the autoscaler, `submit-wait`) beside the launcher entry:
 * dist/sidecar.mjs beside dist/launch.mjs (bundled), dist/launch/sidecar.js beside dist/launch/main.js.
 * Kept out of the launcher's bundle, which every dyno runs before its JVM.
 */
export const sidecarEntry = (launchEntry: string) => path.join(path.dirname(launchEntry), launchEntry.endsWith('.mjs') ? 'sidecar.mjs' : 'sidecar.js');

/** Pure: --wait/--follow-logs taken out of spark-submit's options; --follow-logs implies --wait. */
export function waitOptions(args: string[]): { wait: boolean; followLogs: boolean; rest: string[] } {
  const rest: string[] = [];
  let wait = false;
  let followLogs = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--wait' || a === '--follow-logs') {
      wait = true;
      if (a === '--follow-logs') followLogs = true;
      continue;
    }
    if (!a.startsWith('-')) {
      rest.push(...args.slice(i));
      break;
    }
    rest.push(a);
    if (!a.includes('=') && !SUBMIT_FLAGS.includes(a) && i + 1 < args.length) rest.push(args[++i]!);
  }
  return { wait, followLogs, rest };
}

/** Pure: spark-submit's --class (the driver's main class, as the master lists it). */
export const mainClassOf = (args: string[]) => {
  const i = args.indexOf('--class');
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith('--class='))?.slice(8);
};
