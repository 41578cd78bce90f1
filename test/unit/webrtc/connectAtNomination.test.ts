/**
 * connectAtNomination: werift's ICE connect() returns (and DTLS starts) as soon as a nominated pair
 * succeeded, not at werift's next 20 ms round, nor after the checks of candidates that trickled in
 * late. With a stand-in for werift's ICE connection, so the order of events is the test's; and the
 * real werift connection must still have the shape the wrapper relies on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RTCPeerConnection } from 'werift';
import { silentLogger } from '../../../server/src/log/logger.js';
import { connectAtNomination } from '../../../server/src/webrtc/werift/index.js';

/** werift's ICE connection as far as the wrapper sees it. */
class StandInConnection {
  nominated: unknown = undefined;
  checkListDone = false;
  consentFresh = false;
  iceLite = false;
  consentQueries = 0;
  finishOwnConnect: () => void = () => undefined;
  failOwnConnect: (err: Error) => void = () => undefined;
  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.finishOwnConnect = resolve;
      this.failOwnConnect = reject;
    });
  }
  checkComplete(pair: { nominated: boolean }): void {
    if (pair.nominated) {
      this.nominated = pair;
      this.checkListDone = true;
    }
  }
  queryConsent = (): void => {
    this.consentQueries++;
    this.consentFresh = true;
  };
}

function peerWith(connection: StandInConnection): RTCPeerConnection {
  return { iceTransports: [{ connection }] } as unknown as RTCPeerConnection;
}

const settled = async (promise: Promise<unknown>): Promise<boolean> => {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('connectAtNomination', () => {
  it('connect() returns when a nominated pair succeeds, with consent started, while werift carries on', async () => {
    const connection = new StandInConnection();
    assert.equal(connectAtNomination(peerWith(connection), silentLogger()), true);
    const connecting = connection.connect();
    connection.checkComplete({ nominated: false });
    assert.equal(await settled(connecting), false, 'a pair that succeeded without nomination is not enough');
    connection.checkComplete({ nominated: true });
    assert.equal(await settled(connecting), true, 'returned at the nomination');
    assert.equal(connection.consentQueries, 1, 'consent started: werift sends nothing without it');
    connection.checkComplete({ nominated: true });
    assert.equal(connection.consentQueries, 1, 'the hook is gone once connect() returned');
    connection.finishOwnConnect();
    await connecting;
  });

  it("werift's own end still counts: its result, or its failure before any nomination", async () => {
    const ok = new StandInConnection();
    connectAtNomination(peerWith(ok), silentLogger());
    const first = ok.connect();
    ok.finishOwnConnect();
    await first;
    assert.equal(ok.consentQueries, 0, 'werift started consent itself');

    const failing = new StandInConnection();
    connectAtNomination(peerWith(failing), silentLogger());
    const second = failing.connect();
    failing.failOwnConnect(new Error('ICE negotiation failed'));
    await assert.rejects(second, /ICE negotiation failed/);
  });

  it('is applied once per connection, leaves ICE-lite alone, and reports a werift of another shape', () => {
    const connection = new StandInConnection();
    connectAtNomination(peerWith(connection), silentLogger());
    const wrapped = connection.connect;
    connectAtNomination(peerWith(connection), silentLogger());
    assert.equal(connection.connect, wrapped, 'not wrapped twice');
    const lite = new StandInConnection();
    lite.iceLite = true;
    connectAtNomination(peerWith(lite), silentLogger());
    assert.equal(Object.hasOwn(lite, 'connect'), false, 'an ICE-lite agent does not poll');
    const other = { connect: () => Promise.resolve() };
    assert.equal(connectAtNomination({ iceTransports: [{ connection: other }] } as unknown as RTCPeerConnection, silentLogger()), false);
  });

  it("werift's real ICE connection has the fields it relies on", async () => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    try {
      pc.addTransceiver('video', { direction: 'sendonly' });
      assert.ok(pc.iceTransports.length > 0);
      assert.equal(connectAtNomination(pc, silentLogger()), true);
    } finally {
      await pc.close();
    }
  });
});
