/**
 * The floor of a camera's talk room, with a scripted backchannel: one talker at a time, the second
 * told who holds it; the floor freed on stop, on leaving, after no audio, after silence, after the
 * longest hold; audio before the backchannel is open is dropped, after it goes out as the camera's
 * RTP; the backchannel lingers after a talk, then closes; a failed backchannel frees the floor.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { CamrtcError } from '../../../server/src/errors.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import type { Camera } from '../../../server/src/media/Camera.js';
import type { BackchannelSession } from '../../../server/src/rtsp/BackchannelSession.js';
import { parseRtpPacket } from '../../../server/src/rtp/RtpPacket.js';
import { encodeG711 } from '../../../server/src/rtp/g711.js';
import type { Track } from '../../../server/src/sdp/Track.js';
import { CameraTalk, type TalkTimings } from '../../../server/src/talk/CameraTalk.js';
import { TalkSeat, type TalkSource } from '../../../server/src/talk/TalkSeat.js';
import type { TalkStatus } from '../../../shared/protocol.js';
import { waitFor } from '../../integration/webrtc/helpers/waitFor.js';

const PCMU_BACK: Track = { index: 2, kind: 'audio', codec: 'PCMU', payloadType: 0, clockRate: 8000, fmtp: {}, control: 'rtsp://cam/back', direction: 'sendonly' };

class FakeBackchannel extends EventEmitter {
  sent: Buffer[] = [];
  closed = false;
  constructor(private readonly result: Promise<Track>) {
    super();
  }
  start(): Promise<Track> {
    return this.result;
  }
  send(packet: Buffer): void {
    this.sent.push(packet);
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

function room(timings: Partial<TalkTimings> = {}, open: () => Promise<Track> = () => Promise.resolve(PCMU_BACK)) {
  const sessions: FakeBackchannel[] = [];
  const camera = Object.assign(new EventEmitter(), {
    name: 'door',
    openBackchannel: () => {
      const s = new FakeBackchannel(open());
      sessions.push(s);
      return s as unknown as BackchannelSession;
    },
  }) as unknown as Camera;
  const talk = CameraTalk.of(camera, silentLogger(), { lingerMs: 50, ...timings })!;
  return { talk, sessions, camera };
}

function viewer(codec: 'PCMU' | 'PCMA' | 'OPUS' = 'PCMU'): TalkSource & { send(p: Buffer): void } {
  let sink: ((p: Buffer) => void) | undefined;
  return { talkCodec: codec, setTalkSink: (s) => (sink = s), send: (p) => sink?.(p) };
}

function seat(talk: CameraTalk, label: string, source = viewer()) {
  const s = new TalkSeat(talk, source, label);
  const seen: TalkStatus[] = [];
  s.on('status', (status) => seen.push(status));
  return { seat: s, seen, source };
}

const tone = encodeG711('PCMU', Array.from({ length: 160 }, (_, i) => 8000 * Math.sin((2 * Math.PI * 1000 * i) / 8000)));
const silence = encodeG711('PCMU', new Array(160).fill(0));

test('one talker at a time: the second is told who holds the floor; stop frees it for the next', async () => {
  const { talk, sessions } = room();
  const alice = seat(talk, 'alice');
  const bob = seat(talk, 'bob');
  alice.seat.start();
  assert.deepEqual(alice.seat.status, { state: 'talking' });
  assert.deepEqual(bob.seat.status, { state: 'busy', holder: 'alice' });
  bob.seat.start();
  assert.deepEqual(bob.seen.at(-1), { state: 'busy', holder: 'alice', error: { code: 'ERR_TALK_BUSY', message: 'alice is talking to the camera: one talker at a time' } });
  bob.seat.start();
  assert.equal(bob.seen.filter((s) => s.error?.code === 'ERR_TALK_BUSY').length, 2, 'every refused press is answered');
  alice.seat.stop();
  assert.deepEqual(alice.seat.status, { state: 'idle' });
  assert.deepEqual(bob.seat.status, { state: 'idle' });
  bob.seat.start();
  assert.equal(talk.holder, bob.seat);
  assert.equal(sessions.length, 1, 'one backchannel for both talks');
  bob.seat.close();
  assert.equal(talk.holder, undefined, 'leaving frees the floor');
  assert.deepEqual(alice.seat.status, { state: 'idle' });
  talk.close();
});

test('audio goes out as the camera RTP once the backchannel is open, and only the holder is heard', async () => {
  let open!: (t: Track) => void;
  const { talk, sessions } = room({}, () => new Promise((r) => (open = r)));
  const alice = seat(talk, 'alice', viewer('PCMA'));
  const bob = seat(talk, 'bob');
  alice.seat.start();
  alice.source.send(tone);
  assert.equal(sessions[0].sent.length, 0, 'dropped before the backchannel is open, never queued');
  open(PCMU_BACK);
  await waitFor(() => talk.open, 'the backchannel open');
  alice.source.send(encodeG711('PCMA', new Array(160).fill(1000)));
  bob.source.send(tone);
  assert.equal(sessions[0].sent.length, 1, "bob's audio goes nowhere");
  const packet = parseRtpPacket(sessions[0].sent[0]);
  assert.ok(!(packet instanceof CamrtcError));
  assert.equal(packet.payloadType, 0, "the camera's PCMU");
  assert.equal(packet.payload.length, 160);
  talk.close();
  assert.equal(sessions[0].closed, true);
});

test('the backchannel lingers after a talk, then closes', async () => {
  const { talk, sessions } = room({ lingerMs: 60 });
  const alice = seat(talk, 'alice');
  alice.seat.start();
  await waitFor(() => talk.open, 'open');
  alice.seat.stop();
  assert.equal(sessions[0].closed, false);
  await waitFor(() => sessions[0].closed, 'closed after the linger', 2000);
  alice.seat.start();
  assert.equal(sessions.length, 2, 'a new talk opens a new backchannel');
  talk.close();
});

test('the floor is taken back after no audio, after silence, and after the longest hold, with the reason', async () => {
  for (const [timings, feed, reason] of [
    [{ noAudioMs: 300 }, undefined, /no audio from the talker/],
    [{ silenceMs: 300 }, silence, /of silence/],
    [{ maxMs: 300 }, tone, /talk time is up/],
  ] as const) {
    const { talk } = room(timings);
    const alice = seat(talk, 'alice');
    alice.seat.start();
    await waitFor(() => talk.open, 'open');
    const feeder = setInterval(() => feed && alice.source.send(feed), 20);
    try {
      await waitFor(() => alice.seat.status.state === 'idle', `released (${String(reason)})`, 3000);
    } finally {
      clearInterval(feeder);
    }
    assert.equal(alice.seat.status.error?.code, 'ERR_TIMEOUT');
    assert.match(alice.seat.status.error!.message, reason);
    talk.close();
  }
});

test('a backchannel that fails to open frees the floor and tells the talker why', async () => {
  const { talk } = room({}, () => Promise.reject(new CamrtcError('ERR_RTSP_BAD_STATUS', '453 Not Enough Bandwidth: camera refused SETUP')));
  const alice = seat(talk, 'alice');
  alice.seat.start();
  await waitFor(() => alice.seat.status.state === 'idle', 'released');
  assert.equal(alice.seat.status.error?.code, 'ERR_RTSP_BAD_STATUS');
  talk.close();
});

test('a camera whose backchannel takes a codec camrtc cannot send: ERR_TALK_UNAVAILABLE', async () => {
  const { talk } = room({}, () => Promise.resolve({ ...PCMU_BACK, codec: 'G726-32', payloadType: 97 }));
  const alice = seat(talk, 'alice');
  alice.seat.start();
  await waitFor(() => alice.seat.status.state === 'idle', 'released');
  assert.equal(alice.seat.status.error?.code, 'ERR_TALK_UNAVAILABLE');
  talk.close();
});

test('the room closes with its camera, and a new one is made for the next talk', () => {
  const { talk, camera } = room();
  const alice = seat(talk, 'alice');
  alice.seat.start();
  (camera as unknown as EventEmitter).emit('closed', new CamrtcError('ERR_CAMERA_REMOVED', 'removed'));
  assert.equal(talk.closed, true);
  assert.deepEqual(alice.seat.status.state, 'idle');
  const next = CameraTalk.of(camera, silentLogger());
  assert.ok(next && next !== talk);
  next.close();
});
