/**
 * `promise`'s value, or undefined once `ms` have passed without it; the timer is cleared either way.
 * The promise must not reject (catch first). `unref`: the wait does not keep the process alive.
 */
export async function settleWithin<T>(promise: Promise<T>, ms: number, options: { unref?: boolean } = {}): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), ms);
        if (options.unref) timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
