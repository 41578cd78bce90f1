/**
 * The OpenAPI 3.1 document of the control API, served at GET /api/openapi.json. The request bodies
 * are generated from the zod schemas the routes validate with (z.toJSONSchema), so the document and
 * the checks cannot drift apart; the answers are written out here. A test compares the routes the
 * router has with the paths below.
 */
import { z } from 'zod';
import { CameraOptionsSchema, CameraPatchSchema, NewCameraSchema } from '../control/CameraControl.js';
import { ERROR_CODES } from '../../../shared/errors.js';

/** A zod schema as an OpenAPI 3.1 (JSON Schema 2020-12) schema object, request side (defaults optional). */
function bodySchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: unknown) => ({ 'application/json': { schema } });
const error = (description: string) => ({ description, content: json(ref('Error')) });

/** Refusals every route may answer with. */
const REFUSALS = {
  '401': error('No proof, or proof that is not valid (ERR_AUTH_REQUIRED, ERR_AUTH_INVALID): without an auth section only loopback clients are admins'),
  '403': error('The principal lacks the admin permission (ERR_FORBIDDEN), or a change was sent by a page of another origin'),
};
const CHANGE_REFUSALS = {
  ...REFUSALS,
  '400': error('A field is invalid (ERR_REQUEST_INVALID, the field is named in `message` and `fields`), or the body is not JSON'),
  '413': error('The body is larger than 16 KiB (ERR_LIMIT)'),
  '415': error('The body is not sent as Content-Type: application/json (ERR_REQUEST_INVALID)'),
  '500': error('The configuration file could not be written (ERR_CONFIG_WRITE): nothing was changed'),
};
const nameParam = { name: 'name', in: 'path', required: true, description: 'Camera name', schema: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,64}$' } };
const viewerParam = { name: 'id', in: 'path', required: true, description: 'Viewer id (from the viewer list)', schema: { type: 'string', pattern: '^[a-f0-9]{16}$' } };

const cameraError = {
  type: 'object',
  properties: { code: { type: 'string' }, message: { type: 'string' } },
  required: ['code', 'message'],
};

let cached: Record<string, unknown> | undefined;

export function openApiDocument(): Record<string, unknown> {
  cached ??= {
    openapi: '3.1.0',
    info: {
      title: 'camrtc control API',
      version: '1',
      description:
        'Cameras and their viewers at run time. Every route needs the `admin` permission (without an auth section: requests from loopback only). ' +
        'Changes are JSON (Content-Type: application/json) and are refused from pages of other origins. With --config, changes are written to the configuration file (comments kept). ' +
        'No answer carries a password: camera URLs are shown without credentials, with `hasPassword`.',
    },
    paths: {
      '/api/cameras': {
        get: {
          operationId: 'listCameras',
          summary: 'The cameras the client may watch (not only for admins): name, state, codecs, error, warning',
          responses: { '200': { description: 'The cameras', content: json({ type: 'array', items: ref('CameraSummary') }) }, '401': REFUSALS['401'] },
        },
        post: {
          operationId: 'addCamera',
          summary: 'Add a camera',
          requestBody: { required: true, content: json(ref('NewCamera')) },
          responses: {
            '201': { description: 'Added; Location is its URL', content: json(ref('CameraChanged')) },
            ...CHANGE_REFUSALS,
            '409': error('A camera has that name (ERR_CAMERA_EXISTS), or the configuration file is invalid (ERR_CONFIG_INVALID)'),
          },
        },
      },
      '/api/cameras/{name}': {
        parameters: [nameParam],
        get: {
          operationId: 'getCamera',
          summary: 'One camera: state, codecs, bitrate in, viewers, last error, settings (without credentials)',
          responses: { '200': { description: 'The camera', content: json(ref('Camera')) }, ...REFUSALS, '404': error('No such camera (ERR_CAMERA_UNKNOWN)') },
        },
        put: {
          operationId: 'replaceCamera',
          summary: "Replace the camera's settings (left out: defaults). Its viewers reconnect at once to the changed source (ERR_CAMERA_CHANGED)",
          requestBody: { required: true, content: json(ref('CameraOptions')) },
          responses: {
            '200': { description: 'Changed', content: json(ref('CameraChanged')) },
            ...CHANGE_REFUSALS,
            '404': error('No such camera (ERR_CAMERA_UNKNOWN)'),
            '409': error('The built-in demo camera, a camera given on the command line, or an invalid configuration file (ERR_CONFIG_INVALID)'),
          },
        },
        patch: {
          operationId: 'patchCamera',
          summary: 'Change some settings (JSON merge patch: null removes a setting; one of password, passwordFile, passwordEnv replaces the others)',
          requestBody: { required: true, content: json(ref('CameraPatch')) },
          responses: {
            '200': { description: 'Changed', content: json(ref('CameraChanged')) },
            ...CHANGE_REFUSALS,
            '404': error('No such camera (ERR_CAMERA_UNKNOWN)'),
            '409': error('The built-in demo camera, a camera given on the command line, or an invalid configuration file (ERR_CONFIG_INVALID)'),
          },
        },
        delete: {
          operationId: 'removeCamera',
          summary: 'Remove the camera; its viewers end with ERR_CAMERA_REMOVED',
          responses: {
            '200': {
              description: 'Removed',
              content: json({ type: 'object', properties: { name: { type: 'string' }, removed: { const: true }, persisted: { type: 'boolean' } }, required: ['name', 'removed', 'persisted'] }),
            },
            ...REFUSALS,
            '404': error('No such camera (ERR_CAMERA_UNKNOWN)'),
            '409': error('The built-in demo camera, a camera given on the command line, or an invalid configuration file (ERR_CONFIG_INVALID)'),
            '500': CHANGE_REFUSALS['500'],
          },
        },
      },
      '/api/cameras/{name}/viewers': {
        parameters: [nameParam],
        get: {
          operationId: 'listViewers',
          summary: "The camera's viewers (browsers over WebSocket or WHEP, RTSP restream clients): transport, address, duration, bytes, loss and round-trip time",
          responses: { '200': { description: 'The viewers', content: json({ type: 'array', items: ref('Viewer') }) }, ...REFUSALS, '404': error('No such camera (ERR_CAMERA_UNKNOWN)') },
        },
      },
      '/api/cameras/{name}/viewers/{id}': {
        parameters: [nameParam, viewerParam],
        delete: {
          operationId: 'disconnectViewer',
          summary: 'Disconnect one viewer (a browser reads ERR_VIEWER_DISCONNECTED and the player does not reconnect by itself; an RTSP client\'s session and connection end, and an NVR may connect again)',
          responses: {
            '200': { description: 'Disconnected', content: json({ type: 'object', properties: { id: { type: 'string' }, disconnected: { const: true } }, required: ['id', 'disconnected'] }) },
            ...REFUSALS,
            '404': error('No such camera (ERR_CAMERA_UNKNOWN) or viewer (ERR_VIEWER_UNKNOWN)'),
          },
        },
      },
      '/api/cluster': {
        get: {
          operationId: 'getCluster',
          summary: "The cluster this node is part of (docs/cluster.md): its nodes, and each camera's owner",
          responses: {
            '200': { description: 'The cluster as Redis knows it now', content: json(ref('Cluster')) },
            ...REFUSALS,
            '404': error('This server is not part of a cluster (ERR_CLUSTER_OFF)'),
            '503': error('Redis cannot be reached (ERR_CLUSTER_UNAVAILABLE)'),
          },
        },
      },
      '/api/cameras/{name}/snapshot.jpg': {
        parameters: [nameParam],
        get: {
          operationId: 'cameraSnapshot',
          summary:
            "The camera's current picture as a JPEG (Home Assistant's generic camera can poll it). Needs the `view` permission on the camera, not admin; a token may come as `?token=`. " +
            'A live camera answers from its cached GOP without a new camera session; one nobody watches is started and its first keyframe awaited (8 s at most)',
          parameters: [
            { name: 'width', in: 'query', required: false, description: 'Scale to at most this width (the aspect ratio is kept; never larger than the picture)', schema: { type: 'integer', minimum: 16, maximum: 3840 } },
            { name: 'token', in: 'query', required: false, description: 'A viewer token with the view permission, for clients that cannot send a header', schema: { type: 'string' } },
          ],
          responses: {
            '200': { description: 'The picture', content: { 'image/jpeg': { schema: { type: 'string', contentMediaType: 'image/jpeg' } } } },
            '400': error('`width` is not a whole number from 16 to 3840 (ERR_REQUEST_INVALID)'),
            '401': error('No proof, or proof that is not valid (ERR_AUTH_REQUIRED, ERR_AUTH_INVALID); WWW-Authenticate asks for Basic'),
            '403': error('The principal may not view this camera (ERR_FORBIDDEN)'),
            '404': error('No such camera (ERR_CAMERA_UNKNOWN)'),
            '409': error('The camera is a recording (ERR_REQUEST_INVALID)'),
            '500': error('ffmpeg failed to make the JPEG (ERR_SNAPSHOT_FAILED)'),
            '503': error('No picture now, with the reason and Retry-After: the camera is offline or sent no keyframe in time (ERR_CAMERA_OFFLINE), ffmpeg is not installed (ERR_FFMPEG_MISSING), every encoder is busy (ERR_TIMEOUT)'),
          },
        },
      },
      '/api/openapi.json': {
        get: {
          operationId: 'openApi',
          summary: 'This document',
          responses: { '200': { description: 'OpenAPI 3.1', content: json({ type: 'object' }) }, ...REFUSALS },
        },
      },
    },
    components: {
      securitySchemes: {
        basic: { type: 'http', scheme: 'basic', description: 'A user of the auth section' },
        bearer: { type: 'http', scheme: 'bearer', description: 'A token with the admin permission' },
        cookie: { type: 'apiKey', in: 'cookie', name: 'camrtc_session', description: 'A login session' },
      },
      schemas: {
        Error: {
          type: 'object',
          properties: {
            code: { type: 'string', enum: Object.keys(ERROR_CODES) },
            message: { type: 'string', description: 'For a person; names the field for ERR_REQUEST_INVALID' },
            fields: { type: 'array', items: { type: 'string' }, description: 'The invalid fields (400)' },
          },
          required: ['code', 'message'],
        },
        NewCamera: bodySchema(NewCameraSchema),
        CameraOptions: bodySchema(CameraOptionsSchema),
        CameraPatch: bodySchema(CameraPatchSchema),
        CameraSummary: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            state: { type: 'string', enum: ['idle', 'connecting', 'waiting', 'live', 'retrying', 'unplayable', 'offline'] },
            codecs: { type: 'array', items: { type: 'string' } },
            error: cameraError,
            warning: cameraError,
            substream: {
              type: 'object',
              description: "The camera's sub stream (camera setting `substream`): its own state, idle while no viewer watches it",
              properties: { state: { type: 'string', enum: ['idle', 'connecting', 'waiting', 'live', 'retrying', 'unplayable', 'offline'] }, error: cameraError },
              required: ['state'],
            },
          },
          required: ['name', 'state'],
        },
        Camera: {
          allOf: [
            ref('CameraSummary'),
            {
              type: 'object',
              properties: {
                lastError: { oneOf: [{ ...cameraError, properties: { ...cameraError.properties, at: { type: 'string', format: 'date-time' } } }, { type: 'null' }] },
                bitrateIn: { type: 'integer', description: 'Bits per second from the camera (RTP header and payload), over the last 5 s' },
                viewers: { type: 'integer' },
                recording: { type: 'boolean' },
                config: ref('CameraSettings'),
              },
              required: ['lastError', 'bitrateIn', 'viewers', 'recording'],
            },
          ],
        },
        CameraChanged: {
          allOf: [ref('Camera'), { type: 'object', properties: { persisted: { type: 'boolean', description: 'Written to the configuration file' } }, required: ['persisted'] }],
        },
        CameraSettings: {
          type: 'object',
          description: 'The settings, never a password',
          properties: {
            url: { type: 'string', description: 'Without credentials' },
            substream: { type: 'string', description: "The sub stream's URL, without credentials" },
            username: { type: 'string' },
            hasPassword: { type: 'boolean' },
            passwordFile: { type: 'string' },
            passwordEnv: { type: 'string' },
            transport: { type: 'string', enum: ['tcp', 'udp', 'auto', 'multicast'] },
            preload: { type: 'boolean' },
            idleTimeoutMs: { type: 'integer' },
            connectTimeoutMs: { type: 'integer' },
            readTimeoutMs: { type: 'integer' },
            tlsInsecure: { type: 'boolean' },
            recording: { type: 'boolean' },
            talk: { type: 'boolean', description: 'false: never asked for its audio backchannel (two-way audio off)' },
            transcode: { type: 'string', enum: ['h264', 'auto'], description: 'H.265 video transcoded to H.264: for every viewer, or for browsers without H.265' },
          },
          required: ['url', 'hasPassword', 'transport', 'preload', 'idleTimeoutMs', 'recording'],
        },
        Cluster: {
          type: 'object',
          properties: {
            node: { type: 'string', description: 'The node that answered' },
            redis: { type: 'string', enum: ['up', 'down'] },
            leaseMs: { type: 'integer' },
            busyViewers: { type: 'integer', description: 'Owners with this many viewers are busy: other nodes relay instead of redirecting' },
            nodes: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  id: { type: 'string' },
                  http: { type: 'string' },
                  rtsp: { type: ['string', 'null'] },
                  viewers: { type: 'integer' },
                  owned: { type: 'array', items: { type: 'string' }, description: 'Cameras it pulls from the camera (it holds their lease)' },
                  relayed: { type: 'array', items: { type: 'string' }, description: "Cameras it reads from their owner's restream" },
                  draining: { type: 'boolean' },
                  startedAt: { type: 'string', format: 'date-time' },
                  expiresInMs: { type: 'integer', description: 'Until the node counts as gone without a heartbeat' },
                },
                required: ['id', 'http', 'rtsp', 'viewers', 'owned', 'relayed', 'draining', 'startedAt', 'expiresInMs'],
              },
            },
            cameras: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  name: { type: 'string' },
                  owner: { type: ['string', 'null'], description: 'The node holding the lease, null when nobody pulls the camera' },
                  fence: { type: ['integer', 'null'], description: "The owner's fencing number (rises with every new owner)" },
                  expiresInMs: { type: ['integer', 'null'] },
                  relayedBy: { type: 'array', items: { type: 'string' } },
                },
                required: ['name', 'owner', 'fence', 'expiresInMs', 'relayedBy'],
              },
            },
          },
          required: ['node', 'redis', 'leaseMs', 'busyViewers', 'nodes', 'cameras'],
        },
        Viewer: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            transport: { type: 'string', enum: ['ws', 'whep', 'rtsp'], description: 'ws: the player or the WebSocket protocol; whep: a WHEP client; rtsp: a client of the RTSP restream' },
            address: { type: ['string', 'null'] },
            startedAt: { type: 'string', format: 'date-time' },
            durationSeconds: { type: 'number' },
            connection: { type: 'string', enum: ['new', 'connecting', 'connected', 'disconnected', 'failed', 'closed'] },
            playback: { type: 'string', enum: ['playing', 'paused'] },
            stream: { type: 'string', enum: ['main', 'sub'], description: 'The camera stream the viewer gets' },
            bytesSent: { type: 'integer', description: 'RTP payload bytes sent' },
            packetsSent: { type: 'integer' },
            framesSent: { type: 'integer' },
            packetsLost: { type: ['integer', 'null'], description: "From the viewer's RTCP receiver reports (null until one came; RTSP clients may send none)" },
            fractionLost: { type: ['number', 'null'] },
            rttMs: { type: ['number', 'null'] },
          },
          required: ['id', 'transport', 'address', 'startedAt', 'durationSeconds', 'connection', 'bytesSent', 'packetsLost', 'fractionLost', 'rttMs'],
        },
      },
    },
    security: [{ basic: [] }, { bearer: [] }, { cookie: [] }, {}],
  };
  return cached;
}
