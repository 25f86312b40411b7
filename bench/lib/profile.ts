import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The parts of a `.cpuprofile` (V8's Profiler.Profile) this summary reads. */
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number } }>;
  samples: number[];
  timeDeltas: number[];
  startTime: number;
}

/** Where a function lives, coarsely: a package, the project's dist/, node itself, or V8's own buckets. */
function area(url: string, functionName: string, root: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/dist/')) return 'dist/ (the BFF)';
  return relative(root, url.replace(/^file:\/\//, ''));
}

/**
 * Self time per function and per area of the newest `.cpuprofile` in `dir`, printed as
 * two tables (top `top` functions). Self time: the samples whose top frame is that
 * function; idle time is left out of the percentages, and so are the first `skipMs` of
 * the profile (start-up, sign-in, warm-up).
 */
export function summariseProfile(dir: string, root: string, log: (line: string) => void, skipMs = 0, top = 40): string {
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .at(-1);
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const path = join(dir, file);
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const fns = new Map<string, number>();
  const areas = new Map<string, number>();
  let total = 0;
  let at = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!;
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (frame.functionName === '(idle)' || at < skipMs * 1000) return;
    total += dt;
    const where = area(frame.url, frame.functionName, root);
    const file = frame.url ? frame.url.replace(/^.*\/(node_modules|dist)\//, '$1/') : '';
    const key = `${frame.functionName || '(anonymous)'}  ${file}${file ? `:${frame.lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + dt);
    areas.set(where, (areas.get(where) ?? 0) + dt);
  });
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  log(`profile: ${path} (${(total / 1000).toFixed(0)} ms of CPU sampled, idle left out)`);
  log('self time by area:');
  for (const [k, us] of [...areas].sort((a, b) => b[1] - a[1]).slice(0, 15)) log(`  ${pct(us)}  ${k}`);
  log(`self time, top ${top} functions:`);
  for (const [k, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) log(`  ${pct(us)}  ${k}`);
  return path;
}
