#!/usr/bin/env -S node --max-semi-space-size=4
// The `camrtc` command. The published package ships dist/ (built by `prepare` when packed); in a git
// checkout, `npm install` (prepare) or `npm start` builds it.
//
// --max-semi-space-size=4 (MiB; V8's default grows to 16): every packet to every viewer allocates
// native memory (an OpenSSL cipher context and its output) that is freed only when V8 collects the
// young objects owning it. A 16 MiB young generation lets ~50 MiB of that native memory pile up
// between collections at 50 viewers; 4 MiB keeps it near 10 MiB (bench --quick: server RSS per
// viewer 0.43 / 0.37 MiB at 50 / 100 viewers, against 0.69 / 0.52 with V8's default; CPU unchanged).
// 1 MiB is worse: packets still being sent survive two collections, get promoted, and their memory
// then waits for a full collection. `npm start` and the benchmark should pass the same flag.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

const entry = new URL('../dist/server/src/cli/index.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  // Only a git checkout has the build script (and esbuild, a dev dependency); a package never lacks dist/.
  const build = fileURLToPath(new URL('../scripts/build.mjs', import.meta.url));
  if (!existsSync(build)) {
    process.stderr.write('camrtc: this installation lacks its built files (dist/); reinstall the package\n');
    process.exit(1);
  }
  execFileSync(process.execPath, [build], { stdio: 'inherit' });
}
const { runCli } = await import(entry.href);
await runCli(process.argv);
