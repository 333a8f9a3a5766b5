/**
 * `npm run bench [-- name [args...]]`: runs every benchmark under scripts/bench/ (a `<name>.ts` file or a
 * `<name>/index.ts` folder), or only the named one, each as a child process of this same Node.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';

const dir = import.meta.dirname;
const entries = await readdir(dir, { withFileTypes: true });
const benches = new Map<string, string>();
for (const e of entries) {
  if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && e.name !== 'run.ts') {
    benches.set(e.name.slice(0, -3), path.join(dir, e.name));
  } else if (e.isDirectory() && e.name !== 'lib' && existsSync(path.join(dir, e.name, 'index.ts'))) {
    benches.set(e.name, path.join(dir, e.name, 'index.ts'));
  }
}
const names = [...benches.keys()].sort();

if (names.length === 0) {
  process.stdout.write('no benchmarks yet: add scripts/bench/<name>.ts or scripts/bench/<name>/index.ts\n');
  process.exit(0);
}

const [wanted, ...rest] = process.argv.slice(2);
if (wanted !== undefined && !benches.has(wanted)) {
  process.stderr.write(`unknown benchmark "${wanted}"; available: ${names.join(', ')}\n`);
  process.exit(1);
}

const failed: string[] = [];
// One at a time: benchmarks running side by side would measure each other.
for (const name of wanted !== undefined ? [wanted] : names) {
  process.stdout.write(`\n== ${name}\n`);
  const file = benches.get(name) ?? name;
  const code = await new Promise<number>((resolve) => {
    const child = spawn(process.execPath, [file, ...rest], { stdio: 'inherit' });
    child.once('error', () => resolve(1));
    child.once('exit', (status, signal) => resolve(status ?? (signal ? 1 : 0)));
  });
  if (code !== 0) failed.push(name);
}
if (failed.length) {
  process.stderr.write(`failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
