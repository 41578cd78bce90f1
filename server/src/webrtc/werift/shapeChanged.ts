/**
 * What every reach into werift does when werift is not shaped as expected (a werift upgrade): says
 * so once per process and per reach, and the reach keeps werift's own, slower behaviour, so an
 * upgrade degrades speed, never correctness. The contract test (test/integration/webrtc/
 * weriftContract.test.ts) fails on any of these lines.
 */
import type { Logger } from '../../log/logger.js';

/** The start of the warning, for whoever reads the logs (and the contract test). */
export const SHAPE_CHANGED_MESSAGE = 'this werift version differs from the one camrtc was tuned for';

const warned = new Set<string>();

/**
 * Says once per process that a reach into werift found another shape than expected, and what camrtc
 * does instead (`consequence`).
 */
export function weriftShapeChanged(logger: Logger, what: string, consequence = 'using werift defaults'): void {
  if (warned.has(what)) return;
  warned.add(what);
  logger.warn({ what, weriftShapeChanged: true }, `${SHAPE_CHANGED_MESSAGE}; ${consequence}`);
}

/** The reaches that fell back in this process so far (their `what`). */
export function weriftFallbacks(): readonly string[] {
  return [...warned];
}
