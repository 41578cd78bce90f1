/**
 * Camera URLs carry credentials (rtsp://user:pass@host/...). Everything that leaves the process
 * (logs, HTTP answers, WebSocket messages, error messages) goes through these helpers.
 */

const URL_USERINFO = /\b(rtsps?|https?):\/\/([^\s/@:]*)(?::[^\s/@]*)?@/gi;

/** `rtsp://user:pass@host/x` -> `rtsp://user:***@host/x`; URLs without a password are unchanged. */
export function redactUrl(url: string): string {
  return url.replace(URL_USERINFO, (_m, scheme: string, user: string) => `${scheme}://${user ? `${user}:***@` : '***@'}`);
}

/** Redacts every URL inside free text (error messages from sockets may embed the URL). */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = redactUrl(text);
  for (const secret of secrets) {
    if (secret.length >= 3) out = out.split(secret).join('***');
  }
  return out;
}
