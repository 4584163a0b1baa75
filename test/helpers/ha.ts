/** What the HA tests read from `local status --json`, and the leader they wait for. */
export interface HaStatus {
  healthy: boolean;
  master: { status: string; url: string; workers: { host: string; state: string }[]; activeapps: { id: string }[] } | null;
  dynos: { name: string; type: string; ip: string; dns: string; pid: number; phase: string; restarts: number; spark: string | null }[];
}

/** The leading master dyno (ALIVE), once `workers` workers are ALIVE on it. */
export const leaderWithWorkers = (s: HaStatus, workers: number) => {
  const leader = s.dynos.find((d) => d.type === 'master' && d.spark === 'ALIVE');
  const alive = s.master?.status === 'ALIVE' ? s.master.workers.filter((w) => w.state === 'ALIVE').length : 0;
  return leader && alive >= workers ? leader : undefined;
};

/** A leading master other than `before` (the standby that took over), once `workers` workers are ALIVE on it. */
export const newLeader = (s: HaStatus, workers: number, before: { name: string }) => {
  const l = leaderWithWorkers(s, workers);
  return l && l.name !== before.name ? l : undefined;
};
