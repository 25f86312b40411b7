/**
 * Resolves to the promise's value, or to undefined once `ms` passed; a rejection passes
 * through. The promise itself runs on (it is not cancelled): for waits on something
 * outside our control (the IdP, a readiness check) that must not hold up the answer.
 * The timer never keeps the process alive.
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
