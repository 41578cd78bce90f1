// Builds camrtc into dist/: the server, shared and test TypeScript is transpiled file by file (no
// bundling, so stack traces and node:test file names stay readable); the browser code is bundled into
// ES modules served by the HTTP server. Type checking is `npm run typecheck` (tsc), kept apart
// because esbuild is ~100x faster and `npm start` should not wait for tsc.
// --types also writes the library's type declarations (tsconfig.lib.json, ~6 s): `prepack` passes it,
// so `npm pack` and `npm publish` ship a fresh dist/ with them. No `prepare` script: it would run
// after prepack and empty dist/ again, and npm lists it as an install script of the package; in a
// checkout `npm start`, `npm test` and bin/camrtc.js build when needed.
import { build } from 'esbuild';
import { readdirSync, statSync, rmSync, mkdirSync, cpSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// CAMRTC_OUT lets several builds coexist (parallel work, benchmarks of two versions); default dist/.
const out = join(root, process.env.CAMRTC_OUT ?? 'dist');

function tsFiles(dir) {
  if (!existsSync(dir)) return [];
  const found = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) found.push(...tsFiles(p));
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) found.push(p);
  }
  return found;
}

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// web/src too: its pure modules (stats, URLs) are unit-tested in Node.
const nodeEntries = ['server/src', 'shared', 'web/src', 'test', 'examples', 'bench'].flatMap((d) => tsFiles(join(root, d)));
await build({
  entryPoints: nodeEntries,
  outdir: out,
  outbase: root,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
});

await build({
  entryPoints: {
    'camrtc-player': join(root, 'web/src/camrtc-player.ts'),
    app: join(root, 'web/src/app.ts'),
  },
  outdir: join(out, 'public'),
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: ['chrome110', 'safari16', 'firefox115'],
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
// The camera page's first script (web/src/early.ts): the server inlines it at the top of /camera/NAME
// (server/src/http/cameraPage.ts), with camrtc-player.js and style.css, so no request for an external
// file stands between the page and its first signaling message. A classic script: it must run while
// the page is being parsed, not after it like a module.
await build({
  entryPoints: { early: join(root, 'web/src/early.ts') },
  outdir: join(out, 'public'),
  bundle: true,
  platform: 'browser',
  format: 'iife',
  target: ['chrome110', 'safari16', 'firefox115'],
  minify: true,
  sourcemap: true,
  logLevel: 'warning',
});
// Served as is by the HTTP server: only the bundles and web/public, never the transpiled sources above.
cpSync(join(root, 'web/public'), join(out, 'public'), { recursive: true });
// Non-TypeScript assets the server reads at run time (the demo clip).
cpSync(join(root, 'server/assets'), join(out, 'server/assets'), { recursive: true });

if (process.argv.includes('--types')) {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.lib.json'), '--outDir', out], { stdio: 'inherit' });
}
