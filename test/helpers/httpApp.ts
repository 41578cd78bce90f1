import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpApp } from '../../server/src/http/HttpServer.js';
import { silentLogger } from '../../server/src/log/logger.js';
import type { CameraDirectory } from '../../server/src/media/Camera.js';
import { distPath } from './paths.js';

/** camrtc's HTTP app (the built web files) on a loopback port, for tests. */
export interface TestHttpApp {
  /** http://127.0.0.1:PORT */
  base: string;
  close(): Promise<void>;
}

export async function startHttpApp(cameras: CameraDirectory): Promise<TestHttpApp> {
  const http = createServer(createHttpApp({ cameras, webRoot: distPath('public'), logger: silentLogger() }));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: async () => {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
