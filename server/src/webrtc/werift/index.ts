/**
 * The one import point for every place where camrtc reaches past werift's public API (werift is
 * pinned to an exact version in package.json for that reason). Each reach is a module named after
 * what it reaches for; each checks the shape it expects and, when werift changed, keeps werift's own
 * behaviour and says so once (shapeChanged.ts): an upgrade degrades speed, never correctness.
 * test/integration/webrtc/weriftContract.test.ts makes a real call through all of them and fails
 * when any falls back. Why each exists (measured with `npm run bench`, see docs/benchmarks.md):
 *
 * - dtlsClientRole: werift as DTLS client, AES-128-GCM only, ClientHello without werift's 100 ms pause.
 * - connectAtNomination: DTLS starts when ICE nominated a pair, not at werift's next 20 ms round.
 * - defaultStun: no STUN request to Google when no STUN server is configured.
 * - certificateParse: the DTLS certificate parsed once per process, not per handshake.
 * - nativeX25519: the DTLS key exchange in Node's native crypto instead of tweetnacl.
 * - srtpOutput: the SRTP keys and ICE connection, for camrtc's own RTP writer.
 * - senderReports: the fields of werift's RTCP sender reports (RTP writer's counts, a sub-second NTP clock).
 * - handshakeMemory: the DTLS handshake transcript dropped once connected.
 * - senderFeedback: the NACKs a sender received and what werift's own cache sent again (/metrics).
 * - muxedIce: ICE gathering on the server's shared WebRTC ports (one UDP port, one TCP port) instead of sockets per viewer.
 */
export { SHAPE_CHANGED_MESSAGE, weriftFallbacks, weriftShapeChanged } from './shapeChanged.js';
export { actAsDtlsClient } from './dtlsClientRole.js';
export { connectAtNomination } from './connectAtNomination.js';
export { withoutDefaultStun } from './defaultStun.js';
export { parseCertificateOnce } from './certificateParse.js';
export { nativeKeyPair, nativeScalarMult, useNativeX25519, weriftNacl } from './nativeX25519.js';
export { srtpOutput, type SrtpOutput } from './srtpOutput.js';
export { senderReportClock, senderReports } from './senderReports.js';
export { releaseHandshakeMemory } from './handshakeMemory.js';
export { senderFeedback, type SenderFeedback } from './senderFeedback.js';
export { useIceMux } from './muxedIce.js';
