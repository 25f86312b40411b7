import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type RedisServer, startRedisServer } from './redis-server.js';

const run = promisify(execFile);

export interface RedisCluster {
  /** The nodes' URLs, for `REDIS_CLUSTER_NODES`. */
  readonly urls: readonly string[];
  readonly nodes: readonly RedisServer[];
  stop(): Promise<void>;
}

/** `cluster info` of one node, as key/value pairs. */
async function clusterInfo(port: number): Promise<Record<string, string>> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'cluster', 'info']);
  return Object.fromEntries(stdout.split(/\r?\n/).filter((l) => l.includes(':')).map((l) => l.split(':', 2) as [string, string]));
}

/**
 * A real Redis Cluster of `masters` primaries and no replicas on loopback: one
 * `redis-server --cluster-enabled yes` per primary (each on a free port, in its own
 * temporary directory), joined with `redis-cli --cluster create`, and resolved once every
 * node says `cluster_state:ok` and agrees on the cluster's size (polled, never slept).
 */
export async function startRedisCluster({ masters = 3, timeoutMs = 30_000 } = {}): Promise<RedisCluster> {
  const nodes: RedisServer[] = [];
  const stop = async () => {
    for (const n of nodes.splice(0)) await n.stop();
  };
  try {
    for (let i = 0; i < masters; i++) {
      nodes.push(
        await startRedisServer({
          extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'],
        }),
      );
    }
    await run('redis-cli', [
      '--cluster', 'create',
      ...nodes.map((n) => `127.0.0.1:${n.port}`),
      '--cluster-replicas', '0',
      '--cluster-yes',
    ]);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const infos = await Promise.all(nodes.map((n) => clusterInfo(n.port)));
      if (infos.every((i) => i.cluster_state === 'ok' && Number(i.cluster_known_nodes) === masters)) break;
      if (Date.now() > deadline) throw new Error(`the cluster did not become ok: ${JSON.stringify(infos.map((i) => i.cluster_state))}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return { urls: nodes.map((n) => n.url), nodes: [...nodes], stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
