import { spawn } from 'node:child_process';
import path from 'node:path';

/** What an operator script printed, and how it exited. */
export interface ScriptRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `scripts/<name>.ts` as a child process against the suite's database (DATABASE_URL is the
 * owner URL of the database scripts/test.ts made), the way an operator would run it.
 * LOG_LEVEL=error: the platform's start-up warnings (development keys) would only be noise here.
 */
export function runScript(name: string, args: readonly string[], env: Record<string, string> = {}): Promise<ScriptRun> {
  const script = path.resolve(import.meta.dirname, `../../scripts/${name}.ts`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env: { ...process.env, LOG_LEVEL: 'error', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
