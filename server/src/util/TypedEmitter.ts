import { EventEmitter } from 'node:events';

/** Event name -> argument tuple. */
export type EventMap = Record<string, unknown[]>;

/**
 * EventEmitter with typed events (mediasoup's enhancedEvents). `safeEmit` catches a throwing
 * listener so a bug in one consumer (a viewer, a log hook) cannot break the packet path or the
 * state machine that emitted; the failure is re-emitted as `listenererror`.
 */
export class TypedEmitter<E extends EventMap> extends EventEmitter {
  override on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }
  override once<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }
  override off<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }
  override emit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    return super.emit(event, ...args);
  }
  /** Emits, catching listener exceptions. Returns false if a listener threw. */
  safeEmit<K extends keyof E & string>(event: K, ...args: E[K]): boolean {
    try {
      super.emit(event, ...args);
      return true;
    } catch (err) {
      if (event !== 'listenererror' && this.listenerCount('listenererror') > 0) {
        super.emit('listenererror', event, err);
      }
      return false;
    }
  }
}
