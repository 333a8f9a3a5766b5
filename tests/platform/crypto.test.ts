import assert from 'node:assert/strict';
import { createCipheriv, createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { sql, type Kysely } from 'kysely';
import {
  DEV_KEY_ID,
  DecryptError,
  FieldCipher,
  KeyConfigError,
  devBlindIndexKey,
  devKeyRing,
  parseBlindIndexKey,
  parseKeyRing,
  reencryptBatch,
  type DecryptFailure,
  type EncryptedColumn,
} from '../../src/platform/crypto/index.ts';
import { tenantTable } from '../../src/platform/migration-helpers.ts';
import { withTenant } from '../../src/platform/tenancy.ts';
import { harness, type Harness } from '../helpers/harness.ts';

const b64 = (bytes: Buffer): string => bytes.toString('base64');
const keyA = randomBytes(32);
const keyB = randomBytes(32);
const blindKey = createSecretKey(randomBytes(32));
const ctx = { tenantId: randomUUID(), table: 'people', column: 'email' };

function cipherOf(keys: string): FieldCipher {
  return new FieldCipher(parseKeyRing(keys), blindKey);
}

function failsWith(reason: DecryptFailure): (err: unknown) => boolean {
  return (err) => err instanceof DecryptError && err.reason === reason;
}

// Rewrites one part of an envelope with one byte flipped.
function flip(envelope: string, part: 2 | 3, at: 'first' | 'last'): string {
  const parts = envelope.split('.');
  const bytes = Buffer.from(parts[part] ?? '', 'base64url');
  const i = at === 'first' ? 0 : bytes.length - 1;
  bytes[i] = (bytes[i] ?? 0) ^ 0x01;
  parts[part] = bytes.toString('base64url');
  return parts.join('.');
}

describe('crypto: field envelopes', () => {
  const cipher = cipherOf(`a:${b64(keyA)}`);

  it('round-trips text, including empty and non-ASCII, with a fresh IV each time', () => {
    for (const text of ['alice@example.com', '', 'Zoë Ünïcødé 山田 🚀']) {
      assert.equal(cipher.decrypt(cipher.encrypt(text, ctx), ctx), text);
    }
    const one = cipher.encrypt('same', ctx);
    const two = cipher.encrypt('same', ctx);
    assert.notEqual(one, two);
    assert.match(one, /^v1\.a\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
  });

  it('refuses text that would not round-trip (lone surrogate)', () => {
    assert.throws(() => cipher.encrypt('bad \ud800', ctx), TypeError);
  });

  it('fails to decrypt in another tenant, table or column', () => {
    const envelope = cipher.encrypt('alice@example.com', ctx);
    for (const other of [
      { ...ctx, tenantId: randomUUID() },
      { ...ctx, table: 'customers' },
      { ...ctx, column: 'phone' },
    ]) {
      assert.throws(() => cipher.decrypt(envelope, other), failsWith('authentication'));
    }
    // A uuid is the same uuid in either case.
    assert.equal(cipher.decrypt(envelope, { ...ctx, tenantId: ctx.tenantId.toUpperCase() }), 'alice@example.com');
  });

  it('fails when one byte of the IV, the ciphertext or the tag is flipped', () => {
    const envelope = cipher.encrypt('alice@example.com', ctx);
    for (const tampered of [flip(envelope, 2, 'first'), flip(envelope, 3, 'first'), flip(envelope, 3, 'last')]) {
      assert.notEqual(tampered, envelope);
      assert.throws(() => cipher.decrypt(tampered, ctx), failsWith('authentication'));
    }
  });

  it('rejects malformed envelopes', () => {
    const envelope = cipher.encrypt('x', ctx);
    const [, , iv, sealed] = envelope.split('.');
    for (const bad of [
      '',
      'alice@example.com',
      envelope.replace(/^v1/, 'v2'),
      `${envelope}.extra`,
      `v1.a.${iv ?? ''}`,
      `v1.a.${(iv ?? '').slice(0, 8)}.${sealed ?? ''}`,
      `v1.a.${iv ?? ''}.${(sealed ?? '').slice(0, 20)}`,
      `v1.a.${iv ?? ''}.${sealed ?? ''}=`,
      `v1.a b.${iv ?? ''}.${sealed ?? ''}`,
    ]) {
      assert.throws(() => cipher.decrypt(bad, ctx), failsWith('malformed'), bad);
    }
  });

  it('fails for a key id that is not in the ring, and for a relabelled key id', () => {
    const other = cipherOf(`z:${b64(keyB)}`);
    const envelope = other.encrypt('alice@example.com', ctx);
    assert.throws(() => cipher.decrypt(envelope, ctx), failsWith('unknown-key'));
    // Same key under another id: the key id is part of the associated data.
    const both = cipherOf(`a:${b64(keyA)},z:${b64(keyB)}`);
    const relabelled = cipher.encrypt('alice@example.com', ctx).replace(/^v1\.a\./, 'v1.z.');
    assert.throws(() => both.decrypt(relabelled, ctx), failsWith('authentication'));
  });

  it('decrypts a fixed envelope built with node:crypto from the documented format (known answer)', () => {
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    const iv = Buffer.from('000102030405060708090a0b', 'hex');
    const kat = { tenantId: '0b9c6c1e-6a3f-4a8e-9a52-3f1d2f4c5b6a', table: 'people', column: 'email' };
    const aes = createCipheriv('aes-256-gcm', key, iv);
    aes.setAAD(Buffer.from(JSON.stringify(['v1', 'kat-1', kat.tenantId, kat.table, kat.column]), 'utf8'));
    const sealed = Buffer.concat([aes.update('alice@example.com', 'utf8'), aes.final(), aes.getAuthTag()]);
    const built = `v1.kat-1.${iv.toString('base64url')}.${sealed.toString('base64url')}`;
    // Pinned literal: a change to the format (or to how the test builds it) shows up here.
    const pinned = 'v1.kat-1.AAECAwQFBgcICQoL.Jm6_eKClp2PsLOfn1McbAu6J4A8dQXLS67Aosh1Oqwk0';
    assert.equal(built, pinned);
    const katCipher = cipherOf(`kat-1:${b64(key)}`);
    assert.equal(katCipher.decrypt(pinned, kat), 'alice@example.com');
    assert.equal(katCipher.needsReencrypt(pinned), false);
  });

  it('rotates: old envelopes still decrypt, need re-encryption, and move to the newest key', () => {
    const oldRing = cipherOf(`a:${b64(keyA)}`);
    const envelope = oldRing.encrypt('alice@example.com', ctx);
    assert.equal(oldRing.needsReencrypt(envelope), false);
    assert.equal(oldRing.reencrypt(envelope, ctx), envelope);

    const newRing = cipherOf(`a:${b64(keyA)},b:${b64(keyB)}`);
    assert.equal(newRing.activeKeyId, 'b');
    assert.equal(newRing.decrypt(envelope, ctx), 'alice@example.com');
    assert.equal(newRing.needsReencrypt(envelope), true);
    const moved = newRing.reencrypt(envelope, ctx);
    assert.match(moved, /^v1\.b\./);
    assert.equal(newRing.needsReencrypt(moved), false);
    assert.equal(newRing.decrypt(moved, ctx), 'alice@example.com');
    // Once key A is dropped from the ring, only the moved value still opens.
    const onlyB = cipherOf(`b:${b64(keyB)}`);
    assert.equal(onlyB.decrypt(moved, ctx), 'alice@example.com');
    assert.throws(() => onlyB.decrypt(envelope, ctx), failsWith('unknown-key'));
    // Re-encryption checks the context too.
    assert.throws(() => newRing.reencrypt(envelope, { ...ctx, column: 'phone' }), failsWith('authentication'));
  });

  it('keeps key bytes out of util.inspect', () => {
    const shown = inspect(cipher, { depth: 5 }) + inspect(parseKeyRing(`a:${b64(keyA)}`), { depth: 5 });
    assert.ok(!shown.includes(b64(keyA)) && !shown.includes(keyA.toString('hex')));
  });
});

describe('crypto: blind indexes', () => {
  const cipher = cipherOf(`a:${b64(keyA)}`);

  it('is stable, hex, and normalizes emails (trim, lowercase, NFKC)', () => {
    const index = cipher.blindIndex('foo@example.com', 'email', ctx);
    assert.match(index, /^[0-9a-f]{64}$/);
    assert.equal(cipher.blindIndex('foo@example.com', 'email', ctx), index);
    assert.equal(cipher.blindIndex(' Foo@Example.COM ', 'email', ctx), index);
    assert.equal(cipher.blindIndex('ｆｏｏ@ｅｘａｍｐｌｅ.ｃｏｍ', 'email', ctx), index);
    assert.notEqual(cipher.blindIndex('bar@example.com', 'email', ctx), index);
  });

  it('exact only applies NFKC: case and spaces still matter', () => {
    const index = cipher.blindIndex('Ab1', 'exact', ctx);
    assert.equal(cipher.blindIndex('Ａｂ１', 'exact', ctx), index);
    assert.notEqual(cipher.blindIndex('ab1', 'exact', ctx), index);
    assert.notEqual(cipher.blindIndex(' Ab1', 'exact', ctx), index);
  });

  it('differs across tenants, tables, columns and blind-index keys', () => {
    const index = cipher.blindIndex('foo@example.com', 'email', ctx);
    assert.notEqual(cipher.blindIndex('foo@example.com', 'email', { ...ctx, tenantId: randomUUID() }), index);
    assert.notEqual(cipher.blindIndex('foo@example.com', 'email', { ...ctx, table: 'customers' }), index);
    assert.notEqual(cipher.blindIndex('foo@example.com', 'email', { ...ctx, column: 'backup_email' }), index);
    const otherKey = new FieldCipher(parseKeyRing(`a:${b64(keyA)}`), createSecretKey(randomBytes(32)));
    assert.notEqual(otherKey.blindIndex('foo@example.com', 'email', ctx), index);
    // Independent of the encryption keys: rotating them keeps every index valid.
    assert.equal(cipherOf(`a:${b64(keyA)},b:${b64(keyB)}`).blindIndex('foo@example.com', 'email', ctx), index);
  });
});

describe('crypto: key configuration', () => {
  function rejects(parse: () => unknown, pattern: RegExp): void {
    assert.throws(parse, (err: unknown) => {
      assert.ok(err instanceof KeyConfigError);
      assert.match(err.message, pattern);
      assert.ok(!err.message.includes(b64(keyA)) && !err.message.includes(b64(keyA).slice(0, 20)), 'key material in an error message');
      return true;
    });
  }

  it('parses id:base64key entries, the last one active', () => {
    const ring = parseKeyRing(` old:${b64(keyA)} , new_2:${b64(keyB)}`);
    assert.equal(ring.activeId, 'new_2');
    assert.deepEqual([...ring.keys.keys()], ['old', 'new_2']);
  });

  it('rejects malformed FIELD_ENCRYPTION_KEYS with a message naming it', () => {
    rejects(() => parseKeyRing(''), /^FIELD_ENCRYPTION_KEYS must list at least one/);
    rejects(() => parseKeyRing(b64(keyA)), /^FIELD_ENCRYPTION_KEYS entry 1 must be id:base64key/);
    rejects(() => parseKeyRing(`a:${b64(keyA)},`), /^FIELD_ENCRYPTION_KEYS entry 2 must be id:base64key/);
    rejects(() => parseKeyRing(`bad.id:${b64(keyA)}`), /^FIELD_ENCRYPTION_KEYS entry 1: key id "bad.id" must match/);
    rejects(() => parseKeyRing(`:${b64(keyA)}`), /^FIELD_ENCRYPTION_KEYS entry 1: key id "" must match/);
    rejects(() => parseKeyRing(`${'x'.repeat(33)}:${b64(keyA)}`), /must match/);
    rejects(() => parseKeyRing(`a:${b64(keyA).replace(/.$/, '!')}`), /^FIELD_ENCRYPTION_KEYS entry 1 \(id "a"\): key is not valid base64/);
    rejects(() => parseKeyRing(`a:${b64(keyA).replace(/=$/, '')}`), /not valid base64/);
    rejects(() => parseKeyRing(`a:${keyA.toString('base64url')}`), /not valid base64/);
    rejects(() => parseKeyRing(`a:${b64(randomBytes(16))}`), /^FIELD_ENCRYPTION_KEYS entry 1 \(id "a"\): key must decode to 32 bytes \(got 16\)/);
    rejects(() => parseKeyRing(`a:${b64(randomBytes(33))}`), /32 bytes \(got 33\)/);
    rejects(() => parseKeyRing(`a:${b64(keyA)},a:${b64(keyB)}`), /^FIELD_ENCRYPTION_KEYS: key id "a" is listed twice/);
    rejects(() => parseKeyRing(`a:${b64(keyA)},b:${b64(keyA)}`), /^FIELD_ENCRYPTION_KEYS: keys "a" and "b" are the same key/);
  });

  it('rejects malformed BLIND_INDEX_KEY with a message naming it', () => {
    assert.ok(parseBlindIndexKey(b64(randomBytes(32))));
    assert.ok(parseBlindIndexKey(b64(randomBytes(64))));
    rejects(() => parseBlindIndexKey(''), /^BLIND_INDEX_KEY must be base64/);
    rejects(() => parseBlindIndexKey('not base64!'), /^BLIND_INDEX_KEY must be base64/);
    rejects(() => parseBlindIndexKey(b64(randomBytes(31))), /^BLIND_INDEX_KEY must decode to at least 32 bytes \(got 31\)/);
  });

  it('refuses a blind-index key that is also an encryption key', () => {
    rejects(() => new FieldCipher(parseKeyRing(`a:${b64(keyA)}`), parseBlindIndexKey(b64(keyA))), /^BLIND_INDEX_KEY must differ from FIELD_ENCRYPTION_KEYS key "a"/);
  });

  it('derives the same development keys every time', () => {
    const one = new FieldCipher(devKeyRing(), devBlindIndexKey());
    const two = new FieldCipher(devKeyRing(), devBlindIndexKey());
    assert.equal(one.activeKeyId, DEV_KEY_ID);
    assert.equal(two.decrypt(one.encrypt('alice@example.com', ctx), ctx), 'alice@example.com');
    assert.equal(one.blindIndex('foo@example.com', 'email', ctx), two.blindIndex('foo@example.com', 'email', ctx));
  });
});

describe('crypto: reencryptBatch', () => {
  let h: Harness;
  const table = `crypto_reencrypt_${randomBytes(4).toString('hex')}`;
  const column: EncryptedColumn = { table, column: 'email', idColumn: 'id', tenantColumn: 'tenant_id' };
  const tenantA = randomUUID();
  const tenantB = randomUUID();
  const underA = cipherOf(`a:${b64(keyA)}`);
  const underB = cipherOf(`a:${b64(keyA)},b:${b64(keyB)}`);
  const at = (tenantId: string) => ({ tenantId, table, column: 'email' });

  async function insert(tenantId: string, cipher: FieldCipher, email: string | null): Promise<void> {
    const value = email === null ? null : cipher.encrypt(email, at(tenantId));
    await withTenant(h.server.platform.db, tenantId, (trx) =>
      sql`insert into ${sql.table(table)} (tenant_id, email) values (${tenantId}, ${value})`.execute(trx),
    );
  }

  async function rows(tenantId: string): Promise<{ id: number; email: string | null }[]> {
    const r = await sql<{ id: number; email: string | null }>`select id, email from ${sql.table(table)} where tenant_id = ${tenantId} order by id`.execute(h.owner);
    return r.rows;
  }

  before(async () => {
    h = await harness();
    // Shaped like a real tenant table: RLS forced, app role granted; the batch runs as the app role.
    await sql`create table ${sql.table(table)} (tenant_id uuid not null, id bigint generated always as identity, email text, primary key (tenant_id, id))`.execute(h.owner);
    // tenantTable is typed for migrations (Kysely<unknown>); the owner connection is the same role.
    await tenantTable(h.owner as unknown as Kysely<unknown>, table, 'select, insert, update');
    for (let i = 0; i < 5; i++) await insert(tenantA, underA, `user${i}@example.com`);
    await insert(tenantA, underB, 'already@example.com');
    await insert(tenantA, underA, null);
    await insert(tenantB, underA, 'other@example.com');
  });

  after(async () => {
    await sql`drop table if exists ${sql.table(table)}`.execute(h.owner);
  });

  it('moves one tenant’s values to the active key in batches, touching nothing else', async () => {
    const start = await rows(tenantA);
    const run = (limit: number) => withTenant(h.server.platform.db, tenantA, (trx) => reencryptBatch(trx, underB, column, tenantA, limit));
    assert.equal(await run(3), 3);
    assert.equal(await run(3), 2);
    assert.equal(await run(3), 0);

    const end = await rows(tenantA);
    assert.deepEqual(end.map((r) => r.id), start.map((r) => r.id));
    for (const [i, row] of end.entries()) {
      if (row.email === null) {
        assert.equal(start[i]?.email, null);
        continue;
      }
      assert.match(row.email, /^v1\.b\./);
      assert.equal(underB.decrypt(row.email, at(tenantA)), underB.decrypt(start[i]?.email ?? '', at(tenantA)));
    }
    // The value already under key B was left as it was.
    const already = start.find((r) => r.email?.startsWith('v1.b.'));
    assert.ok(already && end.some((r) => r.email === already.email));
    // Tenant B's row is still under key A until its own batch runs.
    const [other] = await rows(tenantB);
    assert.match(other?.email ?? '', /^v1\.a\./);
  });

  it('escapes `_` in the active key id (LIKE would treat it as a wildcard)', async () => {
    // Key ids k_1 and kx1: with an unescaped pattern 'v1.k_1.%', rows under kx1 would look current.
    const kx = cipherOf(`kx1:${b64(keyA)}`);
    const ring = cipherOf(`kx1:${b64(keyA)},k_1:${b64(keyB)}`);
    const tenant = randomUUID();
    await insert(tenant, kx, 'wild@example.com');
    const n = await withTenant(h.server.platform.db, tenant, (trx) => reencryptBatch(trx, ring, column, tenant, 10));
    assert.equal(n, 1);
    const [row] = await rows(tenant);
    assert.match(row?.email ?? '', /^v1\.k_1\./);
  });

  it('fails naming the row, not the value, when a value does not decrypt', async () => {
    const tenant = randomUUID();
    // Encrypted for another column: its tag check fails in this one.
    const misplaced = underA.encrypt('secret@example.com', { tenantId: tenant, table, column: 'phone' });
    await withTenant(h.server.platform.db, tenant, (trx) =>
      sql`insert into ${sql.table(table)} (tenant_id, email) values (${tenant}, ${misplaced})`.execute(trx),
    );
    await assert.rejects(
      withTenant(h.server.platform.db, tenant, (trx) => reencryptBatch(trx, underB, column, tenant, 10)),
      (err: unknown) => err instanceof DecryptError && err.reason === 'authentication' && err.message.startsWith(`${table}.email row `) && !err.message.includes('secret'),
    );
    await assert.rejects(
      withTenant(h.server.platform.db, tenant, (trx) => reencryptBatch(trx, underB, column, tenant, 0)),
      RangeError,
    );
  });
});
