/**
 * on-headers 1.1 ships no types (and there is no @types/on-headers here). What
 * express-session itself uses to act just before the headers go out.
 */
declare module 'on-headers' {
  import type { ServerResponse } from 'node:http';

  /**
   * Calls `listener` once, with the response as `this`, right before its status line and
   * headers are written. Listeners run last-registered first.
   */
  function onHeaders<R extends ServerResponse>(res: R, listener: (this: R) => void): void;
  export default onHeaders;
}
