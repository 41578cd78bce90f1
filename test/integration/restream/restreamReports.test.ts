/**
 * The restream's RTCP sender reports, read off the wire by a raw RTSP client (TCP interleaved and
 * UDP): one per track when a client starts and then every interval, naming the track's SSRC, one
 * CNAME for the camera's tracks, and NTP/RTP mappings of audio and video that agree, so a player
 * lines them up (lip sync). Agreement is measured as players see it: each RTP packet's timestamp,
 * put on the wall clock through its track's last report, against when the packet arrived.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { CamrtcError } from '../../../server/src/errors.js';
import { unixMsFromNtp } from '../../../server/src/rtp/ntp.js';
import { parseRtcp, RTCP_SDES, RTCP_SR } from '../../../server/src/rtp/rtcp.js';
import { RtspTestClient, rtpSsrc } from '../../helpers/rtspTestClient.js';
import { framesWithin, playCamera, rtpTimestamp, startRig, waitUntil, type Rig } from './restreamRig.js';

const INTERVAL_MS = 300;

interface Report {
  readonly ssrc: number;
  readonly unixMs: number;
  readonly rtpTimestamp: number;
  readonly packetCount: number;
  readonly cname: string | undefined;
}

/** The SR of a compound RTCP packet and the CNAME beside it; undefined when it holds no SR. */
function readReport(packet: Buffer): Report | undefined {
  const items = parseRtcp(packet);
  assert.ok(!(items instanceof CamrtcError), String(items));
  const sr = items.find((i) => i.packetType === RTCP_SR);
  if (!sr?.senderInfo) return undefined;
  const sdes = items.find((i) => i.packetType === RTCP_SDES);
  // SDES chunk: SSRC, then items (type, length, text): the CNAME is type 1.
  const cname = sdes && packet[sdes.offset + 8] === 1 ? packet.subarray(sdes.offset + 10, sdes.offset + 10 + packet[sdes.offset + 9]).toString() : undefined;
  const { ntpSeconds, ntpFraction, rtpTimestamp: rtp, packetCount } = sr.senderInfo;
  return { ssrc: sr.ssrc, unixMs: unixMsFromNtp((BigInt(ntpSeconds) << 32n) | BigInt(ntpFraction)), rtpTimestamp: rtp, packetCount, cname };
}

/** Interleaved frames with their arrival (Unix ms), per channel. */
function recordArrivals(client: RtspTestClient): Map<number, { at: number; data: Buffer }[]> {
  const log = new Map<number, { at: number; data: Buffer }[]>();
  client.on('frame', (channel: number, data: Buffer) => {
    if (channel < 0) return;
    let list = log.get(channel);
    if (!list) log.set(channel, (list = []));
    list.push({ at: performance.timeOrigin + performance.now(), data });
  });
  return log;
}

/**
 * For RTP packets that arrived after a report: arrival minus the wall time their timestamp maps to
 * through the last report before them. Median, ms.
 */
function medianOffset(frames: readonly { at: number; data: Buffer }[], reports: readonly { at: number; data: Buffer }[], clockRate: number): number {
  const offsets: number[] = [];
  for (const f of frames) {
    const before = reports.filter((r) => r.at <= f.at).at(-1);
    if (!before) continue;
    const sr = readReport(before.data)!;
    const ticks = (rtpTimestamp(f.data) - sr.rtpTimestamp) | 0;
    offsets.push(f.at - (sr.unixMs + (ticks * 1000) / clockRate));
  }
  assert.ok(offsets.length > 10, `only ${offsets.length} packets after a report`);
  offsets.sort((a, b) => a - b);
  return offsets[Math.floor(offsets.length / 2)];
}

describe('RTSP restream: RTCP sender reports', () => {
  let rig: Rig;
  before(async () => {
    rig = await startRig({ restream: { senderReportIntervalMs: INTERVAL_MS } });
  });
  after(async () => {
    await rig.close();
  });

  it('TCP: every track reports on its RTCP channel, with its SSRC and one CNAME; audio and video map to the wall clock alike', async (t) => {
    const first = await playCamera(rig.port);
    const client = await RtspTestClient.connect(rig.port);
    const arrivals = recordArrivals(client);
    try {
      await framesWithin(first.client, 0, 30);
      // A second client, as the camera already runs: its reports come before its first packet.
      await playCamera(rig.port, 'front', {}, client);
      await new Promise((r) => setTimeout(r, 2000));
      const video = arrivals.get(0)!;
      const audio = arrivals.get(2)!;
      const videoReports = arrivals.get(1) ?? [];
      const audioReports = arrivals.get(3) ?? [];
      assert.ok(videoReports[0].at <= video[0].at, 'the video report came before the first video packet');
      assert.ok(audioReports[0].at <= audio[0].at, 'the audio report came before the first audio packet');
      // One at the start, then every 300 ms: about 7 in 2 s.
      assert.ok(videoReports.length >= 4 && audioReports.length >= 4, `${videoReports.length} video and ${audioReports.length} audio reports in 2 s`);

      const v = videoReports.map((r) => readReport(r.data)!);
      const a = audioReports.map((r) => readReport(r.data)!);
      assert.ok(v.every((r) => r.ssrc === rtpSsrc(video[0].data)), 'video reports name the video SSRC');
      assert.ok(a.every((r) => r.ssrc === rtpSsrc(audio[0].data)), 'audio reports name the audio SSRC');
      assert.match(v[0].cname ?? '', /^camrtc-[0-9a-f]{12}$/);
      assert.ok([...v, ...a].every((r) => r.cname === v[0].cname), 'one CNAME for the camera');
      assert.ok(v.at(-1)!.packetCount > v[0].packetCount, 'the packet count grows');
      for (const r of [...videoReports, ...audioReports]) {
        const report = readReport(r.data)!;
        assert.ok(Math.abs(report.unixMs - r.at) < 100, `an NTP time ${Math.round(report.unixMs - r.at)} ms off the wall clock`);
      }

      const videoOffset = medianOffset(video, videoReports, 90000);
      const audioOffset = medianOffset(audio, audioReports, 8000);
      t.diagnostic(`packet arrival minus its report-mapped time (median): video ${videoOffset.toFixed(1)} ms, audio ${audioOffset.toFixed(1)} ms`);
      assert.ok(Math.abs(videoOffset - audioOffset) < 40, `audio and video mappings ${Math.abs(videoOffset - audioOffset).toFixed(1)} ms apart`);
      assert.ok(Math.abs(videoOffset) < 60 && Math.abs(audioOffset) < 60, 'a mapping far off the arrival times');
    } finally {
      client.close();
      first.client.close();
    }
  });

  it('UDP: the reports go to the client RTCP port of the track', async () => {
    const sockets = [dgram.createSocket('udp4'), dgram.createSocket('udp4')];
    for (const s of sockets) s.bind(0, '127.0.0.1');
    await Promise.all(sockets.map((s) => once(s, 'listening')));
    const [rtpPort, rtcpPort] = sockets.map((s) => s.address().port);
    const rtp: Buffer[] = [];
    const rtcp: Buffer[] = [];
    sockets[0].on('message', (m) => rtp.push(m));
    sockets[1].on('message', (m) => rtcp.push(m));
    const client = await RtspTestClient.connect(rig.port);
    try {
      const url = `rtsp://127.0.0.1:${rig.port}/front`;
      assert.equal((await client.request('DESCRIBE', url)).status, 200);
      const setup = await client.request('SETUP', `${url}/trackID=1`, { Transport: `RTP/AVP;unicast;client_port=${rtpPort}-${rtcpPort}` });
      assert.equal(setup.status, 200);
      const session = setup.headers.get('Session')!.split(';')[0];
      assert.equal((await client.request('PLAY', url, { Session: session })).status, 200);
      await waitUntil(() => rtcp.length >= 2 && rtp.length > 0, 'two sender reports over UDP');
      const report = readReport(rtcp[rtcp.length - 1]);
      assert.equal(report?.ssrc, rtpSsrc(rtp[0]));
    } finally {
      client.close();
      for (const s of sockets) s.close();
    }
  });
});
