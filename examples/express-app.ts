/**
 * An Express app with camrtc inside (README "Use camrtc in your Node app"): the app's own page at `/`
 * shows a camera with <camrtc-player>, camrtc's routes live under `/cams`, and the app logs who
 * starts and stops watching. Everything else (`/hello`, the 404) is the app's.
 *
 *   node dist/examples/express-app.js [PORT] [NAME=rtsp://...]
 *
 * then open http://localhost:PORT/. Without a camera it shows camrtc's built-in demo camera.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import express from 'express';
// In your app: from 'camrtc'. Here the repository's own build, which the example's test runs against.
import { createCamrtc, type Camrtc, type CamrtcOptions } from '../server/src/index.js';

export interface ExampleOptions {
  port?: number;
  host?: string;
  /** camrtc's options (cameras, webrtc...); the example adds mountPath `/cams`. */
  camrtc?: CamrtcOptions;
  /** Where the example's log lines go. Default console.log. */
  log?: (line: string) => void;
}

export interface ExampleApp {
  readonly server: Server;
  readonly camrtc: Camrtc;
  /** http://HOST:PORT */
  readonly url: string;
  close(): Promise<void>;
}

/** The app's page: its own markup, camrtc's player for the first camera. */
function page(camrtc: Camrtc): string {
  const camera = camrtc.listCameras()[0]?.name ?? 'demo';
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>My app with cameras</title>
  <script type="module" src="${camrtc.paths.player}"></script>
  <style>camrtc-player { display: block; max-width: 960px; aspect-ratio: 16 / 9; }</style>
</head>
<body>
  <h1>My app</h1>
  <camrtc-player server="${camrtc.paths.server}" camera="${camera}" controls></camrtc-player>
</body>
</html>`;
}

export async function startExampleApp(options: ExampleOptions = {}): Promise<ExampleApp> {
  const log = options.log ?? ((line: string) => console.log(line));
  const given = options.camrtc ?? {};
  const camrtc = await createCamrtc({ logLevel: 'warn', ...given, demo: given.demo ?? (given.cameras ?? []).length === 0, mountPath: '/cams' });
  camrtc.on('viewerJoined', (v) => log(`viewer ${v.id} joined ${v.camera} (${v.transport} from ${v.address})`));
  camrtc.on('viewerLeft', (v) => log(`viewer ${v.id} left ${v.camera} after ${v.durationSeconds} s`));
  camrtc.on('cameraState', (c) => log(`camera ${c.camera} is ${c.state}${c.error ? `: ${c.error.message}` : ''}`));

  const app = express();
  app.get('/', (_req, res) => {
    res.type('html').send(page(camrtc));
  });
  app.get('/hello', (_req, res) => {
    res.json({ hello: 'from the app', cameras: camrtc.listCameras().map((c) => ({ name: c.name, state: c.state, viewers: c.viewers })) });
  });
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('my app has no such page');
  });

  const server = createServer(app);
  // Signaling (/cams/ws) on the server's upgrade event; camrtc's HTTP routes under /cams ahead of the
  // app. (Or: app.use(camrtc.handler) where the app wants them, and camrtc.attach(server, { http: false }).)
  camrtc.attach(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  return {
    server,
    camrtc,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    async close() {
      // camrtc first: its viewers and cameras end while the server still carries their sockets.
      await camrtc.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function main(): Promise<void> {
  const [port = '8080', ...cameras] = process.argv.slice(2);
  const example = await startExampleApp({
    port: Number(port),
    camrtc: {
      cameras: cameras.map((c) => {
        const eq = c.indexOf('=');
        return { name: c.slice(0, eq), url: c.slice(eq + 1) };
      }),
    },
  });
  console.log(`open ${example.url}/ (camrtc under ${example.url}/cams)`);
  process.once('SIGINT', () => void example.close());
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) void main();
