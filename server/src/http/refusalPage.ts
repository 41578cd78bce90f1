/**
 * The page a browser gets when a camera page is refused ("not allowed to watch front"): the reason,
 * its code, and the way to the login page. Plain HTML, no script (the page CSP allows none inline).
 */
import { escapeHtml } from './cameraPage.js';

export function refusalPage(message: string, code: string): string {
  const text = escapeHtml(message.charAt(0).toUpperCase() + message.slice(1));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>camrtc: ${text}</title><link rel="stylesheet" href="/style.css"></head>
<body><main class="refusal"><h1>${text}</h1><p><code>${escapeHtml(code)}</code></p>
<p><a href="/login">Log in as another user</a> · <a href="/">All cameras</a></p></main></body></html>
`;
}
