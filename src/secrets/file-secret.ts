import { changeWaiters } from './change-waiters.js';
import type { SecretSource } from './secret-source.js';
import { watchFile } from './watched-file.js';

export interface FileSecretOptions {
  /** Called when a re-read fails (file gone mid-rotation); the last good value stays. */
  readonly onError?: (err: Error) => void;
  /** Called after the value changed. */
  readonly onChange?: () => void;
  /**
   * While a caller waits for a new value (`waitForChange`), the file is also re-read this
   * often, in ms, in case the watcher misses the replacement (network filesystems, some
   * container runtimes). Nothing is polled while nobody waits. Default `50`.
   */
  readonly pollMs?: number;
  /** Reads the file's text after start-up. Default `fs/promises` `readFile` (utf8); tests slow it to pin races. */
  readonly readText?: (path: string) => Promise<string>;
}

const DEFAULT_POLL_MS = 50;

/**
 * A secret read from a file (Docker / Kubernetes secret mounts), re-read when the file is
 * replaced (see `watchFile` for how replacements, half-written files and racing reads
 * are handled); `refresh()` re-reads on demand as well, for platforms where watching
 * misses an event, and `waitForChange` polls while someone waits for a rotation.
 */
export function fileSecret(path: string, opts: FileSecretOptions = {}): SecretSource {
  const waiters = changeWaiters({ pollMs: opts.pollMs ?? DEFAULT_POLL_MS, poll: () => void file.reload() });

  const file = watchFile(path, {
    normalise: (text) => text.replace(/\r?\n$/, ''),
    // Only the first read can see an empty file: later, empty means caught mid-write.
    parse: (text) => {
      if (text.length === 0) throw new Error(`secret file ${path} is empty`);
      return text;
    },
    onChange: (value) => {
      opts.onChange?.();
      waiters.notify(value);
    },
    onError: opts.onError,
    readText: opts.readText,
  });

  return {
    description: `file ${path}`,
    current: () => file.current(),
    refresh: async () => {
      const before = file.current();
      await file.reload();
      return file.current() !== before;
    },
    waitForChange: (since, timeoutMs) => waiters.wait(file.current(), since, timeoutMs),
    close: () => {
      file.close();
      waiters.close();
    },
  };
}
