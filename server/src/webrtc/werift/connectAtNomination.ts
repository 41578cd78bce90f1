/**
 * Reach: ICE done at nomination. werift's ICE connect() polls its check list every 20 ms, so DTLS
 * started 0-20 ms after the pair was nominated.
 */
import type { RTCPeerConnection } from 'werift';
import type { Logger } from '../../log/logger.js';
import { weriftShapeChanged } from './shapeChanged.js';

interface IceConnectInternals {
  connect: () => Promise<void>;
  checkComplete: (pair: unknown) => void;
  queryConsent: () => void;
  nominated: unknown;
  checkListDone: boolean;
  consentFresh: boolean;
  iceLite: boolean;
}

function iceConnectInternals(connection: unknown): IceConnectInternals | undefined {
  const c = connection as Partial<IceConnectInternals> | undefined;
  if (
    typeof c?.connect !== 'function' ||
    typeof c.checkComplete !== 'function' ||
    typeof c.queryConsent !== 'function' ||
    !('nominated' in c) ||
    typeof c.checkListDone !== 'boolean' ||
    typeof c.consentFresh !== 'boolean' ||
    typeof c.iceLite !== 'boolean'
  ) {
    return undefined;
  }
  return c as IceConnectInternals;
}

const earlyIce = new WeakSet<object>();

/**
 * werift's ICE connect() schedules its checks in a loop that sleeps 20 ms between rounds, and only
 * returns (the ICE transport then starts DTLS) at the round after a pair was nominated: 0-20 ms
 * lost on every connection, on the first-frame path. Here connect() returns as soon as a nominated
 * pair succeeded, with consent started as werift's own connect() does before it returns (werift
 * sends no media without it); werift's connect() carries on to the same end in the background.
 * Call before setRemoteDescription.
 */
export function connectAtNomination(pc: RTCPeerConnection, logger: Logger): boolean {
  let ok = true;
  for (const transport of pc.iceTransports) {
    const connection = (transport as unknown as { connection?: object }).connection;
    const c = iceConnectInternals(connection);
    if (!connection || !c) {
      weriftShapeChanged(logger, 'ICE connection connect/checkComplete fields', 'DTLS starts at werift\'s next ICE round');
      ok = false;
      continue;
    }
    if (earlyIce.has(connection) || c.iceLite) continue;
    earlyIce.add(connection);
    const connect = c.connect;
    const checkComplete = c.checkComplete;
    c.connect = function (this: IceConnectInternals): Promise<void> {
      const own = connect.call(this);
      return new Promise<void>((resolve, reject) => {
        let done = false;
        // The first of the nomination and werift's own end settles connect() and removes the hook.
        const settle = (end: () => void): void => {
          if (done) return;
          done = true;
          this.checkComplete = checkComplete;
          end();
        };
        this.checkComplete = function (this: IceConnectInternals, pair: unknown): void {
          checkComplete.call(this, pair);
          if (done || !this.nominated || !this.checkListDone) return;
          if (!this.consentFresh) this.queryConsent();
          settle(resolve);
        };
        own.then(
          () => settle(resolve),
          (err: unknown) => settle(() => reject(err)),
        );
      });
    };
  }
  return ok;
}
