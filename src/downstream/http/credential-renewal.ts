import type { Dispatcher } from 'undici';
import type { Credential, RenewOptions } from '../credential.js';
import type { HeaderSet } from './pool.js';
import { discard } from './wire.js';

/** Renewals of the credential within one attempt (see `sendWithCredential`). */
const MAX_RENEWALS = 2;

/**
 * An error of the credential itself, from `headers()` or `renew()` (the user's session
 * ended, the IdP could not refresh a token): it is not the service's failure, so it
 * passes through unchanged (the auth layer's error says what the user must do), is not
 * retried and does not count against the service's circuit.
 */
export class CredentialFailure {
  constructor(readonly error: unknown) {}
}

/** The attempt's clock, for how long a renewal may wait. */
export interface RenewalTiming {
  readonly now: () => number;
  /** When the attempt started, epoch ms. */
  readonly started: number;
  /** How long the attempt may take, in ms. */
  readonly limitMs: number;
}

/**
 * Sends with the credential's headers; on a 401 renews it (a rotated key, an expired
 * token) and sends again. A second 401 normally stands, because a credential renews a
 * refused value only once. A second renewal exists for a rotation caught mid-way
 * (refused with the new key, retried with the old one, and the service switched in
 * between) and is only taken with different headers. A rotation under way may be waited
 * for, keeping a quarter of the attempt for the retry. Tells the credential which
 * headers the service took. Throws `CredentialFailure` for the credential's own errors.
 */
export async function sendWithCredential(
  credential: Credential | undefined,
  send: (auth: HeaderSet | undefined) => Promise<Dispatcher.ResponseData>,
  timing: RenewalTiming,
): Promise<Dispatcher.ResponseData> {
  const { now, started, limitMs } = timing;
  let auth = await credentialHeaders(credential);
  let sentAt = now();
  let res = await send(auth);
  for (let renewals = 0; res.statusCode === 401 && credential !== undefined && renewals < MAX_RENEWALS; renewals++) {
    await discard(res);
    const maxWaitMs = started + limitMs - limitMs / 4 - now();
    if (!(await renewCredential(credential, auth, { maxWaitMs: maxWaitMs > 0 ? maxWaitMs : 0, sentAt }))) break;
    const renewed = await credentialHeaders(credential);
    if (renewals > 0 && sameHeaders(renewed, auth)) break;
    auth = renewed;
    sentAt = now();
    res = await send(auth);
  }
  if (credential?.accepted !== undefined && auth !== undefined && takesCredential(res.statusCode)) credential.accepted(auth);
  return res;
}

async function credentialHeaders(credential: Credential | undefined): Promise<Record<string, string> | undefined> {
  if (credential === undefined) return undefined;
  try {
    return await credential.headers();
  } catch (err) {
    throw new CredentialFailure(err);
  }
}

async function renewCredential(credential: Credential, refused: HeaderSet | undefined, opts: RenewOptions): Promise<boolean> {
  try {
    return await credential.renew(refused, opts);
  } catch (err) {
    throw new CredentialFailure(err);
  }
}

function sameHeaders(a: HeaderSet | undefined, b: HeaderSet | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/**
 * Whether an answer shows the service took the credential: not 401/403 (refused), and
 * not 5xx (a proxy or an outage may answer before anyone looked at it).
 */
function takesCredential(status: number): boolean {
  return status < 500 && status !== 401 && status !== 403;
}
