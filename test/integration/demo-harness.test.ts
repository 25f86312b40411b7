import { existsSync } from 'node:fs';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createClient } from 'redis';
import type { DemoServiceRequest } from '../../src/demo/index.js';
import { Recorder } from '../../test/support/recorder.js';
import { type RedisServer, startRedisServer } from '../../test/support/redis-server.js';

async function dirOf(server: RedisServer): Promise<string> {
  const client = createClient({ url: server.url });
  await client.connect();
  try {
    return (await client.configGet('dir')).dir!;
  } finally {
    client.destroy();
  }
}

describe('startRedisServer', () => {
  const started: RedisServer[] = [];
  afterAll(async () => {
    for (const s of started) await s.stop();
  });

  it('starts private, empty, non-persistent servers on free loopback ports', async () => {
    const [a, b] = await Promise.all([startRedisServer(), startRedisServer()]);
    started.push(a!, b!);
    expect(a!.url).toMatch(/^redis:\/\/127\.0\.0\.1:\d+$/);
    expect(a!.url).not.toBe(b!.url);

    const client = createClient({ url: a!.url });
    await client.connect();
    try {
      expect(await client.ping()).toBe('PONG');
      expect(await client.dbSize()).toBe(0);
      expect(await client.configGet('save')).toEqual({ save: '' });
      expect(await client.configGet('appendonly')).toEqual({ appendonly: 'no' });
      const { dir } = await client.configGet('dir');
      expect(existsSync(dir!)).toBe(true);

      await client.set('k', 'v');
      const other = createClient({ url: b!.url });
      await other.connect();
      expect(await other.get('k')).toBeNull();
      await other.quit();

    } finally {
      client.destroy();
    }
    const dir = await dirOf(b!);
    await b!.stop();
    expect(existsSync(dir)).toBe(false);
    await b!.stop(); // twice is fine
  });
});

describe('Recorder', () => {
  const request = (service: DemoServiceRequest['service'], path: string): DemoServiceRequest => ({
    service,
    method: 'GET',
    url: path,
    path,
    query: {},
    headers: {},
    body: undefined,
  });

  it('collects requests per service and clears', () => {
    const recorder = new Recorder();
    const record = recorder.record; // usable detached, as an onRequest callback
    record(request('catalog', '/products'));
    record(request('orders', '/me/orders'));
    record(request('catalog', '/products/search'));
    expect(recorder.forService('catalog').map((r) => r.path)).toEqual(['/products', '/products/search']);
    expect(recorder.all).toHaveLength(3);
    recorder.all.pop();
    expect(recorder.all).toHaveLength(3);
    recorder.clear();
    expect(recorder.all).toEqual([]);
  });
});
