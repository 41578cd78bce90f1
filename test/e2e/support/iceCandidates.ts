/// <reference lib="dom" />
/**
 * The page's peer connections as a network would shape them, and what Chromium selected. An init
 * script keeps every RTCPeerConnection the page makes (for getStats) and can drop ICE candidates:
 * the server's UDP candidates (in the SDP it sends and those it trickles) and the page's own UDP
 * ones, as on a network that blocks UDP; or every candidate the page gathers, as for a browser the
 * server cannot reach first (its checks then come back only the way the browser's came: through a
 * NAT).
 */
import type { BrowserContext, Page } from 'playwright-core';

export interface CandidateFilter {
  /** Drop UDP candidates both ways: only ICE-TCP is left. */
  udp?: boolean;
  /** Drop every candidate the page gathers (the server learns the browser from its checks only). */
  local?: boolean;
}

/** The candidate pair Chromium's ICE selected, from the browser's side. */
export interface SelectedPair {
  /** The server's end: address, port and transport as the browser reached it. */
  remote: { address: string; port: number; protocol: string; candidateType: string };
  local: { protocol: string; candidateType: string };
}

declare global {
  interface Window {
    __pcs?: RTCPeerConnection[];
  }
}

export async function shapeIceCandidates(context: BrowserContext, filter: CandidateFilter = {}): Promise<void> {
  await context.addInitScript((f: CandidateFilter) => {
    const isUdp = (line: string): boolean => /^(a=)?candidate:\S+ \d+ udp /i.test(line.trim());
    const Native = window.RTCPeerConnection;
    type Handler = ((e: RTCPeerConnectionIceEvent) => unknown) | null;
    const handlers = new WeakMap<RTCPeerConnection, Handler>();
    const native = Object.getOwnPropertyDescriptor(Native.prototype, 'onicecandidate')!;
    class Shaped extends Native {
      constructor(config?: RTCConfiguration) {
        super(config);
        (window.__pcs ??= []).push(this);
      }
      override setRemoteDescription(description: RTCSessionDescriptionInit): Promise<void> {
        if (!f.udp || !description.sdp) return super.setRemoteDescription(description);
        const sdp = description.sdp.split('\r\n').filter((l) => !isUdp(l)).join('\r\n');
        return super.setRemoteDescription({ type: description.type, sdp });
      }
      override addIceCandidate(candidate?: RTCIceCandidateInit | null): Promise<void> {
        if (f.udp && candidate?.candidate && isUdp(candidate.candidate)) return Promise.resolve();
        return super.addIceCandidate(candidate ?? undefined);
      }
    }
    Object.defineProperty(Shaped.prototype, 'onicecandidate', {
      configurable: true,
      get(this: RTCPeerConnection): Handler {
        return handlers.get(this) ?? null;
      },
      set(this: RTCPeerConnection, fn: Handler) {
        handlers.set(this, fn);
        const wrapped = fn
          ? (e: RTCPeerConnectionIceEvent) => {
              const c = e.candidate;
              if (c?.candidate && (f.local || (f.udp && isUdp(c.candidate)))) return;
              fn.call(this, e);
            }
          : null;
        native.set!.call(this, wrapped);
      },
    });
    window.RTCPeerConnection = Shaped;
  }, filter);
}

/** The selected pair of the page's connected peer connection (undefined: none connected yet). */
export async function selectedPair(page: Page): Promise<SelectedPair | undefined> {
  return page.evaluate(async () => {
    for (const pc of window.__pcs ?? []) {
      if (pc.connectionState !== 'connected') continue;
      // The fields of a stats entry depend on its type.
      const stats = new Map<string, Record<string, any>>();
      (await pc.getStats()).forEach((s: Record<string, unknown> & { id: string }) => stats.set(s.id, s));
      const transport = [...stats.values()].find((s) => s.type === 'transport' && s.selectedCandidatePairId);
      const pair = transport ? stats.get(transport.selectedCandidatePairId) : undefined;
      const remote = pair ? stats.get(pair.remoteCandidateId) : undefined;
      const local = pair ? stats.get(pair.localCandidateId) : undefined;
      if (!remote || !local) continue;
      return {
        remote: { address: remote.address ?? remote.ip, port: remote.port, protocol: remote.protocol, candidateType: remote.candidateType },
        local: { protocol: local.protocol, candidateType: local.candidateType },
      };
    }
    return undefined;
  });
}
