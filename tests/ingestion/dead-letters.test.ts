import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { harness, type Harness } from '../helpers/harness.ts';
import { api, auditRows, createUserAs, expectStatus, signUpTenant, type SignedUpTenant } from '../helpers/identity.ts';
import { createSourceAs, deliver, eventually, settled, type CreatedSource } from '../helpers/ingestion.ts';
import { customHeaders } from '../helpers/webhook-signing.ts';

type DeadLetter = { id: string; raw_event_id: string; status: string; replay_count: number; attempts: number; error: string; discard_reason: string | null };

function customOrder(externalId: string, currency: string) {
  return {
    externalId, orderNumber: null, paymentRef: null, storeExternalId: null, channel: 'pos', customer: null, currency, status: 'paid',
    subtotal: '12.50', discountTotal: '0', taxTotal: '0', shippingTotal: '0', total: '12.50', lines: [],
    placedAt: '2026-03-01T10:00:00.000Z', cancelledAt: null, updatedAt: '2026-03-01T10:00:00.000Z',
  };
}

describe('ingestion: dead letters and replay', function () {
  let h: Harness;
  let t: SignedUpTenant;
  let src: CreatedSource;

  /** Delivers an order that can never normalize (a bad currency) and answers its dead letter. */
  async function broken(externalId = `bad-${randomUUID()}`): Promise<{ letter: DeadLetter; externalId: string }> {
    const body = Buffer.from(JSON.stringify(customOrder(externalId, 'EURO')));
    const r = await deliver(h, src.path, body, customHeaders(body, src.secret, { topic: 'order.upsert', eventId: randomUUID() }));
    assert.equal(r.status, 202);
    const raw = await settled(h, r.body.raw_event_id as string);
    assert.equal(raw.status, 'failed');
    const letter = await eventually(async () => {
      const res = await api<{ data: DeadLetter[] }>(h, 'GET', '/dead-letters?status=open&limit=200', { token: t.adminToken });
      return res.body.data.find((d) => d.raw_event_id === raw.id);
    });
    return { letter, externalId };
  }

  /** Puts a corrected body in place of a raw event's, as a fixed normalizer would read it. */
  async function repair(rawEventId: string, externalId: string): Promise<void> {
    const fixed = JSON.stringify(customOrder(externalId, 'EUR'));
    const envelope = h.server.platform.cipher.encrypt(fixed, { tenantId: t.tenantId, table: 'raw_events', column: 'body' });
    await h.owner.updateTable('raw_events').set({ body_ciphertext: envelope }).where('id', '=', rawEventId).execute();
  }

  before(async function () {
    h = await harness();
    t = await signUpTenant(h);
    src = await createSourceAs(h, t.adminToken, 'custom');
  });

  it('lists and reads a dead letter with its error and attempt count', async function () {
    const { letter } = await broken();
    assert.equal(letter.status, 'open');
    assert.ok(letter.attempts >= 1);
    assert.match(letter.error, /currency/);
    const one = await api<DeadLetter>(h, 'GET', `/dead-letters/${letter.id}`, { token: t.adminToken });
    expectStatus(one, 200);
    assert.equal(one.body.id, letter.id);
    const raw = await api<{ status: string; body: { externalId: string } }>(h, 'GET', `/raw-events/${letter.raw_event_id}`, { token: t.adminToken });
    expectStatus(raw, 200);
    assert.equal(raw.body.status, 'failed');
    assert.match(raw.body.body.externalId, /^bad-/);
  });

  it('replays one dead letter; replaying twice changes nothing more', async function () {
    const { letter, externalId } = await broken();
    await repair(letter.raw_event_id, externalId);
    const first = await api<DeadLetter>(h, 'POST', `/dead-letters/${letter.id}/replay`, { token: t.adminToken });
    expectStatus(first, 202);
    assert.deepEqual([first.body.status, first.body.replay_count], ['replayed', 1]);
    const second = await api<DeadLetter>(h, 'POST', `/dead-letters/${letter.id}/replay`, { token: t.adminToken });
    expectStatus(second, 202);
    assert.equal(second.body.replay_count, 1, 'a second replay queues nothing');
    assert.equal((await settled(h, letter.raw_event_id)).status, 'processed');
    const orders = await h.owner.selectFrom('orders').select('total').where('source_id', '=', src.id).where('external_id', '=', externalId).execute();
    assert.deepEqual(orders, [{ total: '12.5000' }]);
    const third = await api<DeadLetter>(h, 'POST', `/dead-letters/${letter.id}/replay`, { token: t.adminToken });
    assert.equal(third.body.replay_count, 1);
    assert.equal((await h.owner.selectFrom('orders').select('id').where('source_id', '=', src.id).where('external_id', '=', externalId).execute()).length, 1);
  });

  it('a replay that fails again reopens the dead letter', async function () {
    const { letter } = await broken();
    expectStatus(await api(h, 'POST', `/dead-letters/${letter.id}/replay`, { token: t.adminToken }), 202);
    const reopened = await eventually(async () => {
      const r = await api<DeadLetter>(h, 'GET', `/dead-letters/${letter.id}`, { token: t.adminToken });
      return r.body.status === 'open' ? r.body : undefined;
    });
    assert.equal(reopened.replay_count, 1);
  });

  it('discards with a reason (audited); a discarded letter cannot be replayed', async function () {
    const { letter } = await broken();
    expectStatus(await api(h, 'POST', `/dead-letters/${letter.id}/discard`, { token: t.adminToken, body: {} }), 400, 'no reason');
    const d = await api<DeadLetter>(h, 'POST', `/dead-letters/${letter.id}/discard`, { token: t.adminToken, body: { reason: 'test order' } });
    expectStatus(d, 200);
    assert.deepEqual([d.body.status, d.body.discard_reason], ['discarded', 'test order']);
    expectStatus(await api(h, 'POST', `/dead-letters/${letter.id}/replay`, { token: t.adminToken }), 409, 'replay after discard');
    const raw = await h.owner.selectFrom('raw_events').select('status').where('id', '=', letter.raw_event_id).executeTakeFirstOrThrow();
    assert.equal(raw.status, 'discarded');
    const audit = await auditRows(h, t.tenantId, 'dead_letter.discarded');
    assert.ok(audit.some((a) => a.target_id === letter.id));
  });

  it('replays many by filter as a job, with the count back', async function () {
    const own = await createSourceAs(h, t.adminToken, 'custom');
    const keep = src;
    src = own;
    const letters = [await broken(), await broken(), await broken()];
    src = keep;
    for (const l of letters) await repair(l.letter.raw_event_id, l.externalId);
    const res = await api<{ count: number; job_id: string | null }>(h, 'POST', '/dead-letters/replay', { token: t.adminToken, body: { source_id: own.id } });
    expectStatus(res, 202);
    assert.equal(res.body.count, 3);
    assert.ok(res.body.job_id);
    // The job runs later: until then the events are still `failed`.
    for (const l of letters) {
      await eventually(async () => {
        const r = await h.owner.selectFrom('raw_events').select('status').where('id', '=', l.letter.raw_event_id).executeTakeFirstOrThrow();
        return r.status === 'processed' ? true : undefined;
      }, 15_000, 'bulk replay to process');
    }
    const none = await api<{ count: number; job_id: string | null }>(h, 'POST', '/dead-letters/replay', { token: t.adminToken, body: { source_id: own.id } });
    assert.deepEqual(none.body, { count: 0, job_id: null });
  });

  it('a viewer may not read dead letters; an analyst may, but may not register sources', async function () {
    const viewer = await createUserAs(h, t.adminToken, 'viewer');
    expectStatus(await api(h, 'GET', '/dead-letters', { token: viewer.token }), 403, 'viewer lists dead letters');
    const analyst = await createUserAs(h, t.adminToken, 'analyst');
    expectStatus(await api(h, 'GET', '/dead-letters', { token: analyst.token }), 200, 'analyst lists dead letters');
    expectStatus(await api(h, 'POST', '/sources', { token: analyst.token, body: { provider: 'custom', name: 'x' } }), 403, 'analyst creates a source');
  });
});
