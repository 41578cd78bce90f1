/**
 * The session description the demo camera answers DESCRIBE with: one media section per stream,
 * controls `trackID=N` relative to the Content-Base, like most IP cameras.
 */
import type { RtpStreamSource } from './RtpStreamSource.js';

export function trackControl(index: number): string {
  return `trackID=${index}`;
}

export function buildDemoSdp(streams: readonly Pick<RtpStreamSource, 'media'>[], host: string, sessionId: string): string {
  const ipVersion = host.includes(':') ? 'IP6' : 'IP4';
  const lines = [
    'v=0',
    `o=- ${sessionId} 1 IN ${ipVersion} ${host}`,
    's=camrtc demo camera',
    `c=IN ${ipVersion} ${ipVersion === 'IP6' ? '::' : '0.0.0.0'}`,
    't=0 0',
    'a=tool:camrtc',
    'a=type:broadcast',
    'a=control:*',
    'a=range:npt=now-',
  ];
  streams.forEach((s, i) => {
    const m = s.media;
    const channels = m.kind === 'audio' && m.channels ? `/${m.channels}` : '';
    lines.push(`m=${m.kind} 0 RTP/AVP ${m.payloadType}`, `a=rtpmap:${m.payloadType} ${m.codec}/${m.clockRate}${channels}`);
    if (m.fmtp) lines.push(`a=fmtp:${m.payloadType} ${m.fmtp}`);
    lines.push(`a=control:${trackControl(i)}`, 'a=recvonly');
  });
  return lines.join('\r\n') + '\r\n';
}
