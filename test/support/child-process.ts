import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** Stops a server the tests started: SIGTERM, then SIGKILL if it has not exited after 3 s. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
