import { type ChildProcess, execFileSync, spawn, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';

/**
 * Everything the bench started, stopped in reverse order by `cleanUp()`: on success,
 * failure, Ctrl-C or SIGTERM. Each entry is stopped at most once.
 */
const cleanups: Array<{ name: string; run: () => Promise<void> | void }> = [];

export function onCleanup(name: string, run: () => Promise<void> | void): void {
  cleanups.push({ name, run });
}

let cleaning: Promise<void> | undefined;
export function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const c of cleanups.reverse()) {
      try {
        await c.run();
      } catch (err) {
        process.stderr.write(`bench: cleaning up ${c.name} failed: ${(err as Error).message}\n`);
      }
    }
  })();
  return cleaning;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the process has exited. */
export async function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

let tasksetChecked: boolean | undefined;
/** Whether `taskset` (util-linux) exists and this machine has at least two cores to split. */
export function canPin(cores: number): boolean {
  if (tasksetChecked === undefined) {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
      tasksetChecked = true;
    } catch {
      tasksetChecked = false;
    }
  }
  return tasksetChecked && cores >= 2;
}

/** Moves every thread of this process (and so every child it starts later) to `cpu`. */
export function pinSelf(cpu: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' });
}

/**
 * Spawns `command` (on `cpu` through `taskset -c` when given: taskset execs, so the pid is
 * the program's own) and registers it for clean-up.
 */
export function startChild(name: string, command: string, args: string[], opts: SpawnOptions & { cpu?: number }): ChildProcess {
  const { cpu, ...spawnOpts } = opts;
  const child =
    cpu === undefined
      ? spawn(command, args, spawnOpts)
      : spawn('taskset', ['-c', String(cpu), command, ...args], spawnOpts);
  onCleanup(name, () => stopChild(child));
  return child;
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User + system CPU time the process has used so far, in ms (from /proc/<pid>/stat). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; fields after its closing paren are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLK_TCK;
}

/** Resident set size, in MB (from /proc/<pid>/status, VmRSS). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Resolves with the first line the child writes on stdout; rejects if it exits first or after `timeoutMs`. */
export function firstLine(child: ChildProcess, what: string, timeoutMs: number, stderrTail: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error(`${what} did not start within ${timeoutMs} ms\n${stderrTail()}`)), timeoutMs);
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl !== -1) {
        done();
        resolve(buf.slice(0, nl));
      }
    };
    const onExit = (code: number | null) => fail(new Error(`${what} exited (${code}) before it was ready\n${stderrTail()}`));
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
    };
    const fail = (err: Error) => {
      done();
      reject(err);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

/** Keeps the last `max` characters a stream wrote, for error messages. */
export function tail(stream: NodeJS.ReadableStream | null | undefined, max = 4000): () => string {
  let text = '';
  stream?.on('data', (d: Buffer) => {
    text = (text + d.toString('utf8')).slice(-max);
  });
  return () => text.trim();
}
