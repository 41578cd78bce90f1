import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { repoRoot } from '../../helpers/paths.js';
import { join } from 'node:path';

/** The node flags in bin/camrtc.js's `#!/usr/bin/env -S node ...` line. */
function shebangFlags(): string[] {
  const first = readFileSync(join(repoRoot, 'bin/camrtc.js'), 'utf8').split('\n')[0];
  const m = /^#!\/usr\/bin\/env -S node((?: --[a-z0-9-]+(?:=\S+)?)*)$/.exec(first);
  assert.ok(m, `unexpected shebang: ${first}`);
  return m[1].split(' ').filter(Boolean);
}

/**
 * Young generation size (MiB) after a workload shaped like the packet path: many short-lived objects
 * with a few surviving a while, which makes V8 grow its young generation up to the limit.
 */
function youngGenerationAfterLoad(flags: readonly string[]): number {
  const script = `
    const v8 = require('node:v8');
    let keep = [];
    for (let i = 0; i < 3e6; i++) { keep.push({ i, b: [i, i] }); if (keep.length > 20000) keep = []; }
    const s = v8.getHeapSpaceStatistics().find((x) => x.space_name === 'new_space');
    process.stdout.write(String(s.space_size / 2 ** 20));`;
  return Number(execFileSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' }));
}

describe('bin/camrtc.js', () => {
  it('caps the young generation (native memory per packet waits for it: see the comment in bin/camrtc.js)', () => {
    const flags = shebangFlags();
    assert.ok(flags.some((f) => f.startsWith('--max-semi-space-size=')), 'the semi-space flag is set');
    // The same workload grows V8's default young generation far beyond the cap.
    assert.ok(youngGenerationAfterLoad([]) > 16, 'the workload grows an uncapped young generation');
    // Two semi-spaces of 4 MiB.
    assert.ok(youngGenerationAfterLoad(flags) <= 8);
  });
});
