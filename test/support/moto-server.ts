import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { stopChild } from './child-process.js';
import { freePort } from './free-port.js';

/**
 * A real implementation of the AWS Secrets Manager API for one test file: moto's server
 * mode (`python3 -m moto.server`), on a free loopback port, behind a TCP switch that
 * takes it off the network (`setDown`) while its state stays. Tests create and rotate
 * secrets through the official SDK, as an operator would with the AWS CLI.
 */
export interface MotoServer {
  /** What the BFF is pointed at (`AWS_ENDPOINT_URL_SECRETS_MANAGER`): the switch in front of moto. */
  readonly endpoint: string;
  /** Settings that point the BFF at this server with moto's default (unchecked) credentials. */
  readonly env: Record<string, string>;
  /** An SDK client for setting secrets up (moto's default credentials). */
  readonly client: SecretsManagerClient;
  /** Creates a secret with a first version (AWSCURRENT); resolves to its ARN. */
  createSecret(name: string, value: string): Promise<string>;
  /** Puts a new version: it becomes AWSCURRENT, the one before AWSPREVIOUS (as a rotation's last step does). */
  putSecretValue(name: string, value: string): Promise<string>;
  /**
   * Creates an IAM user with an inline policy (or none) and resolves to its access key.
   * Call before `enforceIam()`.
   */
  createUser(name: string, policy?: object): Promise<{ accessKeyId: string; secretAccessKey: string }>;
  /** From now on every request must be signed by a known user whose policies allow it. */
  enforceIam(): Promise<void>;
  /** Back to moto's default: nothing checked. */
  relaxIam(): Promise<void>;
  /** Takes the server off the network (connections dropped, new ones closed at once) or brings it back. */
  setDown(down: boolean): void;
  /** How many requests reached moto while up (a poll costs one or more). */
  requests(): number;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const REGION = 'us-east-1';
/** moto accepts any credentials until IAM is enforced. */
const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing' };
const ATTEMPTS = 3;

/** Throws a message saying what to install when python3 cannot import moto. */
export function assertMotoImportable(): void {
  const probe = spawnSync('python3', ['-c', 'import moto, moto.server'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'moto is not importable by python3, so the AWS Secrets Manager tests cannot run: install moto 5 with its server ' +
        `extras for python3 (e.g. the distribution's package, or pip install "moto[server]"). ${probe.error?.message ?? probe.stderr.trim()}`,
    );
  }
}

async function waitUntilReady(child: ChildProcess, url: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      if ((await fetch(`${url}/moto-api/data.json`)).ok) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** A TCP pass-through to `port` that can drop everything (an endpoint gone away). */
async function startSwitch(port: number): Promise<{ server: Server; url: string; setDown(down: boolean): void; count(): number }> {
  let down = false;
  let requests = 0;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (down) return void client.destroy();
    const upstream = connect({ host: HOST, port });
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => {
      // Every request starts with its method at the start of a chunk: a rough count is enough.
      if (/^(GET|POST|PUT|DELETE) /.test(chunk.toString('latin1', 0, 8))) requests++;
    });
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const address = server.address() as { port: number };
  return {
    server,
    url: `http://${HOST}:${address.port}`,
    setDown: (d) => {
      down = d;
      if (d) for (const s of [...sockets]) s.destroy();
    },
    count: () => requests,
  };
}

async function resetAuth(url: string, uncheckedRequests: string): Promise<void> {
  const res = await fetch(`${url}/moto-api/reset-auth`, { method: 'POST', body: uncheckedRequests });
  if (!res.ok) throw new Error(`moto refused to reset IAM checks: ${await res.text()}`);
}

export async function startMotoServer(opts: { startTimeoutMs?: number } = {}): Promise<MotoServer> {
  assertMotoImportable();
  let lastOutput = '';
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = await freePort(HOST);
    const child = spawn('python3', ['-m', 'moto.server', '-H', HOST, '-p', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // moto reads its own settings from the environment: none of the test's AWS_* reach it.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MOTO_PORT: String(port) },
    });
    child.stdout?.on('data', (d) => (lastOutput = (lastOutput + String(d)).slice(-2000)));
    child.stderr?.on('data', (d) => (lastOutput = (lastOutput + String(d)).slice(-2000)));
    const direct = `http://${HOST}:${port}`;
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const ready = await Promise.race([waitUntilReady(child, direct, opts.startTimeoutMs ?? 30_000), spawnError]);
    if (ready instanceof Error) throw new Error(`cannot start moto: ${ready.message}`);
    if (!ready) {
      await stopChild(child);
      continue;
    }
    const sw = await startSwitch(port);
    const client = new SecretsManagerClient({ region: REGION, endpoint: direct, credentials: MOTO_CREDENTIALS });
    let stopped = false;
    return {
      endpoint: sw.url,
      env: {
        AWS_ENDPOINT_URL_SECRETS_MANAGER: sw.url,
        AWS_REGION: REGION,
        AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
      },
      client,
      async createSecret(name, value) {
        const out = await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
        return out.ARN!;
      },
      async putSecretValue(name, value) {
        const out = await client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
        return out.VersionId!;
      },
      async createUser(name, policy) {
        // IAM's query API, unsigned: moto routes on the credential scope and checks nothing before enforceIam().
        const iam = async (params: Record<string, string>) => {
          const res = await fetch(direct, {
            method: 'POST',
            headers: {
              'content-type': 'application/x-www-form-urlencoded',
              authorization: `AWS4-HMAC-SHA256 Credential=${MOTO_CREDENTIALS.accessKeyId}/20260101/${REGION}/iam/aws4_request, SignedHeaders=host, Signature=0`,
            },
            body: new URLSearchParams({ Version: '2010-05-08', ...params }),
          });
          const text = await res.text();
          if (!res.ok) throw new Error(`IAM ${params.Action} failed: ${text}`);
          return text;
        };
        await iam({ Action: 'CreateUser', UserName: name });
        if (policy) await iam({ Action: 'PutUserPolicy', UserName: name, PolicyName: `${name}-policy`, PolicyDocument: JSON.stringify(policy) });
        const key = await iam({ Action: 'CreateAccessKey', UserName: name });
        const field = (tag: string) => new RegExp(`<${tag}>([^<]+)</${tag}>`).exec(key)?.[1] ?? '';
        return { accessKeyId: field('AccessKeyId'), secretAccessKey: field('SecretAccessKey') };
      },
      // moto's own switch: IAM is checked once this many requests went unchecked.
      enforceIam: () => resetAuth(direct, '0'),
      relaxIam: () => resetAuth(direct, 'inf'),
      setDown: sw.setDown,
      requests: sw.count,
      async stop() {
        if (stopped) return;
        stopped = true;
        client.destroy();
        sw.setDown(true);
        await new Promise<void>((resolve) => sw.server.close(() => resolve()));
        await stopChild(child);
      },
    };
  }
  throw new Error(`moto did not start after ${ATTEMPTS} attempts: ${lastOutput.trim()}`);
}
