/**
 * One-shot Node scripts with arguments (lib/children.ts starts servers, without arguments), each
 * the leader of its own process group, killed with the group if the benchmark stops first.
 */
import { spawn } from 'node:child_process';

const running = new Set<number>();

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

// An uncaught error skips the caller's finally: the group must not outlive the benchmark.
process.once('exit', () => {
  for (const pid of running) killGroup(pid);
});

/** Runs `node <script> <args>` with `env`; answers its output, or fails with it on a non-zero exit. */
export async function runScript(script: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const proc = spawn(process.execPath, [script, ...args], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`could not start ${script}`);
  running.add(pid);
  const out: Buffer[] = [];
  proc.stdout.on('data', (c: Buffer) => out.push(c));
  proc.stderr.on('data', (c: Buffer) => out.push(c));
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      proc.once('error', reject);
      proc.once('exit', (status) => resolve(status));
    });
    const text = Buffer.concat(out).toString('utf8');
    if (code !== 0) throw new Error(`${script} ${args.join(' ')} exited with ${String(code)}:\n${text}`);
    return text;
  } finally {
    running.delete(pid);
    killGroup(pid);
  }
}

/** Kills every script still running. */
export function killScripts(): void {
  for (const pid of running) killGroup(pid);
  running.clear();
}
