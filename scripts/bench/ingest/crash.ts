/**
 * Part 2: kill -9 under load. Whatever Tideline acknowledged must be in the raw store exactly once
 * after a restart, and the restarted workers must normalize all of it into exactly one order (every
 * delivery carries the same order body).
 */
import type pg from 'pg';
import { signUpTenant } from '../lib/api.ts';
import { num, printTable } from '../lib/format.ts';
import { queryNumber, withOwner } from '../lib/owner.ts';
import { startTideline } from '../lib/tideline.ts';
import { fireUntilKilled, type CrashOutcome } from './crash-load.ts';
import type { PartResult } from './result.ts';
import type { IngestSettings } from './settings.ts';
import { createShopifySource, orderBody } from './shopify.ts';

/** Every stored event key of a source, with how many rows each has. */
async function storedKeys(c: pg.Client, sourceId: string): Promise<Map<string, number>> {
  const r = await c.query<{ event_key: string; n: number }>('select event_key, count(*)::int as n from raw_events where source_id = $1 group by event_key', [sourceId]);
  return new Map(r.rows.map((row) => [row.event_key, row.n]));
}

/** Raw events of the source per status. */
async function statuses(c: pg.Client, sourceId: string): Promise<Record<string, number>> {
  const r = await c.query<{ status: string; n: number }>('select status, count(*)::int as n from raw_events where source_id = $1 group by status', [sourceId]);
  return Object.fromEntries(r.rows.map((row) => [row.status, row.n]));
}

// Still to be worked on: pending, or failed with a retry to come (a failure parked as an open dead letter is final).
const UNSETTLED = `select count(*) from raw_events r where r.source_id = $1 and (r.status = 'pending'
  or (r.status = 'failed' and not exists (select 1 from dead_letters d where d.raw_event_id = r.id and d.status = 'open')))`;

/** How a drain went: what is left, how long it was watched, and the rate it settled at. */
interface Drained {
  unsettled: number;
  ms: number;
  perSecond: number;
  /** Stopped before the deadline because the rate seen could not finish in time. */
  gaveUp: boolean;
}

// Watched at least this long (capped at a quarter of the allowance) before judging the rate: the
// first polls see a server still warming up.
const OBSERVE_MS = 30_000;

/** Polls until every raw event of the source is settled, the deadline passes, or the rate seen makes the deadline hopeless. */
async function drain(c: pg.Client, sourceId: string, seconds: number): Promise<Drained> {
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const observeMs = Math.min(OBSERVE_MS, (seconds * 1000) / 4);
  const initial = await queryNumber(c, UNSETTLED, [sourceId]);
  for (;;) {
    const unsettled = await queryNumber(c, UNSETTLED, [sourceId]);
    const now = performance.now();
    const ms = now - started;
    const perSecond = (initial - unsettled) / (ms / 1000);
    if (unsettled === 0 || now > deadline) return { unsettled, ms, perSecond, gaveUp: false };
    // Past the deadline at the rate seen: waiting it out would only burn minutes to say the same.
    if (ms > observeMs && perSecond > 0 && unsettled / perSecond > (deadline - now) / 1000) return { unsettled, ms, perSecond, gaveUp: true };
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Compares what the senders were told with what is stored. */
function checks(load: CrashOutcome, stored: Map<string, number>) {
  const missing = [...load.acked].filter((id) => !stored.has(id));
  const duplicates = [...stored.values()].filter((n) => n > 1).length;
  const failedButStored = [...load.failed].filter((id) => stored.has(id)).length;
  const sentIds = (id: string) => load.acked.has(id) || load.failed.has(id) || load.rejected.has(id);
  const strangers = [...stored.keys()].filter((k) => !sentIds(k)).length;
  return { missing, duplicates, failedButStored, strangers };
}

/** Runs part 2 on its own database at `url` (owner role). */
export async function benchCrash(s: IngestSettings, url: string, serverEnv: Record<string, string>): Promise<PartResult> {
  const problems: string[] = [];
  // Workers off while loading, as in part 1: a kill then cannot strand a half-run job that pg-boss
  // would only hand out again once it expires.
  const first = await startTideline({ databaseUrl: url, role: 'api', env: serverEnv, name: 'tideline(api, to be killed)' });
  let sourceId: string;
  let load: CrashOutcome;
  try {
    const tenant = await signUpTenant(first.api);
    const source = await createShopifySource(first.api, tenant.token);
    sourceId = source.id;
    // The child was given DATABASE_URL, so its process group is Node alone: Postgres survives the kill.
    load = await fireUntilKilled(`${first.origin}${source.path}`, orderBody(), source.secret, s.crashConcurrency, s.crashAfterMs, () => first.child.signal('SIGKILL'));
    await first.child.exited;
  } finally {
    await first.child.stop();
  }
  const second = await startTideline({ databaseUrl: url, role: 'all', port: first.port, env: serverEnv, name: 'tideline(all, restarted)' });
  try {
    await withOwner(url, async (c) => {
      const stored = await storedKeys(c, sourceId);
      const found = checks(load, stored);
      const drained = await drain(c, sourceId, s.drainSeconds);
      const orders = await queryNumber(c, 'select count(*) from orders where source_id = $1', [sourceId]);
      const dead = await queryNumber(c, 'select count(*) from dead_letters d join raw_events r on r.id = d.raw_event_id where r.source_id = $1', [sourceId]);
      const pending = drained.unsettled;
      const settled = Object.entries(await statuses(c, sourceId)).map(([k, v]) => `${k} ${num(v)}`).join(', ');
      printTable(
        `Part 2 — kill -9 after ${num(load.killedAtMs / 1000, 1)} s of ${s.crashConcurrency} concurrent signed deliveries, then restart with workers`,
        ['sent', 'acknowledged', 'non-2xx', 'conn. failed', 'failed but stored', 'stored', 'acknowledged-but-missing', 'duplicates-in-store', 'pending after drain', 'orders'],
        [[num(load.sent), num(load.acked.size), num(load.rejected.size), num(load.failed.size), num(found.failedButStored), num(stored.size), num(found.missing.length), num(found.duplicates), num(pending), num(orders)]],
      );
      const left = pending > 0 ? `; ${num(pending)} left, ~${num(pending / drained.perSecond, 0)} s more at that rate${drained.gaveUp ? ' (stopped waiting early)' : ''}` : '';
      process.stdout.write(`after restart: ${settled}; watched ${num(drained.ms / 1000, 1)} s, normalized ${num(drained.perSecond, 1)} events/s (1 process, TIDELINE_ROLE=all)${left}; dead letters ${num(dead)}\n`);
      if (found.missing.length > 0) problems.push(`LOST: ${found.missing.length} acknowledged deliveries are not stored (e.g. ${found.missing.slice(0, 5).join(', ')})`);
      if (found.duplicates > 0) problems.push(`${found.duplicates} event ids are stored more than once`);
      if (found.strangers > 0) problems.push(`${found.strangers} stored event ids were never sent`);
      if (load.rejected.size > 0) problems.push(`${load.rejected.size} deliveries were answered with a non-2xx status: ${[...new Set(load.rejected.values())].join(', ')}`);
      if (load.acked.size === 0) problems.push('no delivery was acknowledged before the kill: the test proved nothing');
      if (pending > 0) problems.push(`${pending} raw events still pending (or failed, retry to come) after ${num(drained.ms / 1000, 0)} s of draining at ${num(drained.perSecond, 1)} events/s`);
      if (orders !== 1) problems.push(`expected exactly 1 order row for the source, found ${orders}`);
    });
  } finally {
    await second.child.stop();
  }
  return { problems };
}
