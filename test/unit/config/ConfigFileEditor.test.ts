import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { cameraOptions, ConfigFileEditor, deleteCamera, documentText, hasCamera, setCamera } from '../../../server/src/config/ConfigFileEditor.js';
import { parseConfigText } from '../../../server/src/config/configFile.js';
import { CamrtcError } from '../../../server/src/errors.js';

const FILE = `# camrtc at home
port: 8080 # behind the router

cameras:
  # front door, the old one
  front: rtsp://admin:secret@192.0.2.10/stream1 # short form
  yard:
    url: rtsps://192.0.2.11/live # the NVR
    username: admin
    transport: tcp # UDP is lossy here
logLevel: info # or debug
`;

const edit = (text: string, change: (doc: ReturnType<typeof parseDocument>) => void): string => {
  const doc = parseDocument(text);
  change(doc);
  return documentText(doc);
};

describe('configuration file edits', () => {
  it('setCamera changes only the keys that changed: comments, order and the other settings stay', () => {
    const out = edit(FILE, (doc) => setCamera(doc, 'yard', { url: 'rtsps://192.0.2.11/live', transport: 'udp', preload: true }));
    assert.equal(
      out,
      FILE.replace('    username: admin\n', '').replace('transport: tcp # UDP is lossy here', 'transport: udp # UDP is lossy here\n    preload: true'),
    );
  });

  it('a URL-only camera keeps the short form; a new camera gets its own block; a removed one goes', () => {
    const out = edit(FILE, (doc) => {
      setCamera(doc, 'front', { url: 'rtsp://admin:new@192.0.2.10/stream2' });
      setCamera(doc, 'porch', { name: 'porch', url: 'rtsp://192.0.2.12/', transport: 'tcp' });
      deleteCamera(doc, 'yard');
    });
    assert.match(out, /^ {2}front: rtsp:\/\/admin:new@192\.0\.2\.10\/stream2 # short form$/m);
    assert.match(out, /^ {2}porch:\n {4}url: rtsp:\/\/192\.0\.2\.12\/\n {4}transport: tcp\n/m);
    assert.doesNotMatch(out, /yard|NVR/);
    assert.match(out, /# front door, the old one/);
    assert.match(out, /^logLevel: info # or debug$/m);
    assert.deepEqual(parseConfigText(out).cameras?.map((c) => c.name), ['front', 'porch']);
  });

  it('a file without cameras (or with an empty `cameras:`) gets a block map', () => {
    for (const text of ['port: 8080\n', 'port: 8080\ncameras:\n', 'port: 8080\ncameras: {}\n']) {
      const out = edit(text, (doc) => setCamera(doc, 'a', { url: 'rtsp://h/a' }));
      assert.match(out, /^cameras:\n {2}a:\n {4}url: rtsp:\/\/h\/a\n/m, out);
      assert.deepEqual(parseConfigText(out).cameras, [{ name: 'a', url: 'rtsp://h/a' }]);
    }
  });

  it('hasCamera and cameraOptions read both forms', () => {
    const doc = parseDocument(FILE);
    assert.ok(hasCamera(doc, 'front') && hasCamera(doc, 'yard') && !hasCamera(doc, 'nope'));
    assert.deepEqual(cameraOptions(doc, 'front'), { url: 'rtsp://admin:secret@192.0.2.10/stream1' });
    assert.deepEqual(cameraOptions(doc, 'yard'), { url: 'rtsps://192.0.2.11/live', username: 'admin', transport: 'tcp' });
    assert.equal(cameraOptions(doc, 'nope'), undefined);
  });

  it('write replaces the file atomically, keeps its mode, follows a symbolic link and leaves no temporary file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrtc-edit-'));
    const target = join(dir, 'real.yml');
    writeFileSync(target, FILE);
    chmodSync(target, 0o640);
    const link = join(dir, 'camrtc.yml');
    symlinkSync(target, link);
    const editor = new ConfigFileEditor(link);
    const { doc } = await editor.read();
    deleteCamera(doc, 'front');
    await editor.write(documentText(doc));
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link stays a link');
    assert.doesNotMatch(readFileSync(target, 'utf8'), /front:/);
    assert.equal(statSync(target).mode & 0o777, 0o640);
    assert.deepEqual(readdirSync(dir).sort(), ['camrtc.yml', 'real.yml']);
  });

  it('an unwritable directory is ERR_CONFIG_WRITE and the file stays; invalid YAML is ERR_CONFIG_INVALID without quoting it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'camrtc-edit-'));
    const file = join(dir, 'camrtc.yml');
    writeFileSync(file, FILE);
    chmodSync(dir, 0o500);
    try {
      const editor = new ConfigFileEditor(file);
      // root writes anyway: then the rename into a folder that is gone stands in for the refusal.
      const refused = process.getuid?.() === 0 ? new ConfigFileEditor(join(dir, 'gone', 'camrtc.yml')) : editor;
      await assert.rejects(refused.write('port: 1\n'), (e: unknown) => e instanceof CamrtcError && e.code === 'ERR_CONFIG_WRITE' && /\((EACCES|ENOENT)\): nothing was changed/.test(e.message));
      assert.equal(readFileSync(file, 'utf8'), FILE);
    } finally {
      chmodSync(dir, 0o700);
    }
    writeFileSync(file, 'cameras:\n  a: "rtsp://u:s3cret@h/\n');
    await assert.rejects(new ConfigFileEditor(file).read(), (e: unknown) => e instanceof CamrtcError && e.code === 'ERR_CONFIG_INVALID' && !e.message.includes('s3cret'));
  });
});
