import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { domains } from '../../src/domains.ts';
import type { Domain } from '../../src/platform/domain.ts';
import { createLogger } from '../../src/platform/log.ts';
import type { RouteTable } from '../../src/platform/http/handler.ts';
import { loadSpec, type OpenApiDocument } from '../../src/platform/http/spec.ts';
import type { Server } from '../../src/server.ts';
import { startTestServer } from '../helpers/harness.ts';
import { testApiKey, testAuthenticator, testToken } from '../helpers/test-auth.ts';

// A contract of the test's own: the platform (parsing, validation, errors, authorization,
// shutdown) is tested apart from any domain. The real contract's operations are mounted beside it.
const problem = { description: 'Problem', content: { 'application/problem+json': { schema: { type: 'object' } } } };
const protectedOp = { security: [{ bearerAuth: [] }, { apiKeyAuth: [] }], 'x-roles': ['admin', 'analyst'], 'x-scopes': ['test:write'] };
function testSpec(): OpenApiDocument {
  const spec = loadSpec();
  spec.paths = {
    ...spec.paths,
    '/test/echo': {
      post: {
        operationId: 'testEcho',
        tags: ['ops'],
        ...protectedOp,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['name', 'count'],
                additionalProperties: false,
                properties: { name: { type: 'string', minLength: 1 }, count: { type: 'integer', minimum: 0 }, password: { type: 'string' } },
              },
            },
          },
        },
        responses: {
          '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, tenant: { type: 'string' } } } } } },
          '400': problem, '401': problem, '403': problem, '413': problem, '415': problem, '500': problem,
        },
      },
    },
    '/test/slow': { get: { operationId: 'testSlow', tags: ['ops'], security: [], responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'object' } } } }, '500': problem } } },
    '/test/boom': { get: { operationId: 'testBoom', tags: ['ops'], security: [], responses: { '200': { description: 'ok' }, '500': problem } } },
  };
  return spec;
}

let slowRelease: (() => void) | null = null;
const testDomain: Domain = {
  name: 'test',
  queues: [],
  routes: () =>
    ({
      testEcho: (ctx: { body: { name: string }; principal: { tenantId: string } | null }) =>
        Promise.resolve({ status: 200, body: { name: ctx.body.name, tenant: ctx.principal?.tenantId } }),
      testSlow: () => new Promise((resolve) => { slowRelease = () => resolve({ status: 200, body: { done: true } }); }),
      testBoom: () => Promise.reject(new Error('select secret_column from users where password = $1 failed')),
    }) as unknown as RouteTable,
};

describe('http platform', () => {
  let server: Server;
  let base: string;
  const logLines: string[] = [];
  const tenant = randomUUID();
  before(async () => {
    const sink = new Writable({ write(chunk: Buffer, _enc, cb) { logLines.push(chunk.toString()); cb(); } });
    server = await startTestServer({ domains: [...domains, testDomain], spec: testSpec(), authenticator: testAuthenticator }, { LOG_LEVEL: 'info' }, createLogger('info', sink));
    base = `${server.url ?? ''}/api/v1`;
  });
  after(() => server?.close());

  const post = async (body: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/test/echo`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${await testToken(tenant, 'admin')}`, ...headers } });

  async function expectProblem(res: Response, status: number): Promise<{ title: string; detail: string; errors?: { name: string; reason: string }[]; instance?: string }> {
    assert.equal(res.status, status);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body = (await res.json()) as { status: number; type: string; title: string; detail: string };
    assert.equal(body.status, status);
    assert.ok(body.type && body.title && body.detail);
    return body;
  }

  it('accepts a valid body from an allowed role', async () => {
    const res = await post(JSON.stringify({ name: 'a', count: 1 }));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { name: 'a', tenant });
  });

  it('malformed JSON is 400', async () => {
    const p = await expectProblem(await post('{"name": '), 400);
    assert.match(p.detail, /not valid JSON/);
  });

  it('a body that breaks the contract is 400 naming each bad field', async () => {
    const p = await expectProblem(await post(JSON.stringify({ name: '', count: -1, extra: true })), 400);
    const names = (p.errors ?? []).map((e) => e.name).sort();
    assert.ok(names.includes('body.name'), names.join());
    assert.ok(names.includes('body.count'), names.join());
  });

  it('a missing required field is 400 naming it', async () => {
    const p = await expectProblem(await post(JSON.stringify({ name: 'x' })), 400);
    assert.ok((p.errors ?? []).some((e) => e.name.startsWith('body') && /count/.test(`${e.name} ${e.reason}`)));
  });

  it('a 2 MiB body is 413', async () => {
    await expectProblem(await post(JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024), count: 1 })), 413);
  });

  it('a wrong content type is 415', async () => {
    await expectProblem(await post('name=x', { 'content-type': 'text/plain' }), 415);
  });

  it('an unknown route is 404, inside and outside the API', async () => {
    const inside = await expectProblem(await fetch(`${base}/nope`), 404);
    assert.equal(inside.instance, '/api/v1/nope');
    await expectProblem(await fetch(`${server.url ?? ''}/nope`), 404);
  });

  it('a wrong method is 405', async () => {
    await expectProblem(await fetch(`${base}/health/liveness`, { method: 'DELETE' }), 405);
  });

  it('no credentials is 401; a bad token is 401', async () => {
    await expectProblem(await fetch(`${base}/test/echo`, { method: 'POST', body: '{"name":"a","count":1}', headers: { 'content-type': 'application/json' } }), 401);
    await expectProblem(await post('{"name":"a","count":1}', { authorization: 'Bearer not.a.token' }), 401);
  });

  it('a role the contract does not list is 403', async () => {
    await expectProblem(await post('{"name":"a","count":1}', { authorization: `Bearer ${await testToken(tenant, 'viewer')}` }), 403);
    const ok = await post('{"name":"a","count":1}', { authorization: `Bearer ${await testToken(tenant, 'analyst')}` });
    assert.equal(ok.status, 200);
  });

  it('an API key needs one of the operation’s scopes', async () => {
    const withKey = (scopes: string[]) =>
      fetch(`${base}/test/echo`, { method: 'POST', body: '{"name":"a","count":1}', headers: { 'content-type': 'application/json', 'x-api-key': testApiKey(tenant, scopes) } });
    await expectProblem(await withKey(['other:read']), 403);
    assert.equal((await withKey(['test:write'])).status, 200);
  });

  it('a 500 carries no stack, no SQL, and the request id', async () => {
    const res = await fetch(`${base}/test/boom`, { headers: { 'x-request-id': 'req-boom-1' } });
    const p = await expectProblem(res, 500);
    assert.equal(res.headers.get('x-request-id'), 'req-boom-1');
    assert.doesNotMatch(JSON.stringify(p), /select|secret_column|at .*\.ts/);
    assert.match(p.detail, /req-boom-1/);
  });

  it('makes a request id when none (or a malformed one) is given', async () => {
    const res = await fetch(`${base}/health/liveness`, { headers: { 'x-request-id': 'bad id with spaces' } });
    assert.match(res.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('logs no secrets, tokens or bodies', async () => {
    const token = await testToken(tenant, 'admin');
    await fetch(`${base}/test/echo`, { method: 'POST', body: JSON.stringify({ name: 'a', count: 1, password: 'hunter2-super-secret' }), headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-api-key': 'sk_live_should_not_appear' } });
    await new Promise((r) => setTimeout(r, 50));
    const all = logLines.join('');
    assert.match(all, /"path":"\/api\/v1\/test\/echo"/);
    assert.doesNotMatch(all, /hunter2|sk_live_should_not_appear/);
    assert.ok(!all.includes(token));
  });

  it('per-tenant and per-key limits answer 429 with Retry-After and the IETF headers', async () => {
    const own = await startTestServer({ domains: [...domains, testDomain], spec: testSpec(), authenticator: testAuthenticator }, { RATE_LIMIT_TENANT_PER_MINUTE: '3', RATE_LIMIT_API_KEY_PER_MINUTE: '2' });
    try {
      const limited = randomUUID();
      const call = () =>
        fetch(`${own.url ?? ''}/api/v1/test/echo`, { method: 'POST', body: '{"name":"a","count":1}', headers: { 'content-type': 'application/json', 'x-api-key': testApiKey(limited, ['test:write']) } });
      const first = await call();
      assert.equal(first.status, 200);
      assert.equal(first.headers.get('ratelimit-policy'), '"tenant";q=3;w=60, "api-key";q=2;w=60');
      assert.match(first.headers.get('ratelimit') ?? '', /^"tenant";r=2;t=\d+, "api-key";r=1;t=\d+$/);
      assert.equal((await call()).status, 200);
      const third = await call();
      await expectProblem(third, 429);
      assert.match(third.headers.get('retry-after') ?? '', /^\d+$/);
      assert.match(third.headers.get('ratelimit') ?? '', /"api-key";r=0/);
      // Another tenant has its own budget.
      const other = await fetch(`${own.url ?? ''}/api/v1/test/echo`, { method: 'POST', body: '{"name":"a","count":1}', headers: { 'content-type': 'application/json', 'x-api-key': testApiKey(randomUUID(), ['test:write']) } });
      assert.equal(other.status, 200);
    } finally {
      await own.close();
    }
  });

  it('a request in flight when shutdown starts completes', async () => {
    const own = await startTestServer({ domains: [...domains, testDomain], spec: testSpec(), authenticator: testAuthenticator });
    const inFlight = fetch(`${own.url ?? ''}/api/v1/test/slow`);
    while (!slowRelease) await new Promise((r) => setTimeout(r, 10));
    const closing = own.close();
    await new Promise((r) => setTimeout(r, 100));
    const refused = await fetch(`${own.url ?? ''}/api/v1/health/liveness`).then(() => 'answered', () => 'refused');
    assert.equal(refused, 'refused', 'a new connection was accepted during shutdown');
    slowRelease();
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { done: true });
    await closing;
  });
});
