/**
 * The upstream feed shared by live and recording cameras: tracks matched by media and codec across
 * reconnects, states that say what a viewer gets (no media, undecodable media), and the recording
 * camera getting the same track selection and transcoding as a live one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { spawnSync } from 'node:child_process';
import { LiveCamera } from '../../../server/src/media/LiveCamera.js';
import { RecordingCamera } from '../../../server/src/media/RecordingCamera.js';
import type { UpstreamSession } from '../../../server/src/media/UpstreamFeed.js';
import { Backoff } from '../../../server/src/media/Backoff.js';
import { CamrtcError } from '../../../server/src/errors.js';
import type { MediaFrame } from '../../../server/src/media/MediaFrame.js';
import type { CameraStatus } from '../../../server/src/media/CameraState.js';
import type { Track } from '../../../server/src/sdp/Track.js';
import { findFfmpeg } from '../../../server/src/audio/ffmpeg.js';
import { IDR, PPS, P_SLICE, SPS, rawRtp } from '../rtp/rtpFixtures.js';

const sprop = `${SPS.toString('base64')},${PPS.toString('base64')}`;
function video(index: number): Track {
  return { index, kind: 'video', codec: 'H264', payloadType: 96, clockRate: 90000, fmtp: { 'packetization-mode': '1', 'sprop-parameter-sets': sprop }, control: `rtsp://h/cam/trackID=${index}`, direction: 'recvonly' };
}
function pcma(index: number): Track {
  return { index, kind: 'audio', codec: 'PCMA', payloadType: 8, clockRate: 8000, channels: 1, fmtp: {}, control: `rtsp://h/cam/trackID=${index}`, direction: 'recvonly' };
}
function aac(index: number): Track {
  return { index, kind: 'audio', codec: 'MPEG4-GENERIC', payloadType: 97, clockRate: 16000, channels: 1, fmtp: { streamtype: '5', mode: 'AAC-hbr', config: '1408', sizelength: '13', indexlength: '3', indexdeltalength: '3' }, control: `rtsp://h/cam/trackID=${index}`, direction: 'recvonly' };
}

class Upstream extends EventEmitter implements UpstreamSession {
  closed = false;
  /** What RtspSession's receiver reports count; set by the test. */
  lostPacketCount = 0;
  constructor(readonly tracks: readonly Track[]) {
    super();
  }
  async start() {
    return { tracks: this.tracks };
  }
  async pause() {}
  async play() {}
  async close() {
    this.closed = true;
  }
}

function camera(layouts: Track[][], options: { mediaTimeoutMs?: number; recording?: boolean } = {}) {
  const sessions: Upstream[] = [];
  const config = { name: 'cam', url: 'rtsp://admin:pw@192.0.2.1/cam', transport: 'tcp' as const, preload: false, idleTimeoutMs: 10 };
  const common = {
    camera: config,
    mediaTimeoutMs: options.mediaTimeoutMs ?? 4000,
    createSession: () => {
      const up = new Upstream(layouts[Math.min(sessions.length, layouts.length - 1)]);
      sessions.push(up);
      return up;
    },
  };
  const cam = options.recording ? new RecordingCamera({ ...common, backoff: () => new Backoff({ initialMs: 5, maxMs: 10 }) }) : new LiveCamera({ ...common, backoff: new Backoff({ initialMs: 5, maxMs: 10 }) });
  const frames: MediaFrame[] = [];
  const lease = cam.acquire();
  lease.subscribe({ onFrame: (f) => frames.push(f) });
  return { cam, lease, sessions, frames };
}

async function waitFor(pred: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

let seq = 1;
const h264 = (nalu: Buffer, ts: number, ssrc = 1) => rawRtp({ seq: seq++, ts, payload: nalu, marker: true, ssrc });
const alaw = (ts: number, ssrc = 2) => rawRtp({ seq: seq++, ts, payload: Buffer.alloc(160, 0xd5), payloadType: 8, ssrc });

describe('UpstreamFeed: tracks are matched by media and codec, never by position', () => {
  it('a camera that comes back as audio then video: frames keep the index viewers know for each medium', async () => {
    const { cam, sessions, frames } = camera([[video(0), pcma(1)], [pcma(0), video(1)]]);
    const tracks = await cam.tracks();
    assert.deepEqual(tracks.map((t) => [t.index, t.kind]), [[0, 'video'], [1, 'audio']]);
    sessions[0].emit('rtp', 0, h264(IDR(), 0));
    sessions[0].emit('rtp', 1, alaw(0));
    sessions[0].emit('close', new CamrtcError('ERR_RTSP_CONNECTION_LOST', 'camera rebooted'));
    await waitFor(() => sessions.length === 2 && cam.status.state === 'waiting');
    // The new SDP: audio is track 0, video track 1.
    sessions[1].emit('rtp', 0, alaw(8000, 7));
    sessions[1].emit('rtp', 1, h264(IDR(), 90_000, 8));
    const after = frames.slice(2);
    assert.deepEqual(after.map((f) => [f.kind, f.trackIndex]), [['audio', 1], ['video', 0]], 'audio stays on the audio track, video on the video track');
    assert.deepEqual(cam.knownTracks?.map((t) => [t.index, t.kind]), [[0, 'video'], [1, 'audio']], 'viewers still see the same tracks');
    assert.equal(cam.knownTracks, tracks, 'the very same tracks: spare viewers made for them stay usable');
    await cam.close();
  });

  it('a camera that comes back with another codec: the tracks change incompatibly, so viewers renegotiate', async () => {
    const { cam, sessions } = camera([[video(0), pcma(1)], [video(0)]]);
    await cam.tracks();
    const changes: boolean[] = [];
    cam.on('tracks', (_t, compatible) => changes.push(compatible));
    sessions[0].emit('close', new CamrtcError('ERR_RTSP_CONNECTION_LOST', 'camera rebooted'));
    await waitFor(() => sessions.length === 2 && cam.status.state === 'waiting');
    assert.deepEqual(changes, [false]);
    await cam.close();
  });
});

describe('UpstreamFeed: the state says what a viewer will get', () => {
  it('a camera that answers PLAY but never sends RTP is not live: waiting, then ERR_NO_MEDIA', async () => {
    const { cam } = camera([[video(0)]], { mediaTimeoutMs: 60 });
    await cam.tracks();
    assert.equal(cam.status.state, 'waiting');
    assert.equal(cam.status.error, undefined, 'no error before the timeout: the first frame may just be late');
    await waitFor(() => cam.status.error !== undefined);
    assert.equal(cam.status.state, 'waiting');
    assert.equal((cam.status as CameraStatus).error?.code, 'ERR_NO_MEDIA');
    assert.match((cam.status as CameraStatus).error!.message, /no video/);
    assert.equal(cam.info().state, 'waiting');
    await cam.close();
  });

  it('audio alone does not make a video camera live', async () => {
    const { cam, sessions } = camera([[video(0), pcma(1)]], { mediaTimeoutMs: 60 });
    await cam.tracks();
    const timer = setInterval(() => sessions[0].emit('rtp', 1, alaw(0)), 5);
    await waitFor(() => cam.status.error !== undefined);
    clearInterval(timer);
    assert.equal(cam.status.state, 'waiting');
    sessions[0].emit('rtp', 0, h264(IDR(), 0));
    assert.equal(cam.status.state, 'live', 'the first video frame makes it live');
    assert.equal(cam.status.error, undefined);
    await cam.close();
  });

  it('FU-A fragments without a start: not live, ERR_MEDIA_UNDECODABLE says why, one log line not one per packet', async () => {
    const { cam, sessions } = camera([[video(0)]], { mediaTimeoutMs: 80 });
    await cam.tracks();
    const fuaMiddle = Buffer.from([0x7c, 0x05, 1, 2, 3, 4]); // FU indicator type 28, FU header: no S, no E
    const timer = setInterval(() => {
      for (let i = 0; i < 20; i++) sessions[0].emit('rtp', 0, rawRtp({ seq: seq++, ts: 1000, payload: fuaMiddle, marker: i === 19 }));
    }, 5);
    await waitFor(() => cam.status.error !== undefined);
    clearInterval(timer);
    assert.equal(cam.status.state, 'waiting');
    assert.equal(cam.status.error?.code, 'ERR_MEDIA_UNDECODABLE');
    assert.match(cam.status.error!.message, /cannot decode/);
    await cam.close();
  });

  it('an SSRC that changes on every packet: never live, ERR_MEDIA_UNDECODABLE', async () => {
    const { cam, sessions } = camera([[video(0)]], { mediaTimeoutMs: 80 });
    await cam.tracks();
    let ssrc = 100;
    let ts = 0;
    const timer = setInterval(() => {
      sessions[0].emit('rtp', 0, h264(P_SLICE(), (ts += 3000), ssrc++));
    }, 2);
    await waitFor(() => cam.status.error !== undefined);
    clearInterval(timer);
    assert.notEqual(cam.status.state, 'live');
    assert.equal(cam.status.error?.code, 'ERR_MEDIA_UNDECODABLE');
    assert.match(cam.status.error!.message, /SSRC/);
    await cam.close();
  });

  it('no credentials in any status', async () => {
    const { cam } = camera([[video(0)]], { mediaTimeoutMs: 40 });
    const statuses: CameraStatus[] = [];
    cam.on('status', (s) => statuses.push(s));
    await cam.tracks();
    await waitFor(() => cam.status.error !== undefined);
    assert.ok(statuses.every((s) => !JSON.stringify(s).includes('pw')));
    await cam.close();
  });
});

/** The AAC -> Opus ffmpeg processes this test process started. */
function transcoders(): number {
  const ps = spawnSync('ps', ['-o', 'args=', '--ppid', String(process.pid)], { encoding: 'utf8' });
  return ps.stdout.split('\n').filter((l) => l.includes('ffmpeg') && l.includes('libopus')).length;
}

/** One RFC 3640 AAC-hbr packet: AU-headers-length 16, one AU header (13-bit size, 3-bit index), the AU. */
function aacPacket(ts: number, marker = true): Buffer {
  const au = Buffer.alloc(40, 0x21);
  const headers = Buffer.from([0x00, 0x10, (au.length >> 5) & 0xff, (au.length << 3) & 0xff]);
  return rawRtp({ seq: seq++, ts, payload: Buffer.concat([headers, au]), payloadType: 97, marker, ssrc: 3 });
}

describe('LiveCamera: AAC for the restream as the camera sends it, transcoded only while a browser watches', { skip: findFfmpeg() ? false : 'ffmpeg is not installed' }, () => {
  it("a camera-codecs sink (the restream) gets the camera's packets, marker and all, and starts no ffmpeg; a browser's subscription does, until it leaves", async () => {
    const { cam, lease, sessions } = camera([[video(0), aac(1)]]);
    const restream: MediaFrame[] = [];
    lease.subscribe({ cameraCodecs: true, onFrame: (f) => restream.push(f) });
    await cam.tracks();
    await waitFor(() => sessions.length === 1);
    const first = aacPacket(16000);
    sessions[0].emit('rtp', 1, first);
    sessions[0].emit('rtp', 1, aacPacket(17024, false));
    const audio = restream.filter((f) => f.kind === 'audio');
    assert.deepEqual(audio.map((f) => [f.encoding, f.timestamp, f.marker]), [['camera', 16000, true], ['camera', 17024, false]]);
    assert.deepEqual(audio[0].payloads, [first.subarray(12)], "the camera's payload, AU headers included");
    assert.equal(transcoders(), 0, 'no browser: no transcoder');

    const browser = cam.acquire();
    browser.subscribe({ onFrame: () => undefined });
    await waitFor(() => transcoders() === 1, 5000);
    browser.release();
    await waitFor(() => transcoders() === 0, 5000);
    await cam.close();
  });
});

describe('RecordingCamera: the same feed as a live camera', () => {
  it('an H.264 + AAC recording presents its audio as Opus (transcoded), like a live camera', { skip: findFfmpeg() ? false : 'ffmpeg is not installed' }, async () => {
    const live = camera([[video(0), aac(1)]]);
    const recording = camera([[video(0), aac(1)]], { recording: true });
    const liveTracks = await live.cam.tracks();
    const recordingTracks = await recording.cam.tracks();
    assert.deepEqual(liveTracks.map((t) => t.codec), ['H264', 'OPUS']);
    assert.deepEqual(recordingTracks.map((t) => t.codec), ['H264', 'OPUS'], 'the recording presents Opus, not MPEG4-GENERIC');
    await live.cam.close();
    await recording.cam.close();
  });

  it('a recording with nothing playable is unplayable, not retried', async () => {
    const meta: Track = { index: 0, kind: 'application', codec: 'VND.ONVIF.METADATA', payloadType: 107, clockRate: 90000, fmtp: {}, control: 'rtsp://h/cam/0', direction: 'recvonly' };
    const { cam, sessions } = camera([[meta]], { recording: true });
    await assert.rejects(cam.tracks(), (e: unknown) => e instanceof CamrtcError && e.code === 'ERR_RTSP_NO_TRACKS');
    assert.equal(cam.status.state, 'unplayable');
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(sessions.length, 1);
    await cam.close();
  });

  it('each viewer has its own session; a viewer that connects after PLAY gets the GOP replayed from the lease', async () => {
    const { cam, lease, sessions } = camera([[video(0)]], { recording: true });
    await cam.tracks();
    sessions[0].emit('rtp', 0, h264(IDR(), 0));
    sessions[0].emit('rtp', 0, h264(P_SLICE(), 3000));
    assert.deepEqual(lease.requestKeyframe().map((f) => f.keyframe), [true, false]);
    const other = cam.acquire();
    await waitFor(() => sessions.length === 2);
    assert.deepEqual(other.requestKeyframe(), [], "the other viewer's session has sent nothing yet");
    other.release();
    await waitFor(() => sessions[1].closed);
    assert.equal(sessions[0].closed, false);
    await cam.close();
  });
});

describe('UpstreamFeed: the counters /metrics reads (CameraCounters)', () => {
  it('packets and bytes in, loss over every session, reconnects, failures by code, keyframe interval', async () => {
    const { cam, sessions } = camera([[video(0), pcma(1)]]);
    await cam.tracks();
    const counters = cam.counters;
    // Each track its own sequence numbers: a gap would drop the picture it belongs to.
    let videoSeq = 1;
    const picture = (ts: number, ssrc = 1) => rawRtp({ seq: videoSeq++, ts, payload: IDR(), marker: true, ssrc });
    const idr = picture(0);
    sessions[0].emit('rtp', 0, idr);
    sessions[0].emit('rtp', 1, alaw(0));
    assert.equal(counters.packetsIn, 2);
    assert.equal(counters.bytesIn, idr.length + 12 + 160);
    assert.equal(counters.keyframes, 1);
    assert.equal(counters.keyframeIntervalSeconds, 0, 'one keyframe: no interval yet');
    await new Promise((r) => setTimeout(r, 50));
    sessions[0].emit('rtp', 0, picture(90_000));
    assert.ok(counters.keyframeIntervalSeconds >= 0.04 && counters.keyframeIntervalSeconds < 1, `interval ${counters.keyframeIntervalSeconds}`);
    sessions[0].lostPacketCount = 3;
    assert.equal(counters.packetsLost, 3, 'the open session is asked');
    assert.equal(counters.reconnects, 0);

    sessions[0].emit('close', new CamrtcError('ERR_RTSP_CONNECTION_LOST', 'camera rebooted'));
    sessions[0].lostPacketCount = 99; // a closed session's count is final: later changes are not read
    await waitFor(() => sessions.length === 2 && cam.status.state === 'waiting');
    assert.equal(counters.reconnects, 1);
    assert.deepEqual([...counters.failures], [['ERR_RTSP_CONNECTION_LOST', 1]]);
    assert.equal(counters.packetsLost, 3, 'the loss of the closed session stays');
    sessions[1].lostPacketCount = 2;
    assert.equal(counters.packetsLost, 5);
    // After a reconnect, the gap between keyframes is the outage: not the camera's keyframe interval.
    const before = counters.keyframeIntervalSeconds;
    await new Promise((r) => setTimeout(r, 300));
    sessions[1].emit('rtp', 0, picture(0, 9));
    assert.equal(counters.keyframeIntervalSeconds, before);
    assert.equal(counters.keyframes, 3);
    await cam.close();
    assert.equal(counters.packetsLost, 5, 'closing the camera loses no count');
  });

  it('no media for a while is counted by its code', async () => {
    const { cam, sessions } = camera([[video(0)]], { mediaTimeoutMs: 100 });
    await cam.tracks();
    await waitFor(() => cam.status.state === 'waiting' && cam.status.error !== undefined);
    assert.deepEqual([...cam.counters.failures], [['ERR_NO_MEDIA', 1]]);
    assert.equal(sessions.length, 1, 'the session stays');
    await cam.close();
  });

  it("a recording's viewers' feeds all count for the camera", async () => {
    const { cam, sessions } = camera([[video(0)]], { recording: true });
    await cam.tracks();
    const second = cam.acquire();
    await waitFor(() => sessions.length === 2);
    await waitFor(() => cam.status.state === 'waiting');
    sessions[0].emit('rtp', 0, h264(IDR(), 0));
    sessions[1].emit('rtp', 0, h264(IDR(), 0, 5));
    assert.equal(cam.counters.packetsIn, 2);
    second.release();
    await cam.close();
  });
});
