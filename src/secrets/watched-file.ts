import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface WatchFileOptions<T> {
  /**
   * Turns the file's text into the value. Throws when the text is unusable: at start-up
   * that error is `watchFile`'s; later the last good value stays and `onError` hears of it.
   */
  readonly parse: (text: string) => T;
  /** Applied to every read before anything else (e.g. drop a trailing newline). Default: none. */
  readonly normalise?: (text: string) => string;
  /** Called after a new value was taken. */
  readonly onChange?: (value: T) => void;
  /** Called when a re-read fails (file gone mid-rotation, unusable text); the last good value stays. */
  readonly onError?: (err: Error) => void;
  /** Reads the file's text after start-up. Default `fs/promises` `readFile` (utf8); tests slow it to pin races. */
  readonly readText?: (path: string) => Promise<string>;
}

/** A file's latest good value, kept in memory and re-read when the file changes. */
export interface WatchedFile<T> {
  current(): T;
  /** Re-reads now; resolves once a read that started after this call has finished. */
  reload(): Promise<void>;
  /** Stops watching. */
  close(): void;
}

/**
 * The project's one file watcher (secret files, the trusted-documents manifest). The
 * first read is synchronous and its errors are the caller's, so start-up fails on a bad
 * file. After that:
 * - the directory is watched rather than the file, because Kubernetes (symlink swap of
 *   `..data`) and editors (write-then-rename) replace the file instead of writing into it;
 * - an empty read is a file caught half-written and is ignored, and a changed text
 *   counts only when a second read agrees (a file rewritten in place, seen between its
 *   writes); the next event or `reload()` finds the finished file;
 * - reads never overlap: a watcher event and a `reload()` arriving together could
 *   otherwise finish out of order and put the old value back after the new one;
 * - a text `parse` refuses leaves the last good value in place.
 */
export function watchFile<T>(path: string, opts: WatchFileOptions<T>): WatchedFile<T> {
  const normalise = opts.normalise ?? ((text: string) => text);
  const readText = opts.readText ?? ((p: string) => readFile(p, 'utf8'));
  /** The last text taken or refused, so one change is parsed (and reported) once. */
  let seen = normalise(readFileSync(path, 'utf8'));
  let value = opts.parse(seen);

  const readOnce = async (): Promise<void> => {
    try {
      const next = normalise(await readText(path));
      if (next.length === 0 || next === seen) return;
      if (normalise(await readText(path)) !== next) return;
      seen = next;
      value = opts.parse(next);
      opts.onChange?.(value);
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
    current: () => value,
    reload,
    close: () => watcher?.close(),
  };
}
