/** npm run contracts:check: generated/ is fresh, the contracts pass lint, and the root lists every domain path. */
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { OpenAPI3 } from 'openapi-typescript';
import {
  CONTRACTS_DIR,
  GENERATED_DIR,
  GENERATED_FILES,
  ROOT_DIR,
  ROOT_SPEC,
  bundleSpec,
  listDomainSpecs,
  pointerToken,
  runRedocly,
  withTempDir,
  writeGenerated,
} from './lib/contracts.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** Lists the files of generated/ that differ from what the contracts produce now. */
export async function findStaleGenerated(): Promise<string[]> {
  return withTempDir(async (dir) => {
    await writeGenerated(dir);
    const stale: string[] = [];
    for (const name of GENERATED_FILES) {
      const fresh = await readFile(join(dir, name), 'utf8');
      const committed = await readFile(join(GENERATED_DIR, name), 'utf8').catch(() => undefined);
      if (committed !== fresh) stale.push(relative(ROOT_DIR, join(GENERATED_DIR, name)) + (committed === undefined ? ' (missing)' : ''));
    }
    return stale;
  });
}

/** Lints the contracts with the rules of redocly.yaml; true when no error is left. */
export function lintContracts(): boolean {
  const result = runRedocly(['lint', ROOT_SPEC, '--format', 'codeframe']);
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  return result.status === 0;
}

/** Maps `METHOD path` to its operationId for every operation of a bundled spec. */
export function operationIndex(spec: OpenAPI3): Map<string, string> {
  const index = new Map<string, string>();
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const method of METHODS) {
      const op = (item as Record<string, unknown>)[method] as { operationId?: string } | undefined;
      if (op) index.set(`${method.toUpperCase()} ${path}`, op.operationId ?? '(no operationId)');
    }
  }
  return index;
}

/** Lists the domain operations the root does not reach, and root operations that no domain defines. */
export async function findUnreferencedPaths(): Promise<string[]> {
  const root = operationIndex(bundleSpec(ROOT_SPEC));
  const owners = new Map<string, string>();
  const problems: string[] = [];
  for (const domainSpec of await listDomainSpecs()) {
    const file = `contracts/${domainSpec}`;
    for (const [operation, operationId] of operationIndex(bundleSpec(join(CONTRACTS_DIR, domainSpec)))) {
      const owner = owners.get(operation);
      if (owner) problems.push(`${operation} is defined by both ${owner} and ${file}`);
      owners.set(operation, file);
      if (root.get(operation) === operationId) continue;
      const path = operation.slice(operation.indexOf(' ') + 1);
      problems.push(
        `${operation} (${operationId}) of ${file} is not referenced from contracts/openapi.yaml; add under paths:\n` +
          `    ${path}:\n      $ref: './${domainSpec}#/paths/${pointerToken(path)}'`,
      );
    }
  }
  for (const operation of root.keys()) {
    if (!owners.has(operation)) problems.push(`${operation} in contracts/openapi.yaml belongs to no contracts/<domain>/v1/openapi.yaml`);
  }
  return problems;
}

/** Runs every check and sets a failing exit code when one fails. */
export async function checkContracts(): Promise<void> {
  let failed = false;

  console.log('== generated/ is up to date');
  const stale = await findStaleGenerated();
  if (stale.length > 0) {
    failed = true;
    console.error(`generated/ is stale: ${stale.join(', ')}. Run \`npm run generate\` and commit the result.`);
  } else {
    console.log('ok');
  }

  console.log('\n== contracts lint (redocly.yaml)');
  if (!lintContracts()) failed = true;

  console.log('\n== every domain path is referenced from contracts/openapi.yaml');
  const unreferenced = await findUnreferencedPaths();
  if (unreferenced.length > 0) {
    failed = true;
    for (const problem of unreferenced) console.error(`- ${problem}`);
  } else {
    console.log('ok');
  }

  if (failed) {
    console.error('\ncontracts:check failed');
    process.exitCode = 1;
  } else {
    console.log('\ncontracts:check passed');
  }
}

try {
  await checkContracts();
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
