/**
 * The RTSP restream of a live camera, over the wire: what DESCRIBE says, that a client's first
 * packet starts a keyframe (the cached GOP replayed at once, or the next keyframe), one camera
 * session for any number of clients, PAUSE/PLAY per client, UDP, the camera pulled for the first
 * client and released after the last, a camera removed at run time, recordings left out.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { CameraConfigSchema } from '../../../server/src/config/Config.js';
import { CamrtcError } from '../../../server/src/errors.js';
import { parseRtpInfo } from '../../../server/src/rtsp/headers/RtpInfo.js';
import { RtspTestClient, rtpSeq } from '../../helpers/rtspTestClient.js';
import { framesWithin, playCamera, rtpPayload, rtpTimestamp, startRig, startsKeyframe, waitUntil, type Rig } from './restreamRig.js';

/** Frames (marker bits) since the last keyframe start among `packets`; -1 before any keyframe. */
function framesSinceKeyframe(packets: readonly Buffer[]): number {
  let frames = -1;
  for (const p of packets) {
    if (startsKeyframe(rtpPayload(p))) frames = 0;
    else if (frames >= 0 && (p[1] & 0x80) !== 0) frames++;
  }
  return frames;
}

const count = (rig: Rig, method: string): number => rig.demo.requests.filter((r) => r.method === method).length;

/** Sequence numbers consecutive and timestamps never going back, packet after packet. */
function assertOneStream(packets: readonly Buffer[], what: string): void {
  for (let i = 1; i < packets.length; i++) {
    assert.equal(rtpSeq(packets[i]), (rtpSeq(packets[i - 1]) + 1) & 0xffff, `${what}: sequence gap at packet ${i}`);
    assert.ok(((rtpTimestamp(packets[i]) - rtpTimestamp(packets[i - 1])) | 0) >= 0, `${what}: timestamp went back at packet ${i}`);
  }
}

describe('RTSP restream of a live camera', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig();
  });
  after(async () => {
    await rig.close();
  });

  it("DESCRIBE answers the camera's tracks as the restream sends them, under the camera's path", async () => {
    const client = await RtspTestClient.connect(rig.port);
    try {
      const res = await client.request('DESCRIBE', `rtsp://127.0.0.1:${rig.port}/front`, { Accept: 'application/sdp' });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('Content-Base'), `rtsp://127.0.0.1:${rig.port}/front/`);
      const sdp = res.body.toString();
      assert.match(sdp, /m=video 0 RTP\/AVP 96\r\na=rtpmap:96 H264\/90000\r\na=fmtp:96 profile-level-id=[0-9a-f]{6};sprop-parameter-sets=[^;\r]+;packetization-mode=1\r\na=control:trackID=0/);
      assert.match(sdp, /m=audio 0 RTP\/AVP 8\r\na=rtpmap:8 PCMA\/8000\/1\r\na=control:trackID=1/);
      assert.match(sdp, /s=front/);
    } finally {
      client.close();
    }
  });

  it('the first client pulls the camera; its first video packet starts a keyframe, and RTP-Info names the packets it gets', async () => {
    const p = await playCamera(rig.port);
    try {
      const [first] = await framesWithin(p.client, 0, 1);
      assert.ok(startsKeyframe(rtpPayload(first)), `first payload starts with NAL type ${rtpPayload(first)[0] & 0x1f}`);
      const info = parseRtpInfo(p.play.headers.get('RTP-Info')!);
      assert.ok(!(info instanceof CamrtcError));
      // The client waited for the next keyframe: it starts at or after the announced sequence number.
      assert.ok(((rtpSeq(first) - info[0].seq!) << 16 >> 16) >= 0);
      assert.equal(count(rig, 'PLAY'), 1);
      assertOneStream(await framesWithin(p.client, 0, 100), 'video');
      assertOneStream(await framesWithin(p.client, 2, 50), 'audio');
    } finally {
      p.client.close();
    }
  });

  it('a client joining while others play gets the cached GOP at once (keyframe first, squeezed 1 ms apart), then the live packets in sequence; still one camera session', async () => {
    const a = await playCamera(rig.port);
    const b = await playCamera(rig.port);
    try {
      // Mid-GOP, so that the replay holds several frames (the clip has a keyframe every 25).
      await waitUntil(() => framesSinceKeyframe(a.client.frames.get(0) ?? []) >= 8, 'eight frames into a GOP');
      const describesBefore = count(rig, 'DESCRIBE');
      const c = await playCamera(rig.port);
      try {
        const [first] = await framesWithin(c.client, 0, 1, 200);
        assert.ok(performance.now() - c.playedAt < 200, 'the replay arrives with the PLAY answer');
        assert.ok(startsKeyframe(rtpPayload(first)));
        const info = parseRtpInfo(c.play.headers.get('RTP-Info')!);
        assert.ok(!(info instanceof CamrtcError));
        assert.equal(info[0].seq, rtpSeq(first), 'RTP-Info seq is the replay\'s first packet');
        assert.equal(info[0].rtptime, rtpTimestamp(first));
        const packets = await framesWithin(c.client, 0, 150);
        assertOneStream(packets, 'replay then live');
        // Frames of the replay are 1 ms (90 ticks) apart; the live ones 3600 ticks (25 fps).
        const steps = new Set<number>();
        for (let i = 1; i < 20; i++) steps.add((rtpTimestamp(packets[i]) - rtpTimestamp(packets[i - 1])) | 0);
        assert.ok(steps.has(90), `replayed frames squeezed: steps ${[...steps].join(',')}`);
        // The same shared stream as the other clients: same SSRC.
        assert.equal(packets[0].readUInt32BE(8), (await framesWithin(a.client, 0, 1))[0].readUInt32BE(8));
        assert.equal(count(rig, 'PLAY'), 1, 'the camera saw one PLAY');
        assert.equal(count(rig, 'DESCRIBE'), describesBefore);
        assert.equal(rig.restream.sessionCount('front'), 3);
        assert.equal(rig.demo.clientCount, 1, 'one RTSP connection to the camera');
      } finally {
        c.client.close();
      }
    } finally {
      a.client.close();
      b.client.close();
    }
  });

  it('PAUSE stops one client only; PLAY resumes it at a keyframe, forward in sequence and time', async () => {
    const a = await playCamera(rig.port);
    const b = await playCamera(rig.port);
    try {
      await framesWithin(a.client, 0, 30);
      const res = await a.client.request('PAUSE', `rtsp://127.0.0.1:${rig.port}/front`, { Session: a.session });
      assert.equal(res.status, 200);
      await new Promise((r) => setTimeout(r, 100));
      const pausedAt = a.client.frames.get(0)!.length;
      const bAt = b.client.frames.get(0)!.length;
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(a.client.frames.get(0)!.length, pausedAt, 'no packet while paused');
      assert.ok(b.client.frames.get(0)!.length > bAt + 10, 'the other client goes on');
      const last = a.client.frames.get(0)![pausedAt - 1];
      const play = await a.client.request('PLAY', `rtsp://127.0.0.1:${rig.port}/front`, { Session: a.session });
      assert.equal(play.status, 200);
      const resumed = (await framesWithin(a.client, 0, pausedAt + 1, 5000))[pausedAt];
      assert.ok(startsKeyframe(rtpPayload(resumed)), 'resumes at a keyframe');
      assert.ok(((rtpSeq(resumed) - rtpSeq(last)) << 16 >> 16) > 0, 'sequence goes forward');
      assert.ok(((rtpTimestamp(resumed) - rtpTimestamp(last)) | 0) > 0, 'time goes forward');
    } finally {
      a.client.close();
      b.client.close();
    }
  });

  it('UDP: the packets go to the client ports of the address the request came from', async () => {
    const rtp = dgram.createSocket('udp4');
    rtp.bind(0, '127.0.0.1');
    await once(rtp, 'listening');
    const port = rtp.address().port;
    const got: Buffer[] = [];
    rtp.on('message', (m) => got.push(m));
    const client = await RtspTestClient.connect(rig.port);
    try {
      const url = `rtsp://127.0.0.1:${rig.port}/front`;
      assert.equal((await client.request('DESCRIBE', url)).status, 200);
      const setup = await client.request('SETUP', `${url}/trackID=0`, { Transport: `RTP/AVP;unicast;client_port=${port}-${port + 1}` });
      assert.equal(setup.status, 200);
      assert.match(setup.headers.get('Transport')!, /server_port=\d+-\d+/);
      const session = setup.headers.get('Session')!.split(';')[0];
      assert.equal((await client.request('PLAY', url, { Session: session })).status, 200);
      await waitUntil(() => got.length >= 30, '30 RTP packets over UDP');
      assert.ok(startsKeyframe(rtpPayload(got[0])));
      assertOneStream(got.slice(0, 30), 'udp');
    } finally {
      client.close();
      rtp.close();
    }
  });

  it('the camera is let go after the last client leaves (TEARDOWN after its idle time), and pulled again by the next', async () => {
    await waitUntil(() => rig.restream.sessionCount('front') === 0, 'every session ended');
    await waitUntil(() => count(rig, 'TEARDOWN') >= 1, 'TEARDOWN to the camera', 3000);
    const plays = count(rig, 'PLAY');
    const p = await playCamera(rig.port);
    try {
      await framesWithin(p.client, 0, 5);
      assert.equal(count(rig, 'PLAY'), plays + 1);
      const teardowns = count(rig, 'TEARDOWN');
      const res = await p.client.request('TEARDOWN', `rtsp://127.0.0.1:${rig.port}/front`, { Session: p.session });
      assert.equal(res.status, 200);
      await waitUntil(() => count(rig, 'TEARDOWN') > teardowns, 'the camera let go after TEARDOWN', 3000);
    } finally {
      p.client.close();
    }
  });

  it('a camera removed at run time: its RTSP sessions and their connections end, the next DESCRIBE gets 404; a recording is not restreamed', async () => {
    rig.cameras.add(CameraConfigSchema.parse({ name: 'side', url: rig.cameraUrl, transport: 'tcp', idleTimeoutMs: 100 }));
    rig.cameras.add(CameraConfigSchema.parse({ name: 'nvr', url: rig.cameraUrl, transport: 'tcp', recording: true }));
    const p = await playCamera(rig.port, 'side');
    const other = await playCamera(rig.port, 'front');
    const client = await RtspTestClient.connect(rig.port);
    try {
      await framesWithin(p.client, 0, 5);
      assert.equal(rig.restream.sessionCount('side'), 1);
      const closed = once(p.client.socket, 'close');
      await rig.cameras.remove('side');
      assert.equal(rig.restream.sessionCount('side'), 0);
      await closed;
      assert.ok(!other.client.socket.destroyed, "another camera's client stays");
      assert.equal((await client.request('DESCRIBE', `rtsp://127.0.0.1:${rig.port}/side`)).status, 404);
      assert.equal((await client.request('DESCRIBE', `rtsp://127.0.0.1:${rig.port}/nvr`)).status, 404);
      assert.equal((await client.request('DESCRIBE', `rtsp://127.0.0.1:${rig.port}/nobody`)).status, 404);
    } finally {
      p.client.close();
      other.client.close();
      client.close();
    }
  });
});

describe('a camera that does not answer', () => {
  it('DESCRIBE says 503 after the wait, without holding other clients', async () => {
    const rig = await startRig({ restream: { prepareTimeoutMs: 500 } });
    try {
      rig.cameras.add(CameraConfigSchema.parse({ name: 'dead', url: 'rtsp://127.0.0.1:9/x', transport: 'tcp' }));
      const client = await RtspTestClient.connect(rig.port);
      const other = await RtspTestClient.connect(rig.port);
      try {
        const pending = client.request('DESCRIBE', `rtsp://127.0.0.1:${rig.port}/dead`);
        assert.equal((await other.request('DESCRIBE', `rtsp://127.0.0.1:${rig.port}/front`)).status, 200);
        assert.equal((await pending).status, 503);
      } finally {
        client.close();
        other.close();
      }
    } finally {
      await rig.close();
    }
  });
});
