import { type FSWatcher, readFileSync, watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { SecretSource } from './secret-source.js';

export interface FileSecretOptions {
  /** Called when a re-read fails (file gone mid-rotation); the last good value stays. */
  readonly onError?: (err: Error) => void;
  /** Called after the value changed. */
  readonly onChange?: () => void;
}

/**
 * A secret read from a file (Docker / Kubernetes secret mounts). The directory is
 * watched rather than the file because both Kubernetes (symlink swap of `..data`) and
 * editors (write-then-rename) replace the file instead of writing into it; `refresh()`
 * re-reads on demand as well, for platforms where watching misses an event.
 */
export function fileSecret(path: string, opts: FileSecretOptions = {}): SecretSource {
  const read = (text: string) => text.replace(/\r?\n$/, '');
  let value = read(readFileSync(path, 'utf8'));
  if (value.length === 0) throw new Error(`secret file ${path} is empty`);

  const reload = async (): Promise<boolean> => {
    try {
      const next = read(await readFile(path, 'utf8'));
      // An empty read is a file caught half-written: keep the last good value.
      if (next.length === 0 || next === value) return false;
      value = next;
      opts.onChange?.();
      return true;
    } catch (err) {
      opts.onError?.(err as Error);
      return false;
    }
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
    refresh: reload,
    close: () => watcher?.close(),
  };
}
