import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CompiledQuery, sql } from 'kysely';
import { PgBoss } from 'pg-boss';
import { createLogger } from '../../src/platform/log.ts';
import { createBoss, deadLetterName, defineQueue, enqueue, gatedJobInsert, installJobs, jobsJson, startWorkers, tenantPayload } from '../../src/platform/jobs.ts';
import { currentTenant, withTenant } from '../../src/platform/tenancy.ts';
import { harness, type Harness } from '../helpers/harness.ts';
import { createTenant } from '../helpers/tenants.ts';

interface EchoPayload { tenantId: string; marker: string; fail: boolean }

const seen: { marker: string; tenantSeen: string | null; retryCount: number; at: number }[] = [];
const queue = defineQueue<EchoPayload>({
  name: `test-echo-${randomUUID().slice(0, 8)}`,
  retryLimit: 2,
  retryDelay: 1,
  parse(data) {
    const p = tenantPayload(data);
    if (typeof p.marker !== 'string' || typeof p.fail !== 'boolean') throw new Error('bad payload');
    return { tenantId: p.tenantId, marker: p.marker, fail: p.fail };
  },
  async handle(trx, payload, job) {
    seen.push({ marker: payload.marker, tenantSeen: await currentTenant(trx), retryCount: job.retryCount, at: Date.now() });
    if (payload.fail) throw new Error('always fails');
  },
});

async function waitFor<T>(fn: () => Promise<T | undefined>, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function jobsIn(h: Harness, name: string) {
  const r = await sql<{ state: string; data: { marker: string }; retry_count: number; retry_backoff: boolean }>`
    select state, data, retry_count, retry_backoff from pgboss.job where name = ${name}`.execute(h.owner);
  return r.rows;
}

describe('jobs: transactional enqueue, tenant-scoped workers, retries and dead letters', () => {
  let h: Harness;
  let boss: PgBoss;
  let tenant: string;
  before(async () => {
    h = await harness();
    tenant = await createTenant(h);
    await installJobs(h.server.platform.ownerUrl, h.owner, [queue as never]);
    const log = createLogger('silent');
    boss = createBoss(h.server.platform.appUrl, log);
    await boss.start();
    await startWorkers(boss, h.server.platform.db, [queue as never], { log, cipher: h.server.platform.cipher, config: h.server.platform.config, stores: h.server.platform.stores }, { pollingIntervalSeconds: 0.5 });
  });
  after(() => boss.stop({ graceful: false, close: true }));

  it('a rolled-back transaction leaves no job', async () => {
    const marker = randomUUID();
    await assert.rejects(
      withTenant(h.server.platform.db, tenant, async (trx) => {
        await enqueue(boss, trx, queue, { tenantId: tenant, marker, fail: false });
        throw new Error('roll back');
      }),
      /roll back/,
    );
    await new Promise((r) => setTimeout(r, 300));
    const rows = (await jobsIn(h, queue.name)).filter((j) => j.data.marker === marker);
    assert.equal(rows.length, 0);
    assert.ok(!seen.some((s) => s.marker === marker));
  });

  it('a committed job runs with its tenant set', async () => {
    const marker = randomUUID();
    await withTenant(h.server.platform.db, tenant, (trx) => enqueue(boss, trx, queue, { tenantId: tenant, marker, fail: false }));
    const run = await waitFor(() => Promise.resolve(seen.find((s) => s.marker === marker)), 'the job to run');
    assert.equal(run.tenantSeen, tenant);
    const state = await waitFor(async () => (await jobsIn(h, queue.name)).find((j) => j.data.marker === marker && j.state === 'completed'), 'completion');
    assert.equal(state.state, 'completed');
  });

  it('a job with a malformed payload fails without running the handler', async () => {
    await boss.send(queue.name, { tenantId: 'not-a-uuid', marker: 'bad', fail: false });
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(!seen.some((s) => s.marker === 'bad'));
  });

  it('a failing job retries with backoff, then lands in its dead-letter queue', async () => {
    const marker = randomUUID();
    await withTenant(h.server.platform.db, tenant, (trx) => enqueue(boss, trx, queue, { tenantId: tenant, marker, fail: true }));
    const dead = await waitFor(
      () => jobsIn(h, deadLetterName(queue.name)).then((rows) => rows.find((j) => j.data.marker === marker)),
      'the dead letter',
      30_000,
    );
    assert.equal(dead.data.marker, marker);
    const attempts = seen.filter((s) => s.marker === marker);
    assert.deepEqual(attempts.map((a) => a.retryCount), [0, 1, 2]);
    const original = (await jobsIn(h, queue.name)).find((j) => j.data.marker === marker);
    assert.equal(original?.state, 'failed');
    assert.equal(original?.retry_backoff, true);
    // Backoff: each retry waited at least the base delay (1 s) after the attempt before it.
    for (let i = 1; i < attempts.length; i++) assert.ok((attempts[i]?.at ?? 0) - (attempts[i - 1]?.at ?? 0) >= 900);
  });

  it('a gated job insert queues its job, with the queue’s policy, only when its gate returned a row', async () => {
    const text = await gatedJobInsert(boss, queue, 'gate');
    const run = async (open: boolean, marker: string) => {
      const statement = `with gate as (select 1 where $2::bool), job as (${text}) select count(*)::int as n from gate`;
      await h.owner.executeQuery(CompiledQuery.raw(statement, [jobsJson(queue, { tenantId: tenant, marker, fail: false }), open]));
    };
    await run(false, 'gate-closed');
    await run(true, 'gate-open');
    const opened = await waitFor(() => Promise.resolve(seen.find((x) => x.marker === 'gate-open')), 'the gated job to run');
    assert.equal(opened.tenantSeen, tenant);
    const rows = (await jobsIn(h, queue.name)).filter((j) => j.data.marker.startsWith('gate-'));
    assert.deepEqual(rows.map((j) => j.data.marker), ['gate-open'], 'the closed gate queued nothing');
    assert.equal(seen.some((x) => x.marker === 'gate-closed'), false);
    const policy = await sql<{ retry_limit: number; dead_letter: string }>`select retry_limit, dead_letter from pgboss.job where name = ${queue.name} and data->>'marker' = 'gate-open'`.execute(h.owner);
    assert.deepEqual(policy.rows[0], { retry_limit: 2, dead_letter: deadLetterName(queue.name) });
    await assert.rejects(gatedJobInsert(boss, { name: `test-missing-${randomUUID().slice(0, 8)}` }, 'gate'), /is not installed/);
  });
});
