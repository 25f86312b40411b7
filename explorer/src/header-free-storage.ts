/**
 * `localStorage` for GraphiQL, minus request headers. `shouldPersistHeaders={false}`
 * keeps headers out of the saved tabs, but GraphiQL's history plugin saves every run's
 * headers with its query: an `Authorization` typed in the headers editor would outlive
 * the tab. Every value GraphiQL writes is JSON; `headers` is dropped from it at any depth.
 */
export function headerFreeStorage(backing: Storage = window.localStorage): Storage {
  return {
    get length() {
      return backing.length;
    },
    clear: () => backing.clear(),
    key: (index) => backing.key(index),
    getItem: (key) => backing.getItem(key),
    removeItem: (key) => backing.removeItem(key),
    setItem: (key, value) => backing.setItem(key, withoutHeaders(value)),
  };
}

function withoutHeaders(value: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return value; // Not JSON: nothing GraphiQL keeps headers in.
  }
  return JSON.stringify(parsed, (key, v: unknown) => (key === 'headers' ? undefined : v));
}
