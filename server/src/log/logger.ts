import { pino, type Logger } from 'pino';
import { redactText } from './redact.js';

export type { Logger } from 'pino';

/** Fields whose string value is a secret (camera passwords, token keys, the TURN secret and credentials). */
const SECRET_KEYS = /^(password|secret|credential|turnPassword)$/i;

/**
 * One pino root logger; modules take a child (`logger.child({ module: 'rtsp' })`). Every string that
 * reaches a log line is passed through redactText so a camera URL with a password logged by mistake,
 * or inside a socket error message, still comes out as rtsp://user:***@host.
 */
export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const redactDeep = (value: unknown, depth = 0): unknown => {
    if (typeof value === 'string') return redactText(value);
    if (depth > 4 || value === null || typeof value !== 'object') return value;
    if (value instanceof Error) {
      return { type: value.name, code: (value as { code?: unknown }).code, message: redactText(value.message) };
    }
    if (Array.isArray(value)) return value.map((v) => redactDeep(v, depth + 1));
    const out: Record<string, unknown> = {};
    // A secret logged by mistake inside an object (a config section, options) is masked by its name.
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) && typeof v === 'string' ? '***' : redactDeep(v, depth + 1);
    return out;
  };
  return pino(
    {
      level: options.level ?? process.env.CAMRTC_LOG_LEVEL ?? 'info',
      base: undefined,
      formatters: { log: (obj) => redactDeep(obj) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          // The message string (first string argument) is redacted too.
          const redacted = args.map((a) => (typeof a === 'string' ? redactText(a) : a)) as typeof args;
          method.apply(this, redacted);
        },
      },
      serializers: { err: (e: Error) => redactDeep(e) as object },
    },
    (options.destination as pino.DestinationStream | undefined) ?? pino.destination({ sync: false }),
  );
}

/** A logger that writes nothing, for tests and library use. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
