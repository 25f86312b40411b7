import { type Env, wholeNumberSetting } from './env-helpers.js';

/** One native app allowed to sign in through the system browser (contracts/mobile-sign-in.md). */
export interface MobileApp {
  /** The `app` parameter the app sends to `/auth/mobile/login` and `/auth/mobile/token`. */
  readonly id: string;
  /**
   * Where the BFF hands the one-time code back: the app's claimed `https` link
   * (universal link / app link), or outside production a custom scheme (`shop-dev://signed-in`).
   */
  readonly returnUrl: string;
}

/** The native-app sign-in settings. */
export interface MobileConfig {
  /** The apps of `MOBILE_APPS` (`appId=returnUrl`, comma-separated), by id. Empty (default): the mobile endpoints answer 404. */
  readonly apps: ReadonlyMap<string, MobileApp>;
  /** Lifetime of a one-time code, in seconds (`MOBILE_HANDOFF_TTL_S`). Default `60`. */
  readonly handoffTtlS: number;
}

const APP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Reads `MOBILE_APPS` and `MOBILE_HANDOFF_TTL_S`; every problem is added to `problems`.
 * In production a return URL must be `https`: a custom scheme can be claimed by any app
 * installed on the device, an `https` link only by the app its domain vouches for.
 */
export function readMobile(env: Env, problems: string[], { production }: { production: boolean }): MobileConfig {
  const apps = new Map<string, MobileApp>();
  for (const entry of (env.MOBILE_APPS ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const eq = entry.indexOf('=');
    const id = eq < 0 ? entry : entry.slice(0, eq).trim();
    const returnUrl = eq < 0 ? '' : entry.slice(eq + 1).trim();
    if (!APP_ID.test(id)) {
      problems.push(`MOBILE_APPS: "${id}" is not an app id (letters, digits, . _ -; at most 64)`);
      continue;
    }
    if (apps.has(id)) problems.push(`MOBILE_APPS: app "${id}" is listed twice`);
    const problem = returnUrlProblem(returnUrl, production);
    if (problem) problems.push(`MOBILE_APPS: return URL of "${id}" ${problem}`);
    else apps.set(id, { id, returnUrl });
  }
  const handoffTtlS = wholeNumberSetting(env, 'MOBILE_HANDOFF_TTL_S', 60, problems);
  if (handoffTtlS < 1 || handoffTtlS > 600) problems.push('MOBILE_HANDOFF_TTL_S: must be between 1 and 600 seconds');
  return { apps, handoffTtlS };
}

function returnUrlProblem(value: string, production: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL (the app\'s claimed https link)';
  }
  if (url.username || url.password || url.hash || url.search) return 'must have no credentials, query or fragment';
  if (url.protocol === 'https:') return undefined;
  if (production) return 'must be https:// in production (a claimed link, not a custom scheme)';
  if (url.protocol === 'http:' || url.protocol === 'javascript:' || url.protocol === 'data:' || url.protocol === 'file:') {
    return 'must be https:// or a custom scheme';
  }
  return undefined;
}
