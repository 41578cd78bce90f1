/**
 * Camera URLs carry credentials (rtsp://user:pass@host/...). Everything that leaves the process
 * (logs, HTTP answers, WebSocket messages, error messages) goes through these helpers.
 *
 * The userinfo ends at the LAST '@' before the first '/' (as parseRtspUrl reads it), because users
 * paste passwords with '@', ':', '#' or '?' unencoded: `rtsp://admin:P@ss@host` must not come out as
 * `rtsp://admin:***@ss@host`. In free text a URL ends at white space, so a password holding a space
 * or an unencoded '/' is not recognised here: parseRtspUrl refuses the '/' and never quotes its input.
 */

/** The run of characters after `://` that may hold userinfo: up to the first '/' or white space. */
const AUTHORITY = /[^\s/]*/y;

/**
 * `rtsp://user:pass@host/x` -> `rtsp://user:***@host/x`, for every `://` in the text, whatever the
 * scheme; URLs without userinfo are unchanged. Linear in the text's length (it may come from a client).
 */
export function redactUrl(text: string): string {
  let out = '';
  let copied = 0;
  for (let sep = text.indexOf('://'); sep >= 0; ) {
    const start = sep + 3;
    AUTHORITY.lastIndex = start;
    const end = start + AUTHORITY.exec(text)![0].length;
    const run = text.slice(start, end);
    const at = run.lastIndexOf('@');
    if (at >= 0) {
      // The user name (before the first ':') stays readable; everything after it is the secret.
      const colon = run.indexOf(':');
      const user = run.slice(0, colon >= 0 && colon < at ? colon : at);
      // '***@' stays as it is, so redacting twice changes nothing.
      out += `${text.slice(copied, start)}${user && user !== '***' ? `${user}:***@` : '***@'}`;
      copied = start + at + 1;
    }
    // The run holds no '/', so the next `://` starts at its last character at the earliest.
    sep = text.indexOf('://', Math.max(start, end - 1));
  }
  return out + text.slice(copied);
}

/** Redacts every URL inside free text (error messages from sockets may embed the URL). */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = redactUrl(text);
  for (const secret of secrets) {
    if (secret.length >= 3) out = out.split(secret).join('***');
  }
  return out;
}
