import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../../shared/errors.js';
import { repoRoot } from '../helpers/paths.js';

describe('error codes', () => {
  it('docs/errors.md lists exactly the codes in shared/errors.ts', () => {
    const doc = readFileSync(join(repoRoot, 'docs/errors.md'), 'utf8');
    const documented = new Set([...doc.matchAll(/^\| `(ERR_[A-Z0-9_]+)` \|/gm)].map((m) => m[1]));
    assert.deepEqual([...documented].sort(), Object.keys(ERROR_CODES).sort());
  });
});
