/**
 * Child processes of a benchmark, each the leader of its own process group so that a signal
 * reaches everything it started. Every child is tracked until it exits: `stopAllChildren` in a
 * `finally`, and a synchronous SIGKILL on process exit as the last resort, leave none behind.
 */
import { spawn } from 'node:child_process';

/** A running child: its output tail for error messages, and how to signal or stop it. */
export interface Child {
  name: string;
  pid: number;
  /** Resolves with the exit code (null when a signal ended it) once the process is gone. */
  exited: Promise<number | null>;
  /** Whether the process has exited. */
  hasExited(): boolean;
  /** The last lines it wrote to stdout and stderr. */
  output(): string;
  /** Sends a signal to the child's whole process group. */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM to the group, then SIGKILL if it is still there after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<Child>();
const TAIL_LINES = 40;

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // Already gone (ESRCH): nothing to do.
  }
}

// The bench may die of an uncaught error before its finally runs: detached groups would survive it.
process.once('exit', () => {
  for (const c of live) killGroup(c.pid, 'SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    void stopAllChildren().finally(() => process.exit(130));
  });
}

/** Runs `node <script>` (this same Node) in a new process group with exactly `env`. */
export function spawnNode(name: string, script: string, env: NodeJS.ProcessEnv): Child {
  // BENCH_CPU_PROF=<dir>: every child writes a V8 CPU profile there when it exits (Node refuses --cpu-prof in NODE_OPTIONS).
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const proc = spawn(process.execPath, [...prof, script], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new Error(`could not start ${name}`);
  const pid = proc.pid;
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const l of chunk.toString('utf8').split('\n')) if (l.trim() !== '') tail.push(l);
    tail.splice(0, Math.max(0, tail.length - TAIL_LINES));
    if (process.env.BENCH_VERBOSE) process.stderr.write(`[${name}] ${chunk.toString('utf8')}`);
  };
  // Always drained: a child blocked on a full pipe would look like a slow server.
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  let done = false;
  const exited = new Promise<number | null>((resolve) => {
    proc.once('exit', (code) => {
      done = true;
      live.delete(child);
      resolve(code);
    });
  });
  const child: Child = {
    name,
    pid,
    exited,
    hasExited: () => done,
    output: () => tail.join('\n'),
    signal: (sig) => killGroup(pid, sig),
    async stop(graceMs = 8000) {
      if (done) return;
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      // The leader is gone; anything it started and left behind goes too.
      killGroup(pid, 'SIGKILL');
    },
  };
  live.add(child);
  return child;
}

/** Stops every child still running (SIGTERM, then SIGKILL). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop()));
}

/** Polls `url` until it answers 200; fails early with the child's output if the child exits first. */
export async function waitForHttp(child: Child, url: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.hasExited()) throw new Error(`${child.name} exited before it was ready:\n${child.output()}`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then(
      (r) => {
        void r.body?.cancel();
        return r.status === 200;
      },
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${child.name} was not ready at ${url} within ${timeoutMs} ms:\n${child.output()}`);
}
