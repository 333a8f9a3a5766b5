import assert from 'node:assert/strict';
import { harness, type Harness } from '../helpers/harness.ts';

describe('ops: health, contract and docs', () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });

  it('liveness answers without touching anything', async () => {
    const res = await fetch(`${h.url}/health/liveness`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('readiness reports each check and is 200 when all pass', async () => {
    const res = await fetch(`${h.url}/health/readiness`);
    const body = (await res.json()) as { status: string; checks: Record<string, { status: string }> };
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.equal(body.status, 'ok');
    assert.equal(body.checks.database?.status, 'ok');
    assert.equal(body.checks.migrations?.status, 'ok');
    assert.equal(body.checks.jobs?.status, 'ok');
    assert.equal(body.checks.redis?.status, process.env.REDIS_URL ? 'ok' : 'skipped');
  });

  it('serves the bundled contract', async () => {
    const res = await fetch(`${h.url}/openapi.json`);
    assert.equal(res.status, 200);
    const spec = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    assert.match(spec.openapi, /^3\.1/);
    assert.ok(spec.paths['/health/readiness']);
  });

  it('renders the reference at /docs from installed assets', async () => {
    const base = h.url.replace(/\/api\/v1$/, '');
    const page = await fetch(`${base}/docs/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /swagger-ui-bundle\.js/);
    assert.doesNotMatch(html, /https?:\/\//, 'the page must not load anything from a CDN');
    const asset = await fetch(`${base}/docs/swagger-ui-bundle.js`);
    assert.equal(asset.status, 200);
  });
});
