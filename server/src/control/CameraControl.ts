/**
 * Changes to the configured cameras at run time, from the control API and from the configuration
 * file: one place that turns a wanted camera list into registry operations (cameraDiff.ts), so an
 * API change and a file edit do exactly the same thing: added cameras appear, removed ones close
 * (their viewers read ERR_CAMERA_REMOVED), changed ones restart (ERR_CAMERA_CHANGED: the player
 * reconnects at once), unchanged ones are not touched. Operations run one at a time.
 *
 * With a configuration file, an API change is an edit of that file (ConfigFileEditor: comments and
 * layout kept, atomic write), then the file is applied as a reload would, so what runs is always
 * what the file says. Cameras given on the command line are not in the file: the API refuses to
 * change them (409) rather than write a second definition. Without a file, changes last until the
 * server stops.
 */
import type { Document } from 'yaml';
import { z } from 'zod';
import { CameraConfigSchema, cameraConfigProblem, type CameraConfig, type Config } from '../config/Config.js';
import { cameraOptions, deleteCamera, documentText, setCamera, type CameraOptions, type ConfigFileEditor } from '../config/ConfigFileEditor.js';
import { diffCameras, emptyDiff, settingsNeedingRestart, type CameraDiff } from '../config/cameraDiff.js';
import { processSecretSources, resolvePassword, type SecretSources } from '../config/secrets.js';
import { CamrtcError, toCamrtcError, type ErrorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { redactText } from '../log/redact.js';
import type { Camera } from '../media/Camera.js';
import type { CameraRegistry } from '../media/CameraRegistry.js';

/** The configuration file an API change is written to and a reload reads. */
export interface ControlledFile {
  readonly editor: ConfigFileEditor;
  /** The file's text the running configuration was made from (at start). */
  readonly text: string;
  /** The whole configuration from a text of the file, with the command line applied as at start. Throws ERR_CONFIG_INVALID. */
  load(text: string): Readonly<Config>;
}

export interface CameraControlOptions {
  registry: CameraRegistry;
  /** The configuration the server started with (its cameras are in the registry already). */
  config: Readonly<Config>;
  file?: ControlledFile;
  logger: Logger;
  secrets?: SecretSources;
  /** Names the API must not change (the built-in demo camera). */
  builtIn?: readonly string[];
}

/** A camera's last error, kept after the camera recovered (the state only says the current one). */
export interface LastError {
  readonly code: ErrorCode;
  readonly message: string;
  /** ISO time. */
  readonly at: string;
}

export interface ChangeResult {
  /** The camera as it now runs (undefined after a removal). */
  readonly camera?: CameraConfig;
  /** Written to the configuration file (false: at run time only, no file). */
  readonly persisted: boolean;
}

/** What a reload did. */
export type ReloadResult =
  | { readonly ok: true; readonly diff: CameraDiff; readonly restartNeeded: readonly string[] }
  | { readonly ok: true; readonly unchanged: true }
  | { readonly ok: false; readonly error: CamrtcError };

/** A camera's options in an API body: everything but the name, checked as the file's would be. */
export const CameraOptionsSchema = CameraConfigSchema.omit({ name: true });
export const NewCameraSchema = CameraConfigSchema;
/** PATCH: JSON merge patch (RFC 7396) of the options; null removes a setting. */
export const CameraPatchSchema = z.strictObject(
  Object.fromEntries(Object.entries(CameraOptionsSchema.shape).map(([k, v]) => [k, (v as z.ZodType).nullable().optional()])) as {
    [K in keyof typeof CameraOptionsSchema.shape]: z.ZodOptional<z.ZodNullable<(typeof CameraOptionsSchema.shape)[K]>>;
  },
);

const PASSWORD_SOURCES = ['password', 'passwordFile', 'passwordEnv'] as const;

/** A 400 naming the fields zod refused (messages never quote values, so no password is echoed). */
export function invalidBody(error: z.ZodError): CamrtcError {
  const lines: string[] = [];
  const fields: string[] = [];
  for (const issue of error.issues) {
    // A misspelt setting: zod says it of the object; the user wants the setting's name first.
    const names = issue.code === 'unrecognized_keys' ? issue.keys.map((k) => [...issue.path.map(String), k].join('.')) : [issue.path.map(String).join('.')];
    const message = issue.code === 'unrecognized_keys' ? 'not a camera setting (misspelt?)' : issue.message;
    for (const name of names) {
      lines.push(`${name || '(body)'}: ${message}`);
      if (name) fields.push(name);
    }
  }
  return new CamrtcError('ERR_REQUEST_INVALID', redactText(lines.join('; ')), { fields });
}

export class CameraControl {
  readonly #registry: CameraRegistry;
  readonly #file: ControlledFile | undefined;
  readonly #log: Logger;
  readonly #secrets: SecretSources;
  readonly #builtIn: ReadonlySet<string>;
  /** The configuration the server started with: settings other than cameras never change at run time. */
  readonly #started: Readonly<Config>;
  /** The configured cameras as they run (resolved passwords: never leaves the process). */
  #cameras: readonly CameraConfig[];
  readonly #lastErrors = new Map<string, LastError>();
  /**
   * The file's text last applied, refused or written by the API: a reload of the same text changes
   * nothing (the watch seeing the API's own write, a save without changes).
   */
  #fileText: string | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: CameraControlOptions) {
    this.#registry = options.registry;
    this.#file = options.file;
    this.#log = options.logger;
    this.#secrets = options.secrets ?? processSecretSources;
    this.#builtIn = new Set(options.builtIn ?? []);
    this.#started = options.config;
    this.#cameras = [...options.config.cameras];
    this.#fileText = options.file?.text;
    for (const camera of this.#registry.all()) this.#watchErrors(camera);
  }

  /** Whether changes go to a configuration file. */
  get persistent(): boolean {
    return this.#file !== undefined;
  }

  lastError(name: string): LastError | undefined {
    return this.#lastErrors.get(name);
  }

  /** POST: a new camera. 409 ERR_CAMERA_EXISTS when the name is taken. */
  add(input: unknown): Promise<ChangeResult> {
    return this.#serial(async () => {
      const parsed = NewCameraSchema.safeParse(input);
      if (!parsed.success) throw invalidBody(parsed.error);
      const { name } = parsed.data;
      if (this.#registry.get(name)) throw new CamrtcError('ERR_CAMERA_EXISTS', `camera '${name}' already exists: PUT /api/cameras/${name} changes it`, { status: 409 });
      const options = sent(input as CameraOptions);
      this.#resolve(name, options);
      return this.#change(name, (doc) => setCamera(doc, name, options), (cameras) => [...cameras, this.#resolve(name, options)]);
    });
  }

  /** PUT: camera `name` gets exactly these options (defaults for the ones left out). */
  replace(name: string, input: unknown): Promise<ChangeResult> {
    return this.#serial(async () => {
      const parsed = CameraOptionsSchema.extend({ name: z.literal(name, { error: `renaming is not supported: the name is '${name}' (POST the new name, DELETE the old)` }).optional() }).safeParse(input);
      if (!parsed.success) throw invalidBody(parsed.error);
      await this.#changeable(name);
      const options = sent(input as CameraOptions);
      this.#resolve(name, options);
      return this.#change(name, (doc) => setCamera(doc, name, options), (cameras) => cameras.map((c) => (c.name === name ? this.#resolve(name, options) : c)));
    });
  }

  /**
   * PATCH: a JSON merge patch of the camera's options (null removes one). Naming one of password,
   * passwordFile and passwordEnv replaces the other two: a camera has one password source.
   */
  patch(name: string, input: unknown): Promise<ChangeResult> {
    return this.#serial(async () => {
      const parsed = CameraPatchSchema.safeParse(input);
      if (!parsed.success) throw invalidBody(parsed.error);
      const current = await this.#changeable(name);
      const patch = input as Record<string, unknown>;
      const merged: CameraOptions = { ...current };
      if (PASSWORD_SOURCES.some((k) => k in patch)) for (const k of PASSWORD_SOURCES) delete merged[k];
      for (const [key, value] of Object.entries(patch)) {
        if (value === null) delete merged[key];
        else merged[key] = value;
      }
      delete merged.name;
      const check = CameraOptionsSchema.safeParse(merged);
      if (!check.success) throw invalidBody(check.error);
      this.#resolve(name, merged);
      return this.#change(name, (doc) => setCamera(doc, name, merged), (cameras) => cameras.map((c) => (c.name === name ? this.#resolve(name, merged) : c)));
    });
  }

  /** DELETE: the camera closes, its viewers read ERR_CAMERA_REMOVED. */
  remove(name: string): Promise<ChangeResult> {
    return this.#serial(async () => {
      await this.#changeable(name);
      return this.#change(name, (doc) => deleteCamera(doc, name), (cameras) => cameras.filter((c) => c.name !== name));
    });
  }

  /**
   * The configuration file may have changed (ConfigWatcher): reads it and applies its cameras, or
   * keeps the running ones when it is invalid. Settings other than cameras are only reported: they
   * need a restart. Runs in the queue of the API's changes, so it never reads the file half-way
   * through one of them.
   */
  reload(): Promise<ReloadResult> {
    return this.#serial(async () => {
      if (!this.#file) throw new Error('reload without a configuration file');
      let text: string;
      try {
        text = await this.#file.editor.readText();
      } catch (err) {
        const error = toCamrtcError(err, 'ERR_CONFIG_INVALID');
        // Deleted, or between the unlink and the rename of a save: the next event brings it back.
        this.#log.warn({ code: error.code }, `configuration file not applied, the running configuration stays: ${redactText(error.message)}`);
        return { ok: false, error };
      }
      if (text === this.#fileText) return { ok: true, unchanged: true };
      this.#fileText = text;
      let next: Readonly<Config>;
      try {
        next = this.#file.load(text);
      } catch (err) {
        const error = toCamrtcError(err, 'ERR_CONFIG_INVALID');
        this.#log.warn({ code: error.code }, `configuration file not applied, the running configuration stays: ${redactText(error.message)}`);
        return { ok: false, error };
      }
      const restartNeeded = settingsNeedingRestart(this.#started, next);
      if (restartNeeded.length) {
        this.#log.warn({ settings: restartNeeded }, `configuration file: ${restartNeeded.join(', ')} changed: restart camrtc to apply ${restartNeeded.length === 1 ? 'it' : 'them'} (cameras are applied now)`);
      }
      const diff = await this.#apply(next.cameras, 'configuration file');
      return { ok: true, diff, restartNeeded };
    });
  }

  /** The camera's options as configured (the file's, or the running ones), or a refusal. */
  async #changeable(name: string): Promise<CameraOptions> {
    if (this.#builtIn.has(name) && this.#registry.get(name)) {
      throw new CamrtcError('ERR_CONFIG_INVALID', `camera '${name}' is the built-in demo camera: it cannot be changed (start with --no-demo to leave it out)`, { status: 409 });
    }
    const running = this.#cameras.find((c) => c.name === name);
    if (!this.#file) {
      if (!running) throw new CamrtcError('ERR_CAMERA_UNKNOWN', `no camera named '${name}'`, { status: 404 });
      return unresolved(running);
    }
    const { doc } = await this.#file.editor.read();
    const options = cameraOptions(doc, name);
    if (options) return options;
    if (running || this.#registry.get(name)) {
      throw new CamrtcError('ERR_CONFIG_INVALID', `camera '${name}' comes from the command line, not from ${this.#file.editor.path}: change it there`, { status: 409 });
    }
    throw new CamrtcError('ERR_CAMERA_UNKNOWN', `no camera named '${name}'`, { status: 404 });
  }

  /**
   * Makes the change: with a file, edits and writes it, then applies what the file now says; without
   * one, applies `next` to the running cameras.
   */
  async #change(name: string, edit: (doc: Document) => void, next: (cameras: readonly CameraConfig[]) => CameraConfig[]): Promise<ChangeResult> {
    if (!this.#file) {
      await this.#apply(next(this.#cameras), 'control API');
      return { camera: this.#cameras.find((c) => c.name === name), persisted: false };
    }
    const { text, doc } = await this.#file.editor.read();
    edit(doc);
    const written = documentText(doc);
    let config: Readonly<Config>;
    try {
      config = this.#file.load(written);
    } catch (err) {
      const error = toCamrtcError(err, 'ERR_CONFIG_INVALID');
      // The edit is valid on its own (checked before): the file was invalid already, or the edit
      // clashes with the rest of it. Either way the file stays as it is.
      let before = true;
      try {
        this.#file.load(text);
      } catch {
        before = false;
      }
      throw new CamrtcError(
        'ERR_CONFIG_INVALID',
        before
          ? `the change does not fit ${this.#file.editor.path}: ${redactText(error.message)}`
          : `${this.#file.editor.path} is invalid, fix it first: ${redactText(error.message)}`,
        { status: 409 },
      );
    }
    await this.#file.editor.write(written);
    this.#fileText = written;
    this.#log.info({ camera: name, file: this.#file.editor.path }, 'control API: configuration file updated');
    await this.#apply(config.cameras, 'control API');
    return { camera: this.#cameras.find((c) => c.name === name), persisted: true };
  }

  /** Runs the diff between the running cameras and `next` on the registry. Never throws. */
  async #apply(next: readonly CameraConfig[], source: string): Promise<CameraDiff> {
    const diff = diffCameras(this.#cameras, next);
    this.#cameras = [...next];
    if (emptyDiff(diff)) return diff;
    const closing: Promise<unknown>[] = [];
    for (const camera of diff.removed) {
      this.#lastErrors.delete(camera.name);
      closing.push(this.#registry.remove(camera.name));
    }
    for (const { after } of diff.changed) {
      this.#lastErrors.delete(after.name);
      const replaced = this.#registry.get(after.name)
        ? this.#registry.replace(after).then((c) => this.#watchErrors(c))
        : Promise.resolve(this.#watchErrors(this.#registry.add(after)));
      closing.push(replaced.catch((err: unknown) => this.#log.error({ err, camera: after.name }, 'could not restart the camera')));
    }
    for (const camera of diff.added) {
      try {
        this.#watchErrors(this.#registry.add(camera));
      } catch (err) {
        const error = toCamrtcError(err);
        this.#log.warn({ camera: camera.name, code: error.code }, `${source}: camera not added: ${redactText(error.message)}`);
      }
    }
    this.#log.info(
      { added: diff.added.map((c) => c.name), removed: diff.removed.map((c) => c.name), changed: diff.changed.map((c) => c.after.name), unchanged: diff.unchanged.length },
      `${source}: cameras applied`,
    );
    await Promise.all(closing);
    return diff;
  }

  /** The running form of a camera's options: defaults applied, password read. Throws 400 naming the field. */
  #resolve(name: string, options: CameraOptions): CameraConfig {
    const parsed = CameraConfigSchema.safeParse({ ...options, name });
    if (!parsed.success) throw invalidBody(parsed.error);
    const camera = parsed.data;
    const problem = cameraConfigProblem(camera);
    if (problem) throw new CamrtcError('ERR_REQUEST_INVALID', problem, { fields: [problem.slice(0, problem.indexOf(':'))] });
    let password: string | undefined;
    try {
      password = resolvePassword(camera, this.#secrets);
    } catch (err) {
      const error = toCamrtcError(err, 'ERR_CONFIG_INVALID');
      throw new CamrtcError('ERR_REQUEST_INVALID', redactText(error.message));
    }
    if (password !== undefined) camera.password = password;
    return camera;
  }

  #watchErrors(camera: Camera): void {
    camera.on('status', (status) => {
      if (status.error) this.#lastErrors.set(camera.name, { code: status.error.code, message: redactText(status.error.message), at: new Date().toISOString() });
    });
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(op);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/** The options a client sent, without the name (the key) and without undefined values. */
function sent(input: CameraOptions): CameraOptions {
  const out: CameraOptions = {};
  for (const [key, value] of Object.entries(input)) if (key !== 'name' && value !== undefined) out[key] = value;
  return out;
}

/**
 * A running camera's options as they were given: the password read from passwordFile or
 * passwordEnv is not one the user wrote.
 */
function unresolved(camera: CameraConfig): CameraOptions {
  const { name: _name, ...options } = camera;
  if (options.passwordFile !== undefined || options.passwordEnv !== undefined) delete options.password;
  return options;
}
