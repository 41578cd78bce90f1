/**
 * The published package, as a user gets it: `npm pack` (its prepack builds dist/ with the type
 * declarations) from a copy of the repository's sources, then `npm install camrtc-0.1.0.tgz` into an
 * empty folder. There, without any of camrtc's dev tools, `npx camrtc --help` works, `camrtc --demo`
 * serves the demo camera, and a TypeScript app doing `import { createCamrtc } from 'camrtc'` type-checks
 * against the installed declarations (skipLibCheck off, typed events and options) and runs.
 *
 * Needs npm and camrtc's dependencies from the npm cache or the registry (--prefer-offline); when npm
 * cannot get them the test is skipped, saying so. Takes about a minute.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { repoRoot } from '../../helpers/paths.js';

const run = promisify(execFile);
/** What npm says when it cannot reach the registry and the cache lacks a package. */
const NPM_UNREACHABLE = /ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|network/i;

interface Packed {
  file: string;
  files: string[];
}

/** The repository's package sources (no tests, no build output) in a folder of their own, packed there. */
async function pack(work: string): Promise<Packed> {
  const stage = join(work, 'stage');
  for (const entry of ['package.json', 'README.md', 'LICENSE', 'tsconfig.base.json', 'tsconfig.lib.json', 'bin', 'scripts', 'server', 'shared', 'web']) {
    if (existsSync(join(repoRoot, entry))) cpSync(join(repoRoot, entry), join(stage, entry), { recursive: true });
  }
  // esbuild and tsc for prepack: the repository's own dev dependencies.
  symlinkSync(join(repoRoot, 'node_modules'), join(stage, 'node_modules'), 'dir');
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', work], { cwd: stage, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 });
  const [result] = JSON.parse(stdout.slice(stdout.indexOf('['))) as Array<{ filename: string; files: Array<{ path: string }> }>;
  return { file: join(work, result.filename), files: result.files.map((f) => f.path) };
}

function devVersion(name: string): string {
  return (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies[name].replace(/^[\^~]/, '');
}

/** The consumer's app: what README's "Use camrtc in your Node app" shows, with a plain http server. */
const APP = `import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCamrtc, CamrtcError, type Camrtc, type CameraStateEvent } from 'camrtc';

const camrtc: Camrtc = await createCamrtc({ demo: true, mountPath: '/cams', logLevel: 'silent' });
const states: CameraStateEvent[] = [];
camrtc.on('cameraState', (event) => states.push(event));
camrtc.on('viewerLeft', (event) => console.error(event.camera, event.durationSeconds.toFixed(1)));
const server = createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain' });
  res.end('the host app');
});
camrtc.attach(server);
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = \`http://127.0.0.1:\${(server.address() as AddressInfo).port}\`;
const cameras: unknown = await (await fetch(base + camrtc.paths.cameras)).json();
const player = await fetch(base + camrtc.paths.player);
const host = await (await fetch(base + '/anything')).text();
let invalid = '';
try {
  await createCamrtc({ cameras: [{ name: 'x', url: 'http://192.0.2.1/x' }] });
} catch (err) {
  if (err instanceof CamrtcError) invalid = err.code + ': ' + err.message;
}
await camrtc.close();
server.close();
console.log(JSON.stringify({ cameras, player: player.status, playerType: player.headers.get('content-type'), host, invalid }));

// Never called: the declarations must refuse these (tsc fails on an unused @ts-expect-error).
export async function mistakes(): Promise<void> {
  // @ts-expect-error a camera setting that does not exist
  await createCamrtc({ cameras: [{ name: 'x', url: 'rtsp://192.0.2.1/x', colour: 'red' }] });
  // @ts-expect-error not an event camrtc emits
  camrtc.on('cameraExploded', () => undefined);
  // @ts-expect-error the event's payload is typed
  camrtc.on('viewerJoined', (v) => v.nonsense.toString());
}
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    // The installed declarations are checked too: they must stand on camrtc's runtime dependencies.
    skipLibCheck: false,
    types: ['node'],
    outDir: 'out',
  },
  files: ['app.ts'],
};

describe('the packed package, installed from its tarball into an empty folder', { timeout: 420_000 }, () => {
  let work: string;
  let packed: Packed;
  let consumer: string;
  let skipReason: string | undefined;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'camrtc-pack-'));
    packed = await pack(work);
    consumer = join(work, 'consumer');
    mkdirSync(consumer);
    writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'my-app', version: '1.0.0', private: true, type: 'module' }));
    try {
      await run(
        'npm',
        ['install', packed.file, `typescript@${devVersion('typescript')}`, `@types/node@${devVersion('@types/node')}`, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'],
        { cwd: consumer, timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
      );
    } catch (err) {
      const text = `${(err as { stderr?: string }).stderr ?? ''} ${(err as Error).message}`;
      if (!NPM_UNREACHABLE.test(text)) throw err;
      skipReason = `npm could not install camrtc's dependencies (registry unreachable and not in the npm cache): ${text.trim().split('\n')[0]}`;
    }
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('ships the built server, its declarations, the browser bundles and the bin; not sources, tests or build scripts', () => {
    for (const file of ['bin/camrtc.js', 'dist/server/src/index.js', 'dist/server/src/index.d.ts', 'dist/server/src/lib/CamrtcTypes.d.ts', 'dist/server/src/cli/index.js', 'dist/server/assets/demo.h264', 'dist/public/camrtc-player.js', 'dist/public/index.html', 'README.md', 'package.json']) {
      assert.ok(packed.files.includes(file), `${file} is in the package`);
    }
    const stray = packed.files.filter((f) => /^(server|shared|web|test|scripts|examples|bench)\/|^dist\/(test|examples|bench|web)\//.test(f) || (f.endsWith('.ts') && !f.endsWith('.d.ts')));
    assert.deepEqual(stray, []);
    const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { private?: boolean; exports: Record<string, unknown> };
    assert.equal(manifest.private, undefined);
    assert.deepEqual(manifest.exports['.'], { types: './dist/server/src/index.d.ts', default: './dist/server/src/index.js' });
  });

  it('npx camrtc --help works without any dev tool installed', async (t) => {
    if (skipReason) return t.skip(skipReason);
    for (const dev of ['esbuild', 'fast-check', 'playwright-core', '@types/express']) {
      assert.ok(!existsSync(join(consumer, 'node_modules', dev)), `${dev} (a dev dependency) was not installed`);
    }
    assert.ok(!existsSync(join(consumer, 'node_modules', 'camrtc', 'scripts')), 'no build script in the package');
    const { stdout } = await run('npx', ['camrtc', '--help'], { cwd: consumer, timeout: 60_000 });
    assert.match(stdout, /^Usage: camrtc \[options\] \[command\]/);
    assert.match(stdout, /--camera <NAME=URL>/);
  });

  it('the installed camrtc command serves the demo camera', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const child = spawn(join(consumer, 'node_modules', '.bin', 'camrtc'), ['--demo', '--host', '127.0.0.1', '--port', '0', '--ice-host', '127.0.0.1'], { cwd: consumer, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('camrtc did not say where it listens within 30 s')), 30_000);
        child.once('exit', (code) => reject(new Error(`camrtc exited with ${code}`)));
        createInterface({ input: child.stdout }).on('line', (line) => {
          const found = /camrtc listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
          if (found) {
            clearTimeout(timer);
            resolve(found[1]);
          }
        });
      });
      const cameras = (await (await fetch(`${url}/api/cameras`)).json()) as Array<{ name: string }>;
      assert.deepEqual(cameras.map((c) => c.name), ['demo']);
      const page = await fetch(`${url}/`);
      assert.equal(page.status, 200);
      assert.equal((await fetch(`${url}/camrtc-player.js`)).status, 200);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it("an app's `import { createCamrtc } from 'camrtc'` type-checks against the installed declarations and runs", async (t) => {
    if (skipReason) return t.skip(skipReason);
    writeFileSync(join(consumer, 'app.ts'), APP);
    writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
    try {
      await run(process.execPath, [join(consumer, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', consumer], { cwd: consumer, timeout: 120_000 });
    } catch (err) {
      assert.fail(`tsc refused the app:\n${(err as { stdout?: string }).stdout ?? ''}${(err as Error).message}`);
    }
    const { stdout } = await run(process.execPath, [join(consumer, 'out', 'app.js')], { cwd: consumer, timeout: 60_000 });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    assert.deepEqual(result, {
      cameras: [{ name: 'demo', state: 'idle' }],
      player: 200,
      playerType: 'text/javascript; charset=utf-8',
      host: 'the host app',
      invalid: 'ERR_CONFIG_INVALID: invalid camrtc options: cameras.0.url: must be an rtsp:// or rtsps:// URL with a host',
    });
  });
});
