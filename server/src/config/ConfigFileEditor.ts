/**
 * Edits the cameras of the configuration file the server was started with, the way a person would:
 * through yaml's Document API, so comments, blank lines, key order, quoting and the other settings
 * stay as they were, and only the camera's own lines change. Writes are atomic (a temporary file in
 * the same directory, fsync, rename), keep the file's mode, and go to the target of a symbolic link
 * rather than replacing the link. Nothing here logs or quotes the file: its lines may hold passwords.
 */
import { randomBytes } from 'node:crypto';
import { chmod, open, readFile, realpath, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Document, isMap, isScalar, parseDocument, YAMLMap } from 'yaml';
import { CamrtcError } from '../errors.js';
import { MAX_CONFIG_FILE_BYTES } from './configFile.js';
import { describeYamlProblem } from './yamlProblem.js';

/** A camera's options as the file holds them (the `name: url` short form reads as `{ url }`). */
export type CameraOptions = Record<string, unknown>;

/** The file's text, and the document to edit. */
export interface ConfigFileText {
  readonly text: string;
  readonly doc: Document;
}

/** Never wrap lines when writing: a folded line would change lines the edit did not touch. */
const TO_STRING = { lineWidth: 0, minContentWidth: 0 } as const;

export class ConfigFileEditor {
  constructor(readonly path: string) {}

  /** The file now. Throws ERR_CONFIG_INVALID when it cannot be read or is not valid YAML. */
  async read(): Promise<ConfigFileText> {
    const text = await this.readText();
    const doc = parseDocument(text, { logLevel: 'silent', prettyErrors: true });
    if (doc.errors.length > 0) {
      throw new CamrtcError('ERR_CONFIG_INVALID', `configuration file ${this.path} is not valid YAML ${describeYamlProblem(doc.errors[0])}`);
    }
    return { text, doc };
  }

  /** The file's text. Throws ERR_CONFIG_INVALID when it cannot be read or is larger than 1 MiB. */
  async readText(): Promise<string> {
    let text: string;
    try {
      const buf = await readFile(this.path);
      if (buf.length > MAX_CONFIG_FILE_BYTES) throw new CamrtcError('ERR_CONFIG_INVALID', `configuration file ${this.path} is larger than 1 MiB`);
      text = buf.toString('utf8');
    } catch (err) {
      if (err instanceof CamrtcError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new CamrtcError('ERR_CONFIG_INVALID', `cannot read configuration file ${this.path}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`);
    }
    return text;
  }

  /** Writes `text` in place of the file, atomically, keeping its mode. Throws ERR_CONFIG_WRITE. */
  async write(text: string): Promise<void> {
    let target = this.path;
    try {
      target = await realpath(this.path);
    } catch {
      // Gone meanwhile: write where it was.
    }
    const tmp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
    let mode = 0o600;
    try {
      mode = (await stat(target)).mode & 0o7777;
    } catch {
      // No file to copy the mode from: only its owner reads it (it may hold passwords).
    }
    try {
      const handle = await open(tmp, 'wx', mode);
      try {
        await handle.writeFile(text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
      // open()'s mode is reduced by the umask; the file keeps exactly the mode it had.
      await chmod(tmp, mode);
      await rename(tmp, target);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      const code = (err as NodeJS.ErrnoException).code;
      throw new CamrtcError('ERR_CONFIG_WRITE', `cannot write configuration file ${this.path}${code ? ` (${code})` : ''}: nothing was changed`);
    }
  }
}

/** Whether the file configures camera `name`. */
export function hasCamera(doc: Document, name: string): boolean {
  const cameras = doc.get('cameras', true);
  return isMap(cameras) && cameras.has(name);
}

/** Camera `name`'s options as written in the file, or undefined. */
export function cameraOptions(doc: Document, name: string): CameraOptions | undefined {
  const cameras = doc.get('cameras', true);
  if (!isMap(cameras) || !cameras.has(name)) return undefined;
  const node = cameras.get(name, true);
  const value: unknown = isScalar(node) ? node.value : (node as { toJSON?: () => unknown } | undefined)?.toJSON?.();
  if (typeof value === 'string') return { url: value };
  if (value && typeof value === 'object' && !Array.isArray(value)) return { ...(value as CameraOptions) };
  return undefined;
}

/** The `cameras` map of the document, made when missing (or empty: `cameras:`). */
function camerasMap(doc: Document): YAMLMap {
  const cameras = doc.get('cameras', true);
  if (isMap(cameras)) {
    // `cameras: {}` written by hand: entries get lines of their own, not a long flow map.
    if (cameras.items.length === 0) cameras.flow = false;
    return cameras;
  }
  const created = new YAMLMap();
  doc.set('cameras', created);
  return created;
}

/**
 * Sets camera `name` to exactly `options` (the name is the key, never an option). An existing
 * camera is edited key by key, so the comments on the keys it keeps stay; keys it no longer has go.
 * A camera with nothing but a URL in the `name: url` form keeps that form.
 */
export function setCamera(doc: Document, name: string, options: CameraOptions): void {
  const { name: _name, ...rest } = options;
  const cameras = camerasMap(doc);
  const node = cameras.get(name, true);
  const onlyUrl = Object.keys(rest).length === 1 && typeof rest.url === 'string';
  if (isScalar(node) && onlyUrl) {
    node.value = rest.url;
    return;
  }
  if (isMap(node)) {
    for (const item of [...node.items]) {
      const key = isScalar(item.key) ? String(item.key.value) : String(item.key);
      if (!(key in rest) || rest[key] === undefined) node.delete(key);
    }
    for (const [key, value] of Object.entries(rest)) {
      if (value === undefined) continue;
      const current = node.get(key, true);
      if (isScalar(current) && (typeof value !== 'object' || value === null)) current.value = value;
      else node.set(key, doc.createNode(value));
    }
    return;
  }
  cameras.set(name, doc.createNode(rest));
}

/**
 * Removes camera `name` with its lines. A comment line above it goes with it, except above the
 * first camera, where yaml keeps it as the map's own comment (it may be about the whole section).
 */
export function deleteCamera(doc: Document, name: string): void {
  const cameras = doc.get('cameras', true);
  if (isMap(cameras)) cameras.delete(name);
}

/** The document as text, without re-wrapping any line. */
export function documentText(doc: Document): string {
  return doc.toString(TO_STRING);
}
