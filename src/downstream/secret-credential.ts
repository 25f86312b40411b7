import { SECRET_ROTATION_DEFAULTS } from '../config/defaults.js';
import type { ServiceName } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import type { SecretSource } from '../secrets/index.js';
import type { Credential, RenewOptions } from './credential.js';

/**
 * Credentials made of a server-held secret (catalog's API key, payments' secret key),
 * built so that rotating the secret loses no call, whichever side moves first:
 *
 * - **The service switches first** (it refuses the value we hold, the file is replaced a
 *   moment later): a call refused with the current value re-reads the source and, when
 *   nothing new is there yet, waits for the new value (at most `rotationWaitMs` and what
 *   is left of the call's time), then retries once with it.
 * - **The file is replaced first** (the service still takes only the old value): a call
 *   refused with the new value retries once with the value the service accepted last, and
 *   later calls send that one first, until the service refuses it (it has switched) or
 *   `previousGraceMs` after the change have passed (then the file wins). A secrets
 *   manager's source also says which value came before (`AWSPREVIOUS`): a process that
 *   started after the change and never saw the old value accepted falls back to that one.
 *
 * A value that is simply wrong costs one bounded wait; later calls refused with the same
 * value fail at once instead of each holding a slot while it waits.
 */
export interface SecretCredentialOptions {
  /** The service, for the log line about falling back to the previous value. */
  readonly service: ServiceName;
  readonly logger: Logger;
  /**
   * How long a call refused with the current secret waits for a new one to arrive, in
   * ms; the call's own time left bounds it as well. `0` never waits. Default `2000`
   * (`SECRET_ROTATION_DEFAULTS`, config/defaults.ts).
   */
  readonly rotationWaitMs?: number | undefined;
  /**
   * After the secret changed, how long the value the service accepted before is still
   * tried when the service refuses the new one, in ms. Default `300000` (5 minutes: how
   * long Kubernetes may take to bring a changed secret to every pod).
   */
  readonly previousGraceMs?: number | undefined;
  /** Clock, epoch ms. Default `Date.now`. */
  readonly now?: (() => number) | undefined;
}

/** The rotation settings alone, as configuration passes them. */
export type SecretRotationOptions = Pick<SecretCredentialOptions, 'rotationWaitMs' | 'previousGraceMs'>;

/** A static API key in a header (catalog: `x-api-key`, the default header). */
export function apiKeyCredential(secret: SecretSource, opts: SecretCredentialOptions & { header?: string }): Credential {
  return new SecretCredential(secret, (opts.header ?? 'x-api-key').toLowerCase(), '', opts);
}

/** A secret sent as a bearer token (payments: Stripe-style `Authorization: Bearer sk_…`). */
export function bearerSecretCredential(secret: SecretSource, opts: SecretCredentialOptions): Credential {
  return new SecretCredential(secret, 'authorization', 'Bearer ', opts);
}

class SecretCredential implements Credential {
  /** The last value the service accepted while it was the current one. */
  private confirmed: string | undefined;
  /** When `confirmed` was first seen accepted. */
  private confirmedAt = 0;
  /** When this credential first saw the current value differ from `confirmed` (start of the grace). */
  private replacedAt: number | undefined;
  /** The service refused the new value and took `confirmed`: send that one first. */
  private fallback = false;
  /** A previous value the service refused after the change: never adopted again (`adoptPrevious`). */
  private refusedPrevious: string | undefined;
  /** A value for which a full wait brought nothing new (a wrong key, not a rotation). */
  private waitedInVain: string | undefined;
  private readonly rotationWaitMs: number;
  private readonly previousGraceMs: number;
  private readonly now: () => number;

  constructor(
    private readonly secret: SecretSource,
    private readonly header: string,
    private readonly prefix: string,
    private readonly opts: SecretCredentialOptions,
  ) {
    this.rotationWaitMs = opts.rotationWaitMs ?? SECRET_ROTATION_DEFAULTS.waitMs;
    this.previousGraceMs = opts.previousGraceMs ?? SECRET_ROTATION_DEFAULTS.previousGraceMs;
    this.now = opts.now ?? Date.now;
  }

  async headers(): Promise<Record<string, string>> {
    return { [this.header]: this.prefix + this.value() };
  }

  accepted(sent: Readonly<Record<string, string>>): void {
    const value = this.valueOf(sent);
    // The common case, on every call: nothing to learn.
    if (value === this.confirmed || value === undefined) return;
    // Only the current value is worth remembering: a late answer to an old one says
    // nothing about what the service takes now.
    if (value !== this.secret.current()) return;
    this.confirmed = value;
    this.confirmedAt = this.now();
    this.replacedAt = undefined;
    this.fallback = false;
    this.waitedInVain = undefined;
  }

  async renew(refused?: Readonly<Record<string, string>>, opts: RenewOptions = {}): Promise<boolean> {
    // A caller that cannot say what was refused: re-read, and retry when something changed.
    if (refused === undefined) return this.secret.refresh();
    const value = this.valueOf(refused);
    if (value !== this.secret.current()) {
      // The service refused the value it took before: it has switched to the current
      // one, so that value is never tried again.
      if (value === this.confirmed) {
        this.confirmed = undefined;
        this.fallback = false;
        this.refusedPrevious = value;
      }
      // Either way the current value is newer than the refused one: try it.
      return true;
    }
    // The service refused the current value. A late answer, sent before the service
    // took this value (a rotation, the file first, under load)? Then it takes it now.
    if (value === this.confirmed && opts.sentAt !== undefined && opts.sentAt < this.confirmedAt) return true;
    // A replacement the watcher has not reported yet?
    await this.secret.refresh();
    if (this.secret.current() !== value) return true;
    this.adoptPrevious(value);
    if (this.confirmed !== undefined && this.confirmed !== value && this.inGrace()) {
      if (!this.fallback) {
        this.fallback = true;
        this.opts.logger.warn(
          { downstream: this.opts.service },
          `the ${this.opts.service} service refused the new secret: calls use the previous one until the service takes the new one`,
        );
      }
      return true;
    }
    return this.waitForNewValue(value, opts.maxWaitMs ?? 0);
  }

  /** The value to send: the current one, or the previous one while the service still wants it. */
  private value(): string {
    const current = this.secret.current();
    if (current === this.confirmed || this.confirmed === undefined) return current;
    this.replacedAt ??= this.now();
    if (!this.fallback) return current;
    if (this.inGrace()) return this.confirmed;
    // The grace is over: from now on the file wins.
    this.fallback = false;
    return current;
  }

  /**
   * Started after a rotation (nothing accepted yet) with a source that keeps the value
   * before the current one (a manager's `AWSPREVIOUS`): that value is the fallback, its
   * grace counted from when the source says the current one replaced it.
   */
  private adoptPrevious(refused: string): void {
    if (this.confirmed !== undefined) return;
    const previous = this.secret.previous?.();
    if (previous === undefined || previous.value === refused || previous.value === this.refusedPrevious) return;
    this.confirmed = previous.value;
    this.confirmedAt = 0;
    this.replacedAt = previous.since;
  }

  private inGrace(): boolean {
    this.replacedAt ??= this.now();
    return this.now() - this.replacedAt < this.previousGraceMs;
  }

  /** The service switched first: wait, bounded, for the new value to land. */
  private async waitForNewValue(refused: string, maxWaitMs: number): Promise<boolean> {
    const wait = Math.min(this.rotationWaitMs, maxWaitMs);
    if (this.secret.waitForChange === undefined || !(wait > 0) || this.waitedInVain === refused) return false;
    if (await this.secret.waitForChange(refused, wait)) return true;
    // Only a full wait proves that no rotation is under way; one cut short by the
    // call's own deadline proves nothing.
    if (wait >= this.rotationWaitMs) this.waitedInVain = refused;
    return false;
  }

  private valueOf(headers: Readonly<Record<string, string>>): string | undefined {
    const raw = headers[this.header];
    return raw !== undefined && raw.startsWith(this.prefix) ? raw.slice(this.prefix.length) : undefined;
  }
}
