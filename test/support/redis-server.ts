import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopChild } from './child-process.js';
import { freePort } from './free-port.js';

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  url: string;
  readonly port: number;
  /** Stops the server and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
  /**
   * Stops the server (SIGTERM, as an orchestrator would) and starts it again on the same
   * port and directory, so with `persistence` it comes back with its data. Resolves once
   * it answers PING again; `whileDown` runs in between.
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
}

export interface RedisServerOptions {
  /** The executable. Default `redis-server` (found on PATH). */
  binary?: string;
  /** How long to wait for the first PONG. Default 5000 ms. */
  startTimeoutMs?: number;
  /** Keep the data across a restart: append-only file, fsync on every write. Default `false`. */
  persistence?: boolean;
  /** More `redis-server` arguments (e.g. `--cluster-enabled yes`). */
  extraArgs?: string[];
}

const HOST = '127.0.0.1';
const ATTEMPTS = 3;

/** Resolves once the server answers PING on host:port; rejects on a refused connection. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    let reply = '';
    socket.setTimeout(500);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) {
        socket.destroy();
        resolve(reply.startsWith('+PONG'));
      }
    });
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}

async function waitUntilReady(child: ChildProcess, port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    if (await ping(port)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

/**
 * Starts a private `redis-server` for one test file: a free loopback port, a fresh
 * temporary directory, no persistence unless asked. Nothing is shared with a developer's own Redis.
 */
export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = opts.binary ?? 'redis-server';
  const dir = await mkdtemp(join(tmpdir(), 'shop-bff-redis-'));
  let lastOutput = '';
  const spawnOn = (port: number) => {
    const child = spawn(
      binary,
      [
        '--port', String(port),
        '--bind', HOST,
        '--dir', dir,
        '--save', '',
        ...(opts.persistence ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
        '--daemonize', 'no',
        '--loglevel', 'warning',
        ...(opts.extraArgs ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child.stdout?.on('data', (d) => (lastOutput = (lastOutput + String(d)).slice(-2000)));
    child.stderr?.on('data', (d) => (lastOutput = (lastOutput + String(d)).slice(-2000)));
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    return { child, spawnError };
  };
  // The port is free when picked but may be taken before redis binds it: try again.
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = await freePort(HOST);
    let { child, spawnError } = spawnOn(port);
    const ready = await Promise.race([waitUntilReady(child, port, opts.startTimeoutMs ?? 15_000), spawnError]);
    if (ready instanceof Error) {
      await rm(dir, { recursive: true, force: true });
      throw new Error(`cannot start ${binary}: ${ready.message}`);
    }
    if (ready) {
      let stopped = false;
      return {
        url: `redis://${HOST}:${port}`,
        port,
        stop: async () => {
          if (stopped) return;
          stopped = true;
          await stopChild(child);
          await rm(dir, { recursive: true, force: true });
        },
        restart: async (whileDown) => {
          await stopChild(child);
          await whileDown?.();
          ({ child, spawnError } = spawnOn(port));
          const back = await Promise.race([waitUntilReady(child, port, opts.startTimeoutMs ?? 15_000), spawnError]);
          if (back !== true) throw new Error(`redis-server did not come back on port ${port}: ${lastOutput.trim()}`);
        },
      };
    }
    await stopChild(child);
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`redis-server did not start after ${ATTEMPTS} attempts: ${lastOutput.trim()}`);
}
