import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { SecretSource } from './secret-source.js';

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

interface Waiter {
  readonly since: string;
  readonly done: (changed: boolean) => void;
}

/**
 * A secret read from a file (Docker / Kubernetes secret mounts). The directory is
 * watched rather than the file because both Kubernetes (symlink swap of `..data`) and
 * editors (write-then-rename) replace the file instead of writing into it; `refresh()`
 * re-reads on demand as well, for platforms where watching misses an event.
 *
 * Reads never overlap: a watcher event and a `refresh()` arriving together could
 * otherwise finish out of order and put the old value back after the new one.
 */
export function fileSecret(path: string, opts: FileSecretOptions = {}): SecretSource {
  const read = (text: string) => text.replace(/\r?\n$/, '');
  let value = read(readFileSync(path, 'utf8'));
  if (value.length === 0) throw new Error(`secret file ${path} is empty`);
  const pollMs = opts.pollMs ?? DEFAULT_POLL_MS;
  const readText = opts.readText ?? ((p: string) => readFile(p, 'utf8'));
  const waiters = new Set<Waiter>();
  let poller: NodeJS.Timeout | undefined;

  const readOnce = async (): Promise<void> => {
    try {
      const next = read(await readText(path));
      // An empty read is a file caught half-written: keep the last good value.
      if (next.length === 0 || next === value) return;
      // So may be a short one (a file rewritten in place, seen between its writes): a new
      // value counts only when a second read agrees; otherwise the next event, poll or
      // refresh finds the finished file.
      if (read(await readText(path)) !== next) return;
      value = next;
      opts.onChange?.();
      for (const w of waiters) if (w.since !== value) w.done(true);
    } catch (err) {
      opts.onError?.(err as Error);
    }
  };

  let reading: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  /** One read at a time; a caller arriving during a read gets one more read after it. */
  const reload = (): Promise<void> => {
    if (reading === undefined) {
      reading = readOnce().finally(() => {
        reading = undefined;
      });
      return reading;
    }
    // The read under way may have started before the change this caller knows of, so
    // its result would not do; one further read is shared by everyone who asks meanwhile.
    queued ??= reading.then(() => {
      queued = undefined;
      return reload();
    });
    return queued;
  };

  const stopPolling = () => {
    if (poller !== undefined) clearInterval(poller);
    poller = undefined;
  };

  let watcher: FSWatcher | undefined;
  try {
    const name = basename(path);
    watcher = watch(dirname(path), { persistent: false }, (_event, file) => {
      if (file === null || file === name || file.startsWith('..')) void reload();
    });
    watcher.on('error', (err) => opts.onError?.(err));
  } catch (err) {
    opts.onError?.(err as Error);
  }

  return {
    description: `file ${path}`,
    current: () => value,
    refresh: async () => {
      const before = value;
      await reload();
      return value !== before;
    },
    waitForChange(since, timeoutMs) {
      if (value !== since) return Promise.resolve(true);
      if (!(timeoutMs > 0)) return Promise.resolve(false);
      return new Promise<boolean>((resolve) => {
        const waiter: Waiter = {
          since,
          done: (changed) => {
            clearTimeout(timer);
            waiters.delete(waiter);
            if (waiters.size === 0) stopPolling();
            resolve(changed);
          },
        };
        const timer = setTimeout(() => waiter.done(false), timeoutMs);
        waiters.add(waiter);
        if (poller === undefined) {
          poller = setInterval(() => void reload(), pollMs);
          poller.unref();
        }
      });
    },
    close: () => {
      watcher?.close();
      for (const w of [...waiters]) w.done(false);
      stopPolling();
    },
  };
}
