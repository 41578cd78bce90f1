/**
 * The ONVIF audio backchannel on the wire, against scripted cameras: the live session asks for it on
 * DESCRIBE only (a camera that answers 551, as most do, is described again without it and
 * remembered), sees its a=sendonly track, and plays a media described with it without a Range; the
 * talk session (BackchannelSession) carries the Require header on every request, sets up every track,
 * and its RTP reaches the camera on the backchannel's interleaved channel.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../server/src/log/logger.js';
import { BACKCHANNEL_SETUP_REFUSAL_MS, BackchannelMemory, ONVIF_BACKCHANNEL } from '../../../server/src/rtsp/backchannel.js';
import { BackchannelSession } from '../../../server/src/rtsp/BackchannelSession.js';
import { RtspSession } from '../../../server/src/rtsp/RtspSession.js';
import { parseTransport } from '../../../server/src/rtsp/headers/Transport.js';
import { CamrtcError } from '../../../server/src/errors.js';
import type { RtspRequest } from '../../../server/src/rtsp/message.js';
import { FAKE_SDP, FakeRtspServer, rtpPacket, type FakeConnection } from './FakeRtspServer.js';
import { waitFor } from '../webrtc/helpers/waitFor.js';

const BACKCHANNEL_SDP = `${FAKE_SDP.trimEnd()}\r\nm=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=control:trackID=9\r\na=sendonly\r\n`;

/** A camera: `withBackchannel` answers the Require header with BACKCHANNEL_SDP, else 551 (or `refusal`). */
function camera(withBackchannel: boolean, refusal = 551) {
  return (req: RtspRequest, conn: FakeConnection): void => {
    const require = req.headers.get('Require');
    switch (req.method) {
      case 'OPTIONS':
        conn.reply(req, 200, { Public: 'OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN' });
        return;
      case 'DESCRIBE':
        if (require !== undefined && !withBackchannel) {
          conn.reply(req, refusal, { Unsupported: require });
          return;
        }
        conn.reply(req, 200, { 'Content-Type': 'application/sdp', 'Content-Base': `${req.uri}/` }, require ? BACKCHANNEL_SDP : FAKE_SDP);
        return;
      case 'SETUP': {
        const asked = parseTransport(req.headers.get('Transport') ?? '');
        assert.ok(!(asked instanceof CamrtcError) && asked.interleaved);
        conn.reply(req, 200, { Session: 'BC1;timeout=60', Transport: `RTP/AVP/TCP;unicast;interleaved=${asked.interleaved[0]}-${asked.interleaved[1]}` });
        return;
      }
      case 'PLAY':
        conn.reply(req, 200, { Session: 'BC1' });
        conn.sendInterleaved(0, rtpPacket(96, 1));
        return;
      default:
        conn.reply(req, 200, { Session: 'BC1' });
    }
  };
}

function describes(server: FakeRtspServer): Array<string | undefined> {
  return server.requests.filter((r) => r.method === 'DESCRIBE').map((r) => r.headers.get('Require'));
}

test('a camera that answers 551 to the Require header is described again without it, and remembered', async () => {
  const server = await FakeRtspServer.start(camera(false));
  const memory = new BackchannelMemory();
  try {
    for (let i = 0; i < 2; i++) {
      const session = new RtspSession({ url: server.url(), cameraName: 'plain', transport: 'tcp', backchannel: true, backchannelMemory: memory, readTimeoutMs: 2000 });
      const { tracks } = await session.start();
      assert.ok(tracks.length > 0);
      assert.equal(session.describedTracks.some((t) => t.direction === 'sendonly'), false);
      await session.close();
    }
    assert.deepEqual(describes(server), [ONVIF_BACKCHANNEL, undefined, undefined], 'asked once, then never again');
    // Without a backchannel, PLAY keeps its Range.
    assert.ok(server.requests.filter((r) => r.method === 'PLAY').every((r) => r.headers.get('Range') === 'npt=0.000-'));
  } finally {
    await server.close();
  }
});

test('a camera refusing the header with another status (400) is retried too; a session without the option never sends it', async () => {
  const server = await FakeRtspServer.start(camera(false, 400));
  try {
    const session = new RtspSession({ url: server.url(), cameraName: 'odd', transport: 'tcp', backchannel: true, backchannelMemory: new BackchannelMemory(), readTimeoutMs: 2000 });
    await session.start();
    await session.close();
    const plain = new RtspSession({ url: server.url(), cameraName: 'odd', transport: 'tcp', readTimeoutMs: 2000 });
    await plain.start();
    await plain.close();
    assert.deepEqual(describes(server), [ONVIF_BACKCHANNEL, undefined, undefined]);
  } finally {
    await server.close();
  }
});

test('a camera with a backchannel: the live session sees its sendonly track, sets up only what it plays, and asks no Range', async () => {
  const server = await FakeRtspServer.start(camera(true));
  try {
    const session = new RtspSession({ url: server.url(), cameraName: 'door', transport: 'tcp', backchannel: true, backchannelMemory: new BackchannelMemory(), readTimeoutMs: 2000 });
    const { tracks } = await session.start();
    const back = session.describedTracks.find((t) => t.direction === 'sendonly');
    assert.equal(back?.codec, 'PCMU');
    assert.ok(!tracks.includes(back!), 'the backchannel is not played');
    assert.ok(server.requests.filter((r) => r.method === 'SETUP').every((r) => !r.uri.endsWith('trackID=9')));
    const play = server.requests.find((r) => r.method === 'PLAY')!;
    assert.equal(play.headers.get('Range'), undefined, 'GStreamer-based cameras fail the seek of a backchannel media');
    assert.equal(play.headers.get('Require'), undefined, 'only DESCRIBE carries the header');
    await session.close();
  } finally {
    await server.close();
  }
});

test('a camera that refuses SETUP after a DESCRIBE with the header (a backchannel busy elsewhere) is described without it for a while', async () => {
  let describedWith = false;
  const script = camera(true);
  const server = await FakeRtspServer.start((req, conn) => {
    if (req.method === 'DESCRIBE') describedWith = req.headers.get('Require') !== undefined;
    // Amcrest, Dahua: one backchannel session at a time.
    if (req.method === 'SETUP' && describedWith) conn.reply(req, 453, {});
    else script(req, conn);
  });
  let now = 0;
  const memory = new BackchannelMemory(() => now);
  try {
    const options = { url: server.url(), cameraName: 'door', transport: 'tcp' as const, backchannel: true, backchannelMemory: memory, readTimeoutMs: 2000 };
    const first = new RtspSession(options);
    await assert.rejects(first.start(), (err: CamrtcError) => err.code === 'ERR_RTSP_BAD_STATUS');
    const second = new RtspSession(options);
    await second.start();
    assert.equal(second.describedWithBackchannel, false);
    await second.close();
    now += BACKCHANNEL_SETUP_REFUSAL_MS + 1;
    assert.equal(memory.refuses(server.url()), false, 'asked again after a while');
    assert.deepEqual(describes(server), [ONVIF_BACKCHANNEL, undefined]);
  } finally {
    await server.close();
  }
});

test('the talk session sets up every track with the Require header and its RTP reaches the backchannel channel', async () => {
  const server = await FakeRtspServer.start(camera(true));
  try {
    const talk = new BackchannelSession({ url: server.url(), cameraName: 'door', logger: silentLogger(), readTimeoutMs: 2000 });
    const track = await talk.start();
    assert.equal(track.codec, 'PCMU');
    const setups = server.requests.filter((r) => r.method === 'SETUP');
    assert.equal(setups.length, 4, 'video, audio, metadata and the backchannel');
    for (const r of server.requests.filter((x) => x.method !== 'TEARDOWN')) assert.equal(r.headers.get('Require'), ONVIF_BACKCHANNEL, `${r.method} carries Require`);
    const backSetup = setups.find((r) => r.uri.endsWith('trackID=9'))!;
    const asked = parseTransport(backSetup.headers.get('Transport') ?? '');
    assert.ok(!(asked instanceof CamrtcError) && asked.interleaved);
    const packet = rtpPacket(0, 77);
    talk.send(packet);
    await waitFor(() => server.interleaved.some((f) => f.channel === asked.interleaved![0] && f.data.equals(packet)), 'the RTP on the backchannel channel');
    await talk.close();
    await waitFor(() => server.requests.some((r) => r.method === 'TEARDOWN'), 'TEARDOWN');
  } finally {
    await server.close();
  }
});

test('a talk session to a camera without a backchannel fails with ERR_TALK_UNAVAILABLE', async () => {
  const server = await FakeRtspServer.start((req, conn) => {
    if (req.method === 'DESCRIBE') conn.reply(req, 200, { 'Content-Type': 'application/sdp', 'Content-Base': `${req.uri}/` }, FAKE_SDP);
    else conn.reply(req, 200, {});
  });
  try {
    const talk = new BackchannelSession({ url: server.url(), cameraName: 'plain', logger: silentLogger(), readTimeoutMs: 2000 });
    await assert.rejects(talk.start(), (err: CamrtcError) => err.code === 'ERR_TALK_UNAVAILABLE');
    assert.equal(talk.closed, true);
  } finally {
    await server.close();
  }
});
