import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { cacheRouteMatchers } from '../../src/platform/http/route-matchers.ts';

type Matcher = (path: string, options?: { sensitive?: boolean; strict?: boolean; end?: boolean }) => { regexp: RegExp; keys: { name: string }[] };

describe('platform: express-openapi-validator route matchers', function () {
  // The copy of path-to-regexp the validator itself loads.
  const mod = createRequire(createRequire(import.meta.url).resolve('express-openapi-validator'))('path-to-regexp') as { pathToRegexp: Matcher };

  before(function () {
    cacheRouteMatchers();
  });

  it('compiles a route once per options, and matches as before', function () {
    const a = mod.pathToRegexp('/api/v1/webhooks/:provider/:sourceId', { sensitive: false, strict: false });
    const b = mod.pathToRegexp('/api/v1/webhooks/:provider/:sourceId', { sensitive: false, strict: false });
    assert.equal(a, b, 'the second call is served from the cache');
    assert.deepEqual(a.keys.map((k) => k.name), ['provider', 'sourceId']);
    assert.deepEqual(a.regexp.exec('/api/v1/webhooks/shopify/abc')?.slice(1), ['shopify', 'abc']);
    // exec twice on the shared RegExp: no state carried over (no global or sticky flag).
    assert.deepEqual(a.regexp.exec('/api/v1/webhooks/stripe/def')?.slice(1), ['stripe', 'def']);
    const sensitive = mod.pathToRegexp('/api/v1/webhooks/:provider/:sourceId', { sensitive: true, strict: false });
    assert.notEqual(sensitive, a, 'other options, another matcher');
    assert.equal(sensitive.regexp.exec('/API/v1/webhooks/shopify/abc'), null);
    assert.notEqual(a.regexp.exec('/API/v1/webhooks/shopify/abc'), null);
  });

  it('leaves calls with other options to the original builder', function () {
    const a = mod.pathToRegexp('/x/:id', { end: false });
    const b = mod.pathToRegexp('/x/:id', { end: false });
    assert.notEqual(a, b);
    assert.notEqual(a.regexp.exec('/x/1/more'), null);
  });
});
