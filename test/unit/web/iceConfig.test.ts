/** The browser's ICE configuration: the page's servers first, then the server's; the page's policy wins. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { hasOwnIce, rtcConfiguration, serverIce } from '../../../web/src/iceConfig.js';

const TURN = { urls: ['turn:turn.example:3478'], username: '1767225600:anonymous', credential: 'x' };
const PAGE_STUN = { urls: 'stun:stun.page.example' };

describe('ICE configuration of the browser', () => {
  it("merges the page's ICE servers (first) with the server's", () => {
    assert.deepEqual(rtcConfiguration({ iceServers: [PAGE_STUN] }, { iceServers: [TURN] }), { iceServers: [PAGE_STUN, TURN], iceTransportPolicy: 'all' });
    assert.deepEqual(rtcConfiguration({}, undefined), { iceServers: [], iceTransportPolicy: 'all' });
  });

  it("the page's ICE transport policy wins over the server's; without one the server's applies", () => {
    assert.equal(rtcConfiguration({}, { iceServers: [TURN], iceTransportPolicy: 'relay' }).iceTransportPolicy, 'relay');
    assert.equal(rtcConfiguration({ iceTransportPolicy: 'all' }, { iceServers: [TURN], iceTransportPolicy: 'relay' }).iceTransportPolicy, 'all');
    assert.equal(rtcConfiguration({ iceTransportPolicy: 'relay' }, undefined).iceTransportPolicy, 'relay');
  });

  it('a page has ICE settings of its own when it gives servers or a policy', () => {
    assert.equal(hasOwnIce({}), false);
    assert.equal(hasOwnIce({ iceServers: [] }), false);
    assert.equal(hasOwnIce({ iceServers: [PAGE_STUN] }), true);
    assert.equal(hasOwnIce({ iceTransportPolicy: 'relay' }), true);
  });

  it("keeps only well-formed servers and known policies from the server's message, and only their three fields", () => {
    assert.deepEqual(serverIce({ iceServers: [TURN, { urls: 1 }, { ...TURN, extra: 'x' }], iceTransportPolicy: 'relay' }), { iceServers: [TURN, TURN], iceTransportPolicy: 'relay' });
    assert.deepEqual(serverIce({}), {});
    assert.deepEqual(serverIce({ iceServers: {}, iceTransportPolicy: 'public' }), {});
  });
});
