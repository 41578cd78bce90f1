#!/usr/bin/env node
// The `camrtc` command. The TypeScript is built into dist/ by `npm install` (prepare) or `npm start`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

const entry = new URL('../dist/server/src/cli/index.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/build.mjs', import.meta.url))], { stdio: 'inherit' });
}
const { runCli } = await import(entry.href);
await runCli(process.argv);
