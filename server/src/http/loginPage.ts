/**
 * The login page: a plain HTML form that POSTs to /login, with no script at all, so it works under the
 * pages' CSP (default-src 'self') and with JavaScript off. The only values in it are the page to go
 * back to (checked by safeNextPath, then HTML-escaped) and a fixed message: the user name typed is not
 * echoed, so a failed login reads the same whether the user exists or not.
 */
import { escapeHtml } from './cameraPage.js';

export const LOGIN_PATH = '/login';
export const LOGOUT_PATH = '/logout';

/** The one answer to a wrong password and to an unknown user alike. */
export const LOGIN_FAILED_MESSAGE = 'Wrong user name or password.';

/** Longest `next` kept; a longer one is replaced by '/'. */
const MAX_NEXT_CHARS = 2048;

/**
 * `next` when it is a path on this server ('/camera/front?x=1'), '/' otherwise. A login must not send a
 * browser to another site (an open redirect lends the server's name to phishing): a URL with a
 * scheme, `//host` (scheme-relative) and `/\host` (browsers read `\` as `/`) are all refused, as are
 * control characters a browser would strip before reading the rest.
 */
export function safeNextPath(next: unknown): string {
  if (typeof next !== 'string' || next.length === 0 || next.length > MAX_NEXT_CHARS) return '/';
  if (!next.startsWith('/') || next.startsWith('//')) return '/';
  if (/[\\\u0000-\u001f\u007f]/.test(next)) return '/';
  try {
    const base = 'http://camrtc.invalid';
    const url = new URL(next, base);
    if (url.origin !== base) return '/';
    const path = url.pathname + url.search + url.hash;
    // Back to the login page after logging in would only show the form again.
    if (url.pathname === LOGIN_PATH || url.pathname === LOGOUT_PATH) return '/';
    return path;
  } catch {
    return '/';
  }
}

export interface LoginPageOptions {
  /** Where to go after logging in (already checked by safeNextPath). */
  next: string;
  /** An error to show above the form. */
  error?: string;
  /** A note (e.g. "You have logged out."). */
  notice?: string;
}

export function renderLoginPage({ next, error, notice }: LoginPageOptions): string {
  const message = error
    ? `<p class="notice error" role="alert" data-login-error>${escapeHtml(error)}</p>\n`
    : notice
      ? `<p class="notice" role="status">${escapeHtml(notice)}</p>\n`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · camrtc</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/style.css">
</head>
<body data-page="login">
<header><h1><a href="/">camrtc</a></h1></header>
<main class="login">
<form class="login-form" method="post" action="${LOGIN_PATH}">
<h2>Log in</h2>
${message}<label>User name <input name="user" autocomplete="username" autocapitalize="none" spellcheck="false" maxlength="64" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" maxlength="1024" required></label>
<input type="hidden" name="next" value="${escapeHtml(next)}">
<button type="submit">Log in</button>
</form>
</main>
</body>
</html>
`;
}
