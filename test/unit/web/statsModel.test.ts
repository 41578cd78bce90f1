import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeSample, formatSample, pushSample, type StatsEntry, type StatsSample } from '../../../web/src/statsModel.js';
import { signalingUrl } from '../../../web/src/CamrtcClient.js';

function report(t: number, bytes: number, packets: number, lost: number, jbDelay: number, emitted: number): StatsEntry[] {
  return [
    { id: 'in', type: 'inbound-rtp', kind: 'video', timestamp: t, bytesReceived: bytes, packetsReceived: packets, packetsLost: lost, framesPerSecond: 25, frameWidth: 640, frameHeight: 360, codecId: 'c', jitterBufferDelay: jbDelay, jitterBufferEmittedCount: emitted },
    { id: 'c', type: 'codec', timestamp: t, mimeType: 'video/H264' },
    { id: 't', type: 'transport', timestamp: t, selectedCandidatePairId: 'p' },
    { id: 'p', type: 'candidate-pair', timestamp: t, currentRoundTripTime: 0.004 },
  ];
}

describe('player stats overlay', () => {
  it('computes bitrate, loss and jitter-buffer delay over the interval, and reads fps, size, codec, RTT', () => {
    const s = computeSample(report(2000, 250_000, 300, 10, 3.0, 75), report(1000, 125_000, 200, 0, 1.0, 50));
    assert.equal(s.bitrateKbps, 1000);
    assert.equal(s.fps, 25);
    assert.deepEqual([s.width, s.height, s.codec], [640, 360, 'H264']);
    assert.equal(s.rttMs, 4);
    assert.ok(Math.abs(s.lossPercent! - (10 / 110) * 100) < 1e-9);
    assert.equal(s.jitterBufferMs, 80);
    assert.match(formatSample(s).join('\n'), /bitrate 1000 kbit\/s[\s\S]*rtt 4 ms[\s\S]*jitter buffer 80 ms/);
  });

  it('the first report has no rates yet, shown as dashes', () => {
    const s = computeSample(new Map(report(1000, 1, 1, 0, 0, 0).map((e) => [e.id, e])));
    assert.equal(s.bitrateKbps, undefined);
    assert.match(formatSample(s)[0], /–/);
  });

  it('keeps one minute of samples', () => {
    const history: StatsSample[] = [];
    for (let i = 0; i < 75; i++) pushSample(history, computeSample(report(i * 1000, i, i, 0, 0, 0)));
    assert.equal(history.length, 60);
    assert.equal(history[0].time, 15_000);
  });
});

describe('server attribute to signaling URL', () => {
  it('http base URLs get /ws, https becomes wss, ws URLs pass through', () => {
    assert.equal(signalingUrl('http://127.0.0.1:8080'), 'ws://127.0.0.1:8080/ws');
    assert.equal(signalingUrl('https://cams.example/camrtc/'), 'wss://cams.example/camrtc/ws');
    assert.equal(signalingUrl('ws://h:1/ws'), 'ws://h:1/ws');
    assert.equal(signalingUrl('/proxy', 'https://page.example/x'), 'wss://page.example/proxy/ws');
    assert.throws(() => signalingUrl('ftp://h/'), /http\(s\) or ws\(s\)/);
  });
});
