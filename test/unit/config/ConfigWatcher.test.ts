import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigWatcher } from '../../../server/src/config/ConfigWatcher.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { waitFor } from '../../integration/webrtc/helpers/waitFor.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function setup(pollMs = 60_000) {
  const dir = mkdtempSync(join(tmpdir(), 'camrtc-watch-'));
  const path = join(dir, 'camrtc.yml');
  writeFileSync(path, 'port: 1\n');
  const seen: string[] = [];
  const watcher = new ConfigWatcher({ path, initialText: 'port: 1\n', onChange: (t) => void seen.push(t), logger: silentLogger(), debounceMs: 100, pollMs });
  return { dir, path, seen, watcher };
}

describe('ConfigWatcher', () => {
  it('hands over the text once after a burst of writes (debounce)', async () => {
    const { path, seen, watcher } = setup();
    try {
      for (let i = 2; i <= 6; i++) {
        writeFileSync(path, `port: ${i}\n`);
        await sleep(10);
      }
      await waitFor(() => seen.length > 0, 'a change');
      await sleep(300);
      assert.deepEqual(seen, ['port: 6\n']);
    } finally {
      watcher.close();
    }
  });

  it('sees a save that renames a new file over the old one, and a file deleted then written again', async () => {
    const { dir, path, seen, watcher } = setup();
    try {
      writeFileSync(join(dir, 'tmp'), 'port: 7\n');
      renameSync(join(dir, 'tmp'), path);
      await waitFor(() => seen.includes('port: 7\n'), 'the renamed file');
      unlinkSync(path);
      await sleep(200);
      writeFileSync(path, 'port: 8\n');
      await waitFor(() => seen.includes('port: 8\n'), 'the file written again');
      writeFileSync(join(dir, 'other.yml'), 'x');
      await sleep(300);
      assert.deepEqual(seen, ['port: 7\n', 'port: 8\n'], 'other files in the folder are not the configuration');
    } finally {
      watcher.close();
    }
  });

  it('ignores the text the server wrote itself and a save that changed nothing', async () => {
    const { path, seen, watcher } = setup();
    try {
      watcher.written('port: 9\n');
      writeFileSync(path, 'port: 9\n');
      await sleep(400);
      writeFileSync(path, 'port: 9\n');
      await sleep(400);
      assert.deepEqual(seen, []);
    } finally {
      watcher.close();
    }
  });

  it('close() stops the directory watch and the poll', async () => {
    const { path, seen, watcher } = setup(100);
    try {
      writeFileSync(path, 'port: 10\n');
      await waitFor(() => seen.length === 1, 'a change');
    } finally {
      watcher.close();
    }
    assert.equal(watcher.closed, true);
    writeFileSync(path, 'port: 11\n');
    await sleep(400);
    assert.deepEqual(seen, ['port: 10\n']);
  });
});
