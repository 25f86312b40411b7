/**
 * DataLoader's invariant: a batch function resolves to an array of the same length as
 * its keys, each slot the value (or Error) for the key at the same index. Downstream
 * batch endpoints answer in any order and leave unknown ids out, so every batch
 * function realigns through here; an absent id becomes null.
 */
export function alignToKeys<K, V>(
  keys: readonly K[],
  items: readonly V[],
  keyOf: (item: V) => K,
): Array<V | null> {
  const byKey = new Map<K, V>();
  for (const item of items) byKey.set(keyOf(item), item);
  return keys.map((key) => byKey.get(key) ?? null);
}
