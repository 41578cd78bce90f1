/**
 * The certificate and private key camrtc serves HTTPS and WSS with (--tls-cert, --tls-key), kept
 * current. Certificates are renewed every 60 to 90 days (certbot, acme.sh, a company CA), and a
 * restart to pick the new one up would drop every viewer, so the files are watched and re-read.
 *
 * Watched two ways. fs.watch on the files' directories, not on the files: renewal tools replace a
 * file by rename or swap a symlink (certbot's live/ links, a Kubernetes secret's `..data`), after
 * which a watch on the old file sees nothing more, and the swapped name may be neither file's. And a
 * stat poll every few seconds, for where inotify says nothing (network filesystems, some bind
 * mounts). Any event only schedules a re-read; a pair is taken only when the certificate and the
 * key parse and the key belongs to the certificate. A half-written pair (a tool wrote the
 * certificate, not yet the key) or a mismatched one is refused with a log line and the previous pair
 * keeps serving. Neither logs nor errors ever contain the key.
 */
import { X509Certificate, createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { unwatchFile, watch, watchFile, type FSWatcher, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { processSecretSources } from '../config/secrets.js';
import { CamrtcError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { TypedEmitter } from '../util/TypedEmitter.js';

/** A certificate chain or a key larger than this is the wrong file (and /dev/zero must not hang the start). */
export const MAX_PEM_BYTES = 1024 * 1024;
/** How often the files' status is polled, in case the directory watch misses a change. */
export const DEFAULT_POLL_INTERVAL_MS = 5000;
/** Events closer together than this give one re-read (a renewal writes both files and swaps links). */
export const DEFAULT_SETTLE_MS = 300;

export interface TlsFiles {
  /** PEM certificate, optionally followed by the intermediate certificates (certbot's fullchain.pem). */
  readonly cert: string;
  /** PEM private key of that certificate, unencrypted. */
  readonly key: string;
}

/** What https.createServer() and server.setSecureContext() take. */
export interface TlsPair {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** The served certificate as logs show it: public facts only. */
export interface CertificateInfo {
  readonly subject: string;
  readonly serialNumber: string;
  readonly fingerprint256: string;
  readonly validTo: string;
}

export type TlsCertificateEvents = {
  /** New files were taken: give `pair` to the server. */
  reloaded: [info: CertificateInfo];
  /** Files changed but cannot be served; the previous pair stays. */
  reloadFailed: [error: CamrtcError];
};

export interface TlsCertificateOptions {
  logger: Logger;
  pollIntervalMs?: number;
  settleMs?: number;
}

function problem(message: string): CamrtcError {
  return new CamrtcError('ERR_CONFIG_INVALID', message);
}

function readPem(path: string, what: string): Buffer {
  let content: Buffer;
  try {
    content = processSecretSources.readFile(path, MAX_PEM_BYTES);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw problem(`cannot read the TLS ${what} ${path}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`);
  }
  if (content.length > MAX_PEM_BYTES) throw problem(`the TLS ${what} ${path} is larger than 1 MiB: not a ${what}`);
  if (content.length === 0) throw problem(`the TLS ${what} ${path} is empty`);
  return content;
}

/**
 * Checks that `pair` can be served: a certificate, a private key, and the key belongs to the
 * certificate. Messages name the files, never their content (OpenSSL's reasons carry none either).
 */
export function inspectPair(files: TlsFiles, pair: TlsPair): CertificateInfo {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pair.cert);
  } catch {
    throw problem(`the TLS certificate ${files.cert} is not a PEM certificate, or is cut short`);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pair.key);
  } catch (err) {
    // PKCS#8 (BEGIN ENCRYPTED PRIVATE KEY) or traditional (Proc-Type: 4,ENCRYPTED); OpenSSL 3's own
    // error for them is "interrupted or cancelled", which helps nobody.
    if ((err as NodeJS.ErrnoException).code === 'ERR_MISSING_PASSPHRASE' || /^-----BEGIN ENCRYPTED PRIVATE KEY-----|^Proc-Type: 4,ENCRYPTED/m.test(pair.key.toString('latin1'))) {
      throw problem(`the TLS key ${files.key} is encrypted with a passphrase: give camrtc an unencrypted key (openssl pkey -in KEY -out PLAIN)`);
    }
    throw problem(`the TLS key ${files.key} is not a PEM private key, or is cut short`);
  }
  if (!certificate.checkPrivateKey(key)) {
    throw problem(`the TLS key ${files.key} does not belong to the certificate ${files.cert} (a renewal that wrote one file but not yet the other, or the wrong key file)`);
  }
  try {
    // What the server will do with the pair; catches what the checks above do not (a broken chain).
    createSecureContext({ cert: pair.cert, key: pair.key });
  } catch (err) {
    throw problem(`the TLS certificate ${files.cert} and key ${files.key} cannot be served: ${(err as Error).message}`);
  }
  return {
    subject: certificate.subject.replace(/\n/g, ', '),
    serialNumber: certificate.serialNumber,
    fingerprint256: certificate.fingerprint256,
    validTo: new Date(certificate.validTo).toISOString(),
  };
}

function describe(info: CertificateInfo): string {
  return `${info.subject} (serial ${info.serialNumber}), valid until ${info.validTo}`;
}

export class TlsCertificate extends TypedEmitter<TlsCertificateEvents> {
  readonly files: TlsFiles;
  #pair: TlsPair;
  #info: CertificateInfo;
  readonly #logger: Logger;
  readonly #settleMs: number;
  readonly #watchers: FSWatcher[] = [];
  readonly #onStat = (current: Stats, previous: Stats): void => {
    if (current.mtimeMs !== previous.mtimeMs || current.ino !== previous.ino || current.size !== previous.size) this.#schedule();
  };
  #timer: NodeJS.Timeout | undefined;
  /** What the last refusal was about, so one bad state is logged once, not at every poll. */
  #refused: string | undefined;
  #closed = false;

  private constructor(files: TlsFiles, pair: TlsPair, info: CertificateInfo, options: TlsCertificateOptions) {
    super();
    this.files = files;
    this.#pair = pair;
    this.#info = info;
    this.#logger = options.logger;
    this.#settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
    this.#watch(options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS);
  }

  /**
   * Reads and checks both files, then watches them. Throws ERR_CONFIG_INVALID, naming the file and
   * the problem, when they cannot be served: a server must not start with a certificate it cannot use.
   */
  static load(files: TlsFiles, options: TlsCertificateOptions): TlsCertificate {
    const absolute = { cert: resolve(files.cert), key: resolve(files.key) };
    const pair = { cert: readPem(absolute.cert, 'certificate'), key: readPem(absolute.key, 'key') };
    const info = inspectPair(absolute, pair);
    const certificate = new TlsCertificate(absolute, pair, info, options);
    certificate.#warnIfExpired(info);
    options.logger.info({ cert: absolute.cert, ...info }, `TLS: serving certificate ${describe(info)}`);
    return certificate;
  }

  /** The pair being served. */
  get pair(): TlsPair {
    return this.#pair;
  }

  get info(): CertificateInfo {
    return this.#info;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Stops watching. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    for (const w of this.#watchers) w.close();
    unwatchFile(this.files.cert, this.#onStat);
    unwatchFile(this.files.key, this.#onStat);
  }

  #watch(pollIntervalMs: number): void {
    for (const dir of new Set([dirname(this.files.cert), dirname(this.files.key)])) {
      try {
        // persistent: false: the watch alone must not keep the process running.
        const watcher = watch(dir, { persistent: false }, () => this.#schedule());
        watcher.on('error', (err) => {
          this.#logger.warn({ err, dir }, `TLS: watching ${dir} failed; certificate changes are noticed by polling every ${pollIntervalMs / 1000} s`);
          watcher.close();
        });
        this.#watchers.push(watcher);
      } catch (err) {
        this.#logger.warn({ err, dir }, `TLS: cannot watch ${dir}; certificate changes are noticed by polling every ${pollIntervalMs / 1000} s`);
      }
    }
    watchFile(this.files.cert, { persistent: false, interval: pollIntervalMs }, this.#onStat);
    watchFile(this.files.key, { persistent: false, interval: pollIntervalMs }, this.#onStat);
  }

  /**
   * One re-read `settleMs` after the first event, however many follow meanwhile (a trailing
   * debounce would never fire in a directory that is written to all the time); events after the
   * re-read schedule another.
   */
  #schedule(): void {
    if (this.#closed || this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#reload();
    }, this.#settleMs);
    this.#timer.unref();
  }

  #reload(): void {
    if (this.#closed) return;
    let pair: TlsPair;
    let info: CertificateInfo;
    try {
      pair = { cert: readPem(this.files.cert, 'certificate'), key: readPem(this.files.key, 'key') };
    } catch (err) {
      this.#refuse(err as CamrtcError, (err as Error).message);
      return;
    }
    if (pair.cert.equals(this.#pair.cert) && pair.key.equals(this.#pair.key)) {
      this.#refused = undefined;
      return;
    }
    const state = createHash('sha256').update(pair.cert).update('\0').update(pair.key).digest('hex');
    try {
      info = inspectPair(this.files, pair);
    } catch (err) {
      this.#refuse(err as CamrtcError, state);
      return;
    }
    this.#refused = undefined;
    this.#pair = pair;
    this.#info = info;
    this.#warnIfExpired(info);
    this.#logger.info({ cert: this.files.cert, ...info }, `TLS: certificate reloaded; new connections get ${describe(info)}`);
    this.safeEmit('reloaded', info);
  }

  #refuse(error: CamrtcError, state: string): void {
    if (this.#refused === state) return;
    this.#refused = state;
    this.#logger.warn({ code: error.code, cert: this.files.cert, key: this.files.key }, `TLS: the changed certificate files were refused, still serving ${describe(this.#info)}: ${error.message}`);
    this.safeEmit('reloadFailed', error);
  }

  #warnIfExpired(info: CertificateInfo): void {
    if (Date.parse(info.validTo) < Date.now()) {
      this.#logger.warn({ cert: this.files.cert, validTo: info.validTo }, `TLS: the certificate ${this.files.cert} expired on ${info.validTo}; browsers will refuse it`);
    }
  }
}
