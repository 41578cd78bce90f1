/**
 * WHEP (RFC 9725, WebRTC-HTTP Egress Protocol) at /whep/NAME, for players that speak it: POST an SDP
 * offer, get 201 with the answer and a session URL in Location; PATCH trickles ICE candidates
 * (application/trickle-ice-sdpfrag); DELETE ends the session. Each session is the same ViewerSession
 * (and so the same Viewer) as a `watch` with a client-made offer over /ws; this adapter maps its
 * events onto HTTP: the answer or the failure settles the POST, the rest has no channel in WHEP.
 */
import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { ErrorCode } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { redactText } from '../log/redact.js';
import { AddressCounter } from '../http/ClientAddresses.js';
import type { CameraDirectory } from '../media/Camera.js';
import { checkClientSdp } from '../session/clientSdp.js';
import { peerSettings, type PeerSettings } from '../session/PeerSettings.js';
import { ViewerSession } from '../session/ViewerSession.js';
import type { ViewerDirectory } from '../session/ViewerDirectory.js';
import { MAX_MESSAGE_BYTES } from '../../../shared/protocol.js';
import { parseSdpFragment } from './sdpFragment.js';
import { iceLinkHeaders } from './iceLinks.js';
import { principalLabel } from '../auth/Principal.js';
import { createAccess } from '../auth/access.js';
import { watchAction } from '../auth/AccessPolicy.js';
import type { Authenticator } from '../auth/Authenticator.js';
import { requestPrincipal } from '../http/requestCredentials.js';
import type { WatchRouter } from '../signaling/ClientConnection.js';
import { REDIRECTED_PARAM } from '../signaling/SignalingServer.js';

export const WHEP_PATH = '/whep';
/** WHEP sessions open at once on this server (each is a peer connection with its UDP sockets). */
export const MAX_WHEP_SESSIONS = 256;
/**
 * WHEP sessions one client address (an IPv6 /64) may have not connected yet: POSTs waiting for their
 * answer, and answered sessions whose ICE has not come up (closed after the connect timeout). A
 * player needs one per camera it starts at once; more from one address would let it fill
 * MAX_WHEP_SESSIONS with sessions nobody plays.
 */
export const MAX_PENDING_WHEP_PER_ADDRESS = 8;
/**
 * How long POST waits for the answer: the camera may have to be connected and described first. A
 * camera still unreachable after this gets 503 with Retry-After.
 */
export const WHEP_ANSWER_TIMEOUT_MS = 15_000;
const RETRY_AFTER_S = 5;
const CAMERA_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const SESSION_ID = /^[a-f0-9]{32}$/;

export interface WhepEndpointOptions {
  cameras: CameraDirectory;
  logger: Logger;
  /** Where the server's peer connections gather ICE (App resolves it once). Default: no STUN, every interface. */
  peer?: PeerSettings;
  /** For tests: how long a viewer may take to connect after the answer. */
  connectTimeoutMs?: number;
  answerTimeoutMs?: number;
  /** Default MAX_PENDING_WHEP_PER_ADDRESS. */
  maxPendingPerAddress?: number;
  /**
   * Who may POST (Authorization: Bearer TOKEN or Basic, or the login cookie). Default: open. PATCH
   * and DELETE need no proof: the session URL, 128 random bits, is the capability.
   */
  authenticator?: Authenticator;
  /** Where every session is registered for the control API. */
  viewers?: ViewerDirectory;
  /**
   * A cluster node's routing (docs/cluster.md): a POST for a camera another node should serve is
   * answered 307 with the owner's WHEP URL (`url`), which serves it without redirecting again.
   */
  router?: WatchRouter;
}

interface WhepSession {
  readonly camera: string;
  readonly session: ViewerSession;
}

type AnswerResult = { ok: true; sdp: string } | { ok: false; code: ErrorCode; message: string };

/** HTTP status for the error codes a POST can end with. */
function statusOf(code: ErrorCode): number {
  switch (code) {
    case 'ERR_CAMERA_UNKNOWN':
      return 404;
    case 'ERR_CODEC_UNSUPPORTED':
      return 406;
    case 'ERR_WEBRTC':
    case 'ERR_SIGNALING_INVALID':
      return 400;
    case 'ERR_LIMIT':
      return 413;
    case 'ERR_TIMEOUT':
    case 'ERR_CLOSED':
      return 503;
    default:
      return 500;
  }
}

export class WhepEndpoint {
  readonly #options: WhepEndpointOptions;
  readonly #logger: Logger;
  readonly #peer: PeerSettings;
  readonly #sessions = new Map<string, WhepSession>();
  readonly #pending: AddressCounter;
  readonly #authenticator: Authenticator;
  #closePromise: Promise<void> | undefined;

  constructor(options: WhepEndpointOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#peer = options.peer ?? peerSettings();
    this.#pending = new AddressCounter(options.maxPendingPerAddress ?? MAX_PENDING_WHEP_PER_ADDRESS);
    this.#authenticator = options.authenticator ?? createAccess(undefined).authenticator;
  }

  get closed(): boolean {
    return this.#closePromise !== undefined;
  }
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** Express routes under WHEP_PATH (mount with app.use(WHEP_PATH, endpoint.router())). */
  router(): Router {
    const router = express.Router();
    const sdpBody = express.text({ type: ['application/sdp', 'application/trickle-ice-sdpfrag'], limit: MAX_MESSAGE_BYTES });
    router.post('/:camera', sdpBody, (req, res) => void this.#post(req, res));
    router.patch('/:camera/:session', sdpBody, (req, res) => void this.#patch(req, res));
    router.delete('/:camera/:session', (req, res) => void this.#delete(req, res));
    router.options('/:camera', (_req, res) => {
      res.setHeader('Accept-Post', 'application/sdp');
      res.status(204).end();
    });
    router.options('/:camera/:session', (_req, res) => {
      res.setHeader('Accept-Patch', 'application/trickle-ice-sdpfrag');
      res.status(204).end();
    });
    return router;
  }

  /** Ends every WHEP session (peer connections closed). Idempotent. */
  close(): Promise<void> {
    this.#closePromise ??= Promise.all([...this.#sessions.values()].map((s) => s.session.close('server shutting down'))).then(() => undefined);
    return this.#closePromise;
  }

  async #post(req: Request, res: Response): Promise<void> {
    const name = String(req.params.camera);
    if (this.closed) return void problem(res, 503, 'the server is shutting down');
    if (!req.is('application/sdp') || typeof req.body !== 'string' || req.body.length === 0) {
      return void problem(res, 415, 'POST an SDP offer with Content-Type: application/sdp');
    }
    if (!CAMERA_NAME.test(name)) return void problem(res, 404, `no camera named '${name.slice(0, 64)}'`);
    const { principal, refusal } = await requestPrincipal(this.#authenticator, req, res);
    if (refusal) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="camrtc"');
      return void problem(res, refusal.status, refusal.message, refusal.code);
    }
    const found = this.#options.cameras.get(name);
    // Decided before the camera's existence shows (AccessPolicy).
    const decision = this.#authenticator.policy.decide(principal, found ? watchAction(found) : 'view', name, { origin: req.get('Origin') });
    if (!decision.allowed) {
      if (decision.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="camrtc"');
      return void problem(res, decision.status, decision.message, decision.code);
    }
    const source = found;
    if (!source) return void problem(res, 404, `no camera named '${name}'`);
    // Before a session takes a slot or starts the camera: a hostile offer costs one line scan.
    const check = checkClientSdp(req.body as string, 'offer');
    if (!check.ok) return void problem(res, statusOf(check.error.code), check.error.message, check.error.code);
    if (this.#options.router) {
      const route = await this.#options.router.route(name, req.query[REDIRECTED_PARAM] !== undefined);
      if (route.kind === 'redirect') {
        res.setHeader('Cache-Control', 'no-store');
        res.setHeader('Location', route.url);
        return void res.status(307).end();
      }
      if (route.kind === 'refused') {
        res.setHeader('Retry-After', String(RETRY_AFTER_S));
        return void problem(res, 503, route.error.message, route.error.code);
      }
    }
    if (this.#sessions.size >= MAX_WHEP_SESSIONS) {
      res.setHeader('Retry-After', String(RETRY_AFTER_S));
      return void problem(res, 503, `at most ${MAX_WHEP_SESSIONS} WHEP sessions`);
    }
    const address = req.socket.remoteAddress;
    const release = this.#pending.acquire(address);
    if (!release) {
      this.#logger.warn({ client: address }, 'refused a WHEP session: too many not connected from this address');
      res.setHeader('Retry-After', String(RETRY_AFTER_S));
      const message = `at most ${this.#pending.limit} WHEP sessions per client address may be waiting to connect: connect or DELETE those first`;
      return void problem(res, 429, message, 'ERR_LIMIT');
    }

    // ?stream=sub: the camera's sub stream (a WHEP player cannot switch later); anything else: main.
    const stream = req.query.stream === 'sub' ? 'sub' : 'main';
    const id = randomBytes(16).toString('hex');
    const session = new ViewerSession({
      stream,
      id,
      camera: source,
      h265: /H265\/90000/i.test(req.body as string),
      peer: this.#peer,
      logger: this.#logger.child({ whep: id.slice(0, 8), camera: name }),
      connectTimeoutMs: this.#options.connectTimeoutMs,
      offer: req.body as string,
    });
    // Only the answer or the end matter to a WHEP client: status and playback have no channel.
    let settle: (result: AnswerResult) => void = () => undefined;
    const answered = new Promise<AnswerResult>((resolve) => (settle = resolve));
    session.once('answer', (sdp) => settle({ ok: true, sdp }));
    session.once('failed', (error) => settle({ ok: false, code: error.code, message: redactText(error.message) }));
    session.once('closed', (reason) => settle({ ok: false, code: 'ERR_CLOSED', message: reason ?? 'the session ended' }));
    // Pending until the peer connection is up; a session whose ICE never connects ends at the
    // session's connect timeout, which gives the slot back too.
    session.once('connected', release);
    session.once('ended', () => {
      release();
      if (this.#sessions.get(id)?.session === session) this.#sessions.delete(id);
    });
    this.#sessions.set(id, { camera: name, session });
    this.#options.viewers?.add(session, 'whep', address);
    const timer = setTimeout(
      () => settle({ ok: false, code: 'ERR_TIMEOUT', message: `camera '${name}' is not available yet (${source.status.state})` }),
      this.#options.answerTimeoutMs ?? WHEP_ANSWER_TIMEOUT_MS,
    );
    void session.start();
    const result = await answered;
    clearTimeout(timer);
    if (!result.ok) {
      await session.close();
      if (result.code === 'ERR_TIMEOUT') res.setHeader('Retry-After', String(RETRY_AFTER_S));
      return void problem(res, statusOf(result.code), result.message, result.code);
    }
    if (res.req.socket.destroyed) {
      await session.close();
      return;
    }
    res.status(201);
    res.setHeader('Content-Type', 'application/sdp');
    res.setHeader('Location', `${req.baseUrl}/${encodeURIComponent(name)}/${id}`);
    res.setHeader('Accept-Patch', 'application/trickle-ice-sdpfrag');
    res.setHeader('Cache-Control', 'no-store');
    // The admitted viewer's STUN/TURN servers, a TURN credential made now for it (RFC 9725 4.6).
    const links = iceLinkHeaders(this.#peer.browserIce(principalLabel(principal)));
    if (links.length > 0) res.setHeader('Link', links);
    res.end(result.sdp);
  }

  async #patch(req: Request, res: Response): Promise<void> {
    const entry = this.#find(req);
    if (!entry) return void problem(res, 404, 'no such WHEP session');
    if (!req.is('application/trickle-ice-sdpfrag') || typeof req.body !== 'string') {
      return void problem(res, 415, 'PATCH takes Content-Type: application/trickle-ice-sdpfrag');
    }
    const fragment = parseSdpFragment(req.body);
    // RFC 9725 4.3.2: an ICE restart is a PATCH with If-Match: "*" (a trickle carries the ETag or nothing).
    if (req.get('If-Match')?.trim() === '*') return void problem(res, 422, 'ICE restarts are not supported: POST a new offer instead');
    try {
      for (const candidate of fragment.candidates) await entry.session.candidate(candidate);
      if (fragment.endOfCandidates) await entry.session.candidate(null);
      res.status(204).end();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      problem(res, 400, message);
    }
  }

  async #delete(req: Request, res: Response): Promise<void> {
    const entry = this.#find(req);
    if (!entry) return void problem(res, 404, 'no such WHEP session');
    this.#sessions.delete(String(req.params.session));
    await entry.session.close('deleted by the client');
    res.status(200).end();
  }

  #find(req: Request): WhepSession | undefined {
    const id = String(req.params.session);
    if (!SESSION_ID.test(id)) return undefined;
    const session = this.#sessions.get(id);
    return session && session.camera === req.params.camera ? session : undefined;
  }
}

/** Errors as text a person can read, with the stable code in a header for programs. */
function problem(res: Response, status: number, message: string, code?: ErrorCode): void {
  if (res.headersSent) return;
  res.status(status).type('text/plain');
  if (code) res.setHeader('X-Camrtc-Error', code);
  res.send(message);
}
