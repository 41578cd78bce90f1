/**
 * earlySignaling.allowTalk with a scripted peer connection: an audio section the server offered to
 * receive on is answered ready to send (sendrecv, or sendonly for a receive-only one); other sections
 * and offers without talk are left as the browser made them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allowTalk } from '../../../web/src/earlySignaling.js';

function pc(sdp: string, mids: string[]) {
  const transceivers = mids.map((mid) => ({ mid, direction: 'recvonly' as RTCRtpTransceiverDirection }));
  return { remoteDescription: { sdp }, getTransceivers: () => transceivers, transceivers } as unknown as RTCPeerConnection & { transceivers: typeof transceivers };
}

const offer = (audioDirection: string) =>
  ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=mid:0', 'a=sendonly', `m=audio 9 UDP/TLS/RTP/SAVPF 8`, 'a=mid:1', `a=${audioDirection}`, ''].join('\r\n');

test('a sendrecv audio section (camera audio and backchannel) is answered sendrecv; video is left alone', () => {
  const p = pc(offer('sendrecv'), ['0', '1']);
  allowTalk(p);
  assert.deepEqual(p.transceivers.map((t) => t.direction), ['recvonly', 'sendrecv']);
});

test('a recvonly audio section (a backchannel, no camera audio) is answered sendonly', () => {
  const p = pc(offer('recvonly'), ['0', '1']);
  allowTalk(p);
  assert.deepEqual(p.transceivers.map((t) => t.direction), ['recvonly', 'sendonly']);
});

test('a camera without backchannel (sendonly audio) keeps the answer receive-only', () => {
  const p = pc(offer('sendonly'), ['0', '1']);
  allowTalk(p);
  assert.deepEqual(p.transceivers.map((t) => t.direction), ['recvonly', 'recvonly']);
});
