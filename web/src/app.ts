/**
 * The camrtc pages `/` (every camera as a grid of players) and `/embed` (the two lines that put a
 * camera in another page). Which page this is comes from <body data-page>; both load this one bundle,
 * which holds the same <camrtc-player> as /camrtc-player.js. `/camera/NAME` is rendered by the server
 * with the player in its markup and its scripts inlined (server/src/http/cameraPage.ts).
 */
import './camrtc-player.js';
import type { CameraInfo } from '../../shared/protocol.js';

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  children: (Node | string)[] = [],
): HTMLElementTagNameMap[K] {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}

function cameraHref(name: string): string {
  return `/camera/${encodeURIComponent(name)}`;
}

async function loadCameras(): Promise<CameraInfo[]> {
  const response = await fetch('/api/cameras', { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
  return (await response.json()) as CameraInfo[];
}

async function showGrid(main: HTMLElement): Promise<void> {
  let cameras: CameraInfo[];
  try {
    cameras = await loadCameras();
  } catch (err) {
    main.replaceChildren(element('p', { className: 'notice error', textContent: `Could not load the camera list (${String(err)}).` }));
    return;
  }
  if (cameras.length === 0) {
    main.replaceChildren(element('p', { className: 'notice', textContent: 'No camera is configured.' }));
    return;
  }
  const grid = element('ul', { className: 'grid' });
  for (const camera of cameras) {
    const player = element('camrtc-player');
    player.setAttribute('camera', camera.name);
    const title = element('a', { href: cameraHref(camera.name), textContent: camera.name });
    grid.append(element('li', { className: 'tile' }, [element('figure', {}, [player, element('figcaption', {}, [title])])]));
  }
  main.replaceChildren(grid);
}

/** The embed page: the snippet with this server's address and a real camera name, and the result. */
async function showEmbed(main: HTMLElement): Promise<void> {
  const cameras = await loadCameras().catch(() => [] as CameraInfo[]);
  const camera = cameras[0]?.name ?? 'NAME';
  const snippet = main.querySelector<HTMLElement>('[data-snippet]');
  if (snippet) {
    snippet.textContent =
      `<script type="module" src="${location.origin}/camrtc-player.js"></script>\n` +
      `<camrtc-player server="${location.origin}" camera="${camera}" controls></camrtc-player>`;
  }
  const example = main.querySelector<HTMLElement>('[data-example]');
  if (example && cameras.length > 0) {
    const player = element('camrtc-player');
    player.setAttribute('camera', camera);
    player.setAttribute('controls', '');
    example.replaceChildren(element('p', { textContent: 'Which shows:' }), player);
  }
}

/** GET /api/session (server/src/http/loginRoutes.ts): who this page is shown to. */
type SessionInfo = { user: string } | { anonymous: true; login: boolean } | { token: true };

/**
 * A logged-in user gets their name and a logout button in the header; a visitor who could log in gets
 * a link to the login page. Logout is a form POST (a link would let any page log the user out).
 */
async function showSession(header: HTMLElement): Promise<void> {
  let session: SessionInfo;
  try {
    const response = await fetch('/api/session', { headers: { accept: 'application/json' } });
    if (!response.ok) return;
    session = (await response.json()) as SessionInfo;
  } catch {
    return;
  }
  if ('user' in session) {
    const form = element('form', { className: 'logout', method: 'post', action: '/logout' }, [
      element('span', { className: 'user', textContent: session.user }),
      element('button', { type: 'submit', textContent: 'Log out' }),
    ]);
    header.append(form);
  } else if ('anonymous' in session && session.login) {
    const next = encodeURIComponent(location.pathname + location.search);
    header.append(element('a', { className: 'login-link', href: `/login?next=${next}`, textContent: 'Log in' }));
  }
}

const header = document.querySelector<HTMLElement>('body > header');
if (header) void showSession(header);

const main = document.querySelector<HTMLElement>('main');
if (main) {
  const page = document.body.dataset.page;
  if (page === 'embed') void showEmbed(main);
  else void showGrid(main);
}
