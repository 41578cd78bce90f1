/// <reference lib="dom" />
/**
 * Chromium's default ICE candidates in a test browser. Out of the box Chromium hides each host
 * address behind an mDNS name (`<uuid>.local`, feature WebRtcHideLocalIpsWithMdns) and answers
 * multicast queries for it; launchChromium turns that off so that candidates stay on loopback, and
 * real mDNS would send multicast on the machine's network. This gives the page's candidates the
 * same shape instead, without the multicast: every `host` candidate the page's code sees carries a
 * random `.local` name (one per address, as Chromium does) in place of its address. The browser's
 * connectivity checks still come from the real address, as with Chromium's own mDNS names.
 */
import type { BrowserContext, Page } from 'playwright-core';

declare global {
  interface Window {
    /** Host candidates the page's code was given under an mDNS name. */
    __mdnsHidden?: number;
  }
}

export async function hideHostCandidatesBehindMdns(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const names = new Map<string, string>();
    const hide = (c: RTCIceCandidate | null): RTCIceCandidate | null => {
      if (!c?.candidate) return c;
      const fields = c.candidate.split(' ');
      // foundation component transport priority address port typ type ...
      if (fields[7] !== 'host' || fields[4].endsWith('.local')) return c;
      let name = names.get(fields[4]);
      if (!name) names.set(fields[4], (name = `${crypto.randomUUID()}.local`));
      fields[4] = name;
      window.__mdnsHidden = (window.__mdnsHidden ?? 0) + 1;
      return new RTCIceCandidate({ candidate: fields.join(' '), sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex, usernameFragment: c.usernameFragment });
    };
    const Native = window.RTCPeerConnection;
    type Handler = ((e: RTCPeerConnectionIceEvent) => unknown) | null;
    const handlers = new WeakMap<RTCPeerConnection, Handler>();
    const native = Object.getOwnPropertyDescriptor(Native.prototype, 'onicecandidate')!;
    class MdnsHiding extends Native {}
    Object.defineProperty(MdnsHiding.prototype, 'onicecandidate', {
      configurable: true,
      get(this: RTCPeerConnection): Handler {
        return handlers.get(this) ?? null;
      },
      set(this: RTCPeerConnection, fn: Handler) {
        handlers.set(this, fn);
        const wrapped = fn ? (e: RTCPeerConnectionIceEvent) => fn.call(this, new RTCPeerConnectionIceEvent('icecandidate', { candidate: hide(e.candidate) })) : null;
        native.set!.call(this, wrapped);
      },
    });
    window.RTCPeerConnection = MdnsHiding;
  });
}

/** How many host candidates the page's code got under an mDNS name so far. */
export function mdnsHiddenCount(page: Page): Promise<number> {
  return page.evaluate(() => window.__mdnsHidden ?? 0);
}
