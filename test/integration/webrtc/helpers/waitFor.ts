/**
 * Polls `condition` until it holds. The deadline only turns a hang into a failure with a readable
 * message (werift works over real sockets, so the test has to wait for packets); it is not a
 * performance assertion.
 */
export async function waitFor(condition: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > deadlineMs) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
