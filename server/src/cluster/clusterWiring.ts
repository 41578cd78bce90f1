/**
 * How a Cluster plugs into the App: the routers the signaling socket and WHEP ask (each turns a
 * redirect into its own URL), the advertised addresses when none are configured, and the advertised
 * host name the HTTP server must answer to (DNS rebinding protection, knownHosts.ts).
 */
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import type { WatchRouter } from '../signaling/ClientConnection.js';
import { REDIRECTED_PARAM } from '../signaling/SignalingServer.js';
import type { Cluster } from './Cluster.js';
import type { ClusterConfig } from './clusterConfig.js';
import { redirectSignalingUrl, redirectWhepUrl } from './viewerRoute.js';

export function clusterRouters(cluster: Cluster): { signaling: WatchRouter; whep: WatchRouter } {
  const routed = (toUrl: (http: string, camera: string) => string): WatchRouter => ({
    route: async (camera, redirected) => {
      const route = await cluster.route(camera, redirected);
      return route.kind === 'redirect' ? { kind: 'redirect', url: toUrl(route.http, camera) } : route;
    },
  });
  return {
    signaling: routed((http) => redirectSignalingUrl(http, REDIRECTED_PARAM)),
    whep: routed((http, camera) => redirectWhepUrl(http, camera, REDIRECTED_PARAM)),
  };
}

/** This node's addresses as bound: the bind address, or the machine's name when it binds every interface. */
export function defaultAdvertise(bound: { host: string; port: number; secure: boolean; rtspPort: number | undefined }): { http: string; rtsp?: string } {
  const any = bound.host === '0.0.0.0' || bound.host === '::';
  const host = any ? hostname() : bound.host;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    http: `${bound.secure ? 'https' : 'http'}://${shown}:${bound.port}`,
    ...(bound.rtspPort !== undefined ? { rtsp: `rtsp://${shown}:${bound.rtspPort}` } : {}),
  };
}

/** The DNS name in advertise.http, which redirected viewers use as Host: the server must answer to it. */
export function advertisedHostName(cluster: Pick<ClusterConfig, 'advertise'> | undefined): string[] {
  const http = cluster?.advertise.http;
  if (!http) return [];
  const name = new URL(http).hostname;
  return name && isIP(name.replace(/^\[|\]$/g, '')) === 0 && name !== 'localhost' ? [name] : [];
}
