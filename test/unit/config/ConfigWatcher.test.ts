import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigWatcher } from '../../../server/src/config/ConfigWatcher.js';
import { silentLogger } from '../../../server/src/log/logger.js';
import { waitFor } from '../../integration/webrtc/helpers/waitFor.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A watched file; each notification records the file's text at that moment. */
function setup(onChange?: (seen: string[], path: string) => Promise<void> | void, pollMs = 60_000) {
  const dir = mkdtempSync(join(tmpdir(), 'camrtc-watch-'));
  const path = join(dir, 'camrtc.yml');
  writeFileSync(path, 'port: 1\n');
  const seen: string[] = [];
  const watcher = new ConfigWatcher({
    path,
    onChange: onChange ? () => onChange(seen, path) : () => void seen.push(readFileSync(path, 'utf8')),
    logger: silentLogger(),
    debounceMs: 100,
    pollMs,
  });
  return { dir, path, seen, watcher };
}

describe('ConfigWatcher', () => {
  it('says once after a burst of writes (debounce), when the last one is in the file', async () => {
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

  it('sees a save that renames a new file over the old one, and a file deleted then written again; not other files', async () => {
    const { dir, path, seen, watcher } = setup((list, file) => {
      try {
        list.push(readFileSync(file, 'utf8'));
      } catch {
        list.push('(gone)');
      }
    });
    try {
      writeFileSync(join(dir, 'tmp'), 'port: 7\n');
      renameSync(join(dir, 'tmp'), path);
      await waitFor(() => seen.includes('port: 7\n'), 'the renamed file');
      unlinkSync(path);
      await sleep(200);
      writeFileSync(path, 'port: 8\n');
      await waitFor(() => seen.includes('port: 8\n'), 'the file written again');
      const count = seen.length;
      writeFileSync(join(dir, 'other.yml'), 'x');
      await sleep(300);
      assert.equal(seen.length, count, 'other files in the folder are not the configuration');
    } finally {
      watcher.close();
    }
  });

  it('never runs two notifications at once: a change during a slow one is told after it', async () => {
    let running = 0;
    let overlapped = false;
    const { path, seen, watcher } = setup(async (list, file) => {
      running++;
      if (running > 1) overlapped = true;
      list.push(readFileSync(file, 'utf8'));
      await sleep(400);
      running--;
    });
    try {
      writeFileSync(path, 'port: 2\n');
      await waitFor(() => seen.length === 1, 'the first change');
      writeFileSync(path, 'port: 3\n');
      await waitFor(() => seen.length === 2, 'the second change, after the first was handled');
      await watcher.settled();
      assert.equal(overlapped, false);
      assert.deepEqual(seen, ['port: 2\n', 'port: 3\n']);
    } finally {
      watcher.close();
    }
  });

  it('close() stops the directory watch and the poll', async () => {
    const { path, seen, watcher } = setup(undefined, 100);
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
