import type { ServiceName } from '../../config/index.js';
import type { ItemsDTO } from '../types.js';
import { unusableBody } from './outcomes.js';

/**
 * The `items` of a list answer. Only the envelope is checked (cheaply, on every call): a
 * body without an `items` array would otherwise surface later as a confusing TypeError
 * in a resolver. The items themselves are trusted to follow the contract.
 */
export function itemsOf<T>(service: ServiceName, body: ItemsDTO<T> | null | undefined): T[] {
  const items = body?.items;
  if (!Array.isArray(items)) throw unusableBody(service, 200, 'the answer has no items array');
  return items;
}
