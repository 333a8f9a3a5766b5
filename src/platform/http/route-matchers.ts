import { createRequire } from 'node:module';

/** path-to-regexp's matcher builder, as express-openapi-validator calls it. */
type PathToRegexp = (path: string, options?: { sensitive?: boolean; strict?: boolean; end?: boolean; delimiter?: string; trailing?: boolean }) => { regexp: RegExp; keys: { name: string }[] };

let installed = false;

/**
 * express-openapi-validator compiles a route's matcher for every route it scans, on every request
 * (upstream pull request cdimascio/express-openapi-validator#1217 caches them, unmerged at 5.6.2).
 * That was a twentieth of the webhook path's CPU. The compiled matchers depend only on the route
 * and the options, so the validator's own copy of path-to-regexp gets a memoized builder.
 * RegExp objects without the global or sticky flag keep no state between `exec` calls, so sharing one is safe.
 */
export function cacheRouteMatchers(): void {
  if (installed) return;
  installed = true;
  const fromValidator = createRequire(createRequire(import.meta.url).resolve('express-openapi-validator'));
  const mod = fromValidator('path-to-regexp') as { pathToRegexp: PathToRegexp };
  const original = mod.pathToRegexp;
  const cache = new Map<string, ReturnType<PathToRegexp>>();
  mod.pathToRegexp = (path, options = {}) => {
    // The routes are the spec's, a fixed set; options other than these two are never passed.
    if (typeof path !== 'string' || Object.keys(options).some((k) => k !== 'sensitive' && k !== 'strict')) return original(path, options);
    const key = `${options.sensitive ? 1 : 0}${options.strict ? 1 : 0}${path}`;
    let hit = cache.get(key);
    if (!hit) {
      hit = original(path, options);
      if (hit.regexp.global || hit.regexp.sticky) return hit;
      cache.set(key, hit);
    }
    return hit;
  };
}
