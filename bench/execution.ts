/**
 * `npm run bench:execution`: GraphQL execution alone, in this process, graphql-js's
 * interpreter against the graphql-jit executor (src/graphql/jit-executor.ts), on the
 * bench dashboard with the real schema and resolvers and the demo seed in place of the
 * services (loaders answer from memory, so only execution is measured). Prints CPU µs
 * per execution (process.cpuUsage: holds on a busy machine far better than wall time),
 * as medians of alternating rounds. graphql-jit's generated code needs a few thousand
 * executions before V8 optimises it: fewer iterations understate it.
 *
 *   npm run bench:execution -- --rounds 7 --iterations 5000
 */
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { execute, parse } from 'graphql';
import { SEED_ORDERS, SEED_PRODUCTS_BY_ID, SEED_REVIEWS } from '../src/demo/seed/index.js';
import { createSchema } from '../src/graphql/schema.js';
import { jitGateway } from '../src/graphql/jit-executor.js';
import { BENCH_DASHBOARD } from './documents.js';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, iterations: { type: 'string', default: '3000' } },
});
const ROUNDS = Number(args.rounds);
const ITERATIONS = Number(args.iterations);

const schema = createSchema();
const document = parse(BENCH_DASHBOARD);
const reviewsById = new Map(SEED_REVIEWS.map((r) => [r.productId, r]));
const orders = SEED_ORDERS.filter((o) => o.userId === 'alice');

/** What the dashboard's resolvers read from the context, answered from the seed. */
const context = () => ({
  viewer: { id: 'alice', name: 'Alice', email: 'alice@example.com' },
  user: { kind: 'user' },
  call: {},
  services: { orders: { myOrders: async () => structuredClone(orders) } },
  loaders: {
    order: { prime: () => undefined },
    product: { load: async (id: string) => SEED_PRODUCTS_BY_ID.get(id) ?? null },
    productReviews: { load: async (id: string) => reviewsById.get(id) ?? null },
  },
});

const gateway = jitGateway({ schema });
gateway.onSchemaLoadOrUpdate(() => {});
const { executor } = await gateway.load({ apollo: {} });
const request = { document, operationName: 'BenchDashboard', queryHash: 'bench', request: { variables: {} } };

const runners = {
  'graphql-js': () => execute({ schema, document, contextValue: context(), operationName: 'BenchDashboard' }),
  'graphql-jit': () => executor!({ ...request, context: context() } as never),
};

const reference = JSON.stringify(await runners['graphql-js']());
for (const [name, run] of Object.entries(runners)) {
  const out = await run();
  if (!isDeepStrictEqual(JSON.parse(JSON.stringify(out)), JSON.parse(reference)) || 'errors' in out) {
    throw new Error(`${name} answers other JSON than graphql-js: ${JSON.stringify(out).slice(0, 300)}`);
  }
}

async function measure(run: () => unknown): Promise<number> {
  const cpu = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i++) await run();
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / ITERATIONS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results: Record<string, number[]> = {};
for (const name of Object.keys(runners)) results[name] = [];
// Warm-up: JIT of both, and graphql-jit's compilation of the document.
for (const run of Object.values(runners)) await measure(run);
for (let round = 0; round < ROUNDS; round++) {
  const names = Object.keys(runners);
  if (round % 2) names.reverse();
  for (const name of names) {
    results[name]!.push(await measure(runners[name as keyof typeof runners]));
  }
}
const fields = (JSON.stringify(JSON.parse(reference)).match(/":/g) ?? []).length;
process.stdout.write(`bench dashboard, ${fields} fields per answer; medians of ${ROUNDS} rounds × ${ITERATIONS} executions\n`);
for (const [name, r] of Object.entries(results)) {
  process.stdout.write(`  ${name.padEnd(12)} ${median(r).toFixed(1).padStart(7)} CPU µs/execution\n`);
}
const js = median(results['graphql-js']!);
const jit = median(results['graphql-jit']!);
process.stdout.write(`  graphql-jit / graphql-js CPU: ${(jit / js).toFixed(2)}\n`);
