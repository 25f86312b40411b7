import { createServer } from 'node:net';

/**
 * Ports handed out for a caller to bind later come from below the kernel's ephemeral
 * range (Linux: 32768-60999), where nothing that binds port 0 ever lands. A port taken
 * from that range could be given to another parallel test's server in the moment before
 * the caller binds it (a real flake, seen as EADDRINUSE).
 */
const LOW = 20000;
const HIGH = 32000;

/** Whether `port` can be bound on `host` right now. */
function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * A port that was free a moment ago on `host`, for a server that must know its port
 * before it starts (the BFF's URL is registered at the IdP first). Parallel workers pick
 * at random from a range of 12,000, so two picking the same port is unlikely, and the
 * bind check rules out one already in use.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await bindable(port, host)) return port;
  }
  throw new Error(`no free port found between ${LOW} and ${HIGH} on ${host}`);
}
