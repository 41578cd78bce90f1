// An RtpStreamSource the test drives by hand: push() emits packets synchronously, no timers.
import { EventEmitter } from 'node:events';
import type { RtpStreamSource } from '../../server/src/demo/RtpStreamSource.js';

export class FakeStream extends EventEmitter implements RtpStreamSource {
  readonly media: RtpStreamSource['media'];
  readonly ssrc: number;
  nextSequenceNumber = 1000;
  currentTimestamp = 90000;
  started = false;
  private isClosed = false;

  constructor(media: Partial<RtpStreamSource['media']> = {}, ssrc = 0x11223344) {
    super();
    this.media = { kind: 'video', codec: 'H264', clockRate: 90000, payloadType: 96, fmtp: 'packetization-mode=1', ...media };
    this.ssrc = ssrc;
  }

  get closed(): boolean {
    return this.isClosed;
  }
  start(): void {
    this.started = true;
  }
  close(): void {
    this.isClosed = true;
  }

  /** Emits `count` packets of `payloadBytes` each, with consecutive sequence numbers. */
  push(count = 1, payloadBytes = 100): void {
    for (let i = 0; i < count; i++) {
      const p = Buffer.alloc(12 + payloadBytes);
      p[0] = 0x80;
      p[1] = this.media.payloadType;
      p.writeUInt16BE(this.nextSequenceNumber, 2);
      p.writeUInt32BE(this.currentTimestamp, 4);
      p.writeUInt32BE(this.ssrc, 8);
      this.nextSequenceNumber = (this.nextSequenceNumber + 1) & 0xffff;
      this.emit('packet', p);
    }
  }
}
