import { setFlagsFromString } from 'node:v8';
import { ConfigError, type Config, loadConfigFromProcess, v8FlagsFor } from './config/index.js';
import { SecretsError } from './secrets/index.js';

/** How long in-flight requests get to finish after SIGTERM before we exit anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Settings and secrets problems are a list for the operator, not a stack trace. */
function exitWithProblems(err: unknown): never {
  if (err instanceof ConfigError || err instanceof SecretsError) {
    // One message naming every problem, so a deployment is fixed in one pass.
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  // Start-up failed for a reason other than settings (a port in use, Redis unreachable).
  process.stderr.write(`shop BFF failed to start: ${(err as Error).message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfigFromProcess();
  } catch (err) {
    exitWithProblems(err);
  }
  // Before the app allocates anything: how far the heap may grow between full GCs (HEAP_GROWTH_PERCENT).
  for (const flag of v8FlagsFor(config.runtime, process.execArgv)) setFlagsFromString(flag);
  // Tracing first: the instrumentations patch only modules loaded after them, so the
  // app (express, graphql, redis, undici) is imported below, not at the top. Off, the
  // SDK is never loaded.
  const tracing = config.telemetry.tracing
    ? await (await import('./observability/tracing.js')).startTracing(config.telemetry)
    : undefined;
  const { startBff } = await import('./bff.js');
  const bff = await startBff(config);
  const shutdown = () => {
    const force = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS);
    force.unref();
    bff
      .close()
      // The spans of the last requests are flushed before the process ends.
      .then(() => tracing?.shutdown())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch(exitWithProblems);
