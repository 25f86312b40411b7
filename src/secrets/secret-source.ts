/**
 * A live secret. Everything that needs a key, password or signing secret holds one of
 * these rather than the string, so that rotation (a replaced file, a secrets manager)
 * reaches every user without a restart, and so that the value has one owner.
 *
 * `current()` is synchronous on purpose: it is on the hot path of every downstream call,
 * so sources keep the latest value in memory and refresh it in the background.
 */
export interface SecretSource {
  /** A short, value-free description for logs ("file /run/secrets/x", "setting"). */
  readonly description: string;
  /** The latest value. Never log it or put it in an error. */
  current(): string;
  /**
   * Re-reads the secret now (for instance after a downstream answered 401 with the
   * current value). Resolves to true when the value changed.
   */
  refresh(): Promise<boolean>;
  /**
   * Waits for a rotation under way: resolves true as soon as `current()` is no longer
   * `since`, false after `timeoutMs`. The source re-reads meanwhile (watching can miss an
   * event), so a caller that knows the value is outdated (a service refused it) gets the
   * new one as soon as it lands. Sources that never change leave this out.
   */
  waitForChange?(since: string, timeoutMs: number): Promise<boolean>;
  /**
   * The value the origin itself keeps as the one before `current()` (a manager's
   * `AWSPREVIOUS`), with when `current()` replaced it (epoch ms): what a refused call may
   * fall back to, within the grace, when this process never saw the service accept a
   * value (it started after the rotation). Files keep no such thing and leave this out.
   */
  previous?(): { readonly value: string; readonly since: number } | undefined;
  /**
   * When the origin last confirmed `current()` (epoch ms): a manager's last successful
   * read. Readiness fails when that is too long ago. Sources read once, or watched
   * locally, leave this out.
   */
  lastConfirmedAt?(): number;
  /** Stops watching (files) or polling (managers); pending waits resolve false. */
  close(): void;
}

/** Splits a comma-separated multi-value secret (newest first), as used for rotation. */
export function secretList(source: SecretSource): string[] {
  return source
    .current()
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
