/**
 * Where an import spends its time, by sampling: what the database's sessions are doing every few
 * ms (pg_stat_activity), and how much CPU the Tideline process used (/proc). Cheap enough to leave
 * on while the import is timed.
 */
import { readFile } from 'node:fs/promises';
import pg from 'pg';

/** Share of samples per activity, most frequent first, and the CPU the database's sessions used. */
export interface ActivityProfile {
  samples: number;
  shares: { label: string; share: number }[];
  /** CPU seconds of the sessions seen busy, from the first sample each was seen busy in (NaN without /proc). */
  backendCpuSeconds: number;
  /** Share of the machine's CPU time (all cores, every process) that was busy: others' load shows here. */
  machineBusy: number;
}

// Busy and total jiffies of all cores since boot, from /proc/stat's first line.
async function machineJiffies(): Promise<{ busy: number; total: number }> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0] ?? '';
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.reduce((a, b) => a + b, 0);
    // idle and iowait are the 4th and 5th values.
    return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

const NONE = 'no statement or transaction open (Node parsing, or between batches)';

// "insert into sales_daily", "select orders", "node (idle in transaction)": the statement's verb and table.
function label(state: string, query: string): string {
  if (state === 'idle in transaction') return 'between statements, transaction open (Node working)';
  const q = query.replace(/\s+/g, ' ');
  // Not the `for update of` of a locking select.
  const write = /\b(insert into|delete from|(?<!for )update|copy)\s+"?(\w+)"?/i.exec(q);
  if (write) return `${(write[1] as string).toLowerCase()} ${write[2] as string}`;
  // A statement cut off (track_activity_query_size) inside its CTEs: its start is the best name.
  if (/^\s*with\b/i.test(q)) return `${q.trim().slice(0, 50)}…`;
  const read = /\bselect\b.*?\bfrom\s+"?(\w+)"?/i.exec(q);
  // Several selects read one table: their starts tell them apart.
  if (read) return `select from ${read[1] as string}: ${q.trim().slice(0, 45)}…`;
  return q.trim().slice(0, 50);
}

/** Samples the sessions on `dbName` every `everyMs` until stopped; answers the profile. */
export async function startActivitySampler(ownerUrl: string, dbName: string, everyMs: number): Promise<{ stop(): Promise<ActivityProfile> }> {
  const c = new pg.Client({ connectionString: ownerUrl, application_name: 'bench-kpis-sampler' });
  // A dropped database (the run failed) ends the sampling, not the benchmark.
  c.on('error', () => {});
  await c.connect();
  const machineBefore = await machineJiffies();
  const counts = new Map<string, number>();
  // Postgres runs on this machine in the benchmark's setups: its backends' CPU is in /proc too.
  const cpuAtFirstSight = new Map<number, number>();
  // A pooled connection may close before the end: its last reading stands for it.
  const cpuLastSeen = new Map<number, number>();
  let samples = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const r = await c.query<{ pid: number; state: string; query: string }>(
        `select pid, state, query from pg_stat_activity
         where datname = $1 and pid <> pg_backend_pid() and backend_type = 'client backend'
           and state in ('active', 'idle in transaction') and application_name <> 'bench-kpis-sampler'
           and query not like '%pg_stat_activity%'`,
        [dbName],
      );
      samples++;
      if (r.rows.length === 0) counts.set(NONE, (counts.get(NONE) ?? 0) + 1);
      for (const row of r.rows) {
        const now = await cpuSeconds(row.pid);
        if (!cpuAtFirstSight.has(row.pid) && Number.isFinite(now)) cpuAtFirstSight.set(row.pid, now);
        if (Number.isFinite(now)) cpuLastSeen.set(row.pid, now);
        const l = label(row.state, row.query);
        counts.set(l, (counts.get(l) ?? 0) + 1);
      }
      await new Promise((res) => setTimeout(res, everyMs));
    }
  })().catch(() => {
    stopped = true;
  });
  return {
    async stop() {
      stopped = true;
      await loop;
      await c.end().catch(() => {});
      const shares = [...counts.entries()].map(([l, n]) => ({ label: l, share: n / Math.max(1, samples) })).sort((a, b) => b.share - a.share);
      let backendCpuSeconds = 0;
      for (const [pid, first] of cpuAtFirstSight) {
        const end = await cpuSeconds(pid);
        backendCpuSeconds += (Number.isFinite(end) ? end : (cpuLastSeen.get(pid) ?? first)) - first;
      }
      const machine = await machineJiffies();
      const machineBusy = (machine.busy - machineBefore.busy) / (machine.total - machineBefore.total);
      return { samples, shares, backendCpuSeconds, machineBusy };
    },
  };
}

/** CPU seconds (user + system) a process has used so far; NaN where /proc is not there. */
export async function cpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start at ") ": utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}
