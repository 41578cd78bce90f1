/**
 * Which web origins may use camrtc from a visitor's browser (the /ws socket, WHEP, the camera list):
 * the server's own origin, origins configured with allowedOrigins, and requests with no Origin at all
 * (apps, curl). Anything else is refused, so another web site cannot make its visitors' browsers
 * watch the cameras.
 */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[] = []): boolean {
  if (origin === undefined) return true;
  if (allowed.includes(origin) || allowed.includes('*')) return true;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
