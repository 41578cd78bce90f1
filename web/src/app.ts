/**
 * The camrtc pages: `/` shows every camera as a grid of players, `/camera/NAME` one camera full-size.
 * Which page this is comes from <body data-page>; both pages load this one bundle.
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

async function showGrid(main: HTMLElement): Promise<void> {
  let cameras: CameraInfo[];
  try {
    const response = await fetch('/api/cameras', { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    cameras = (await response.json()) as CameraInfo[];
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

function showCamera(main: HTMLElement): void {
  const segment = location.pathname.split('/').filter(Boolean)[1] ?? '';
  let name: string;
  try {
    name = decodeURIComponent(segment);
  } catch {
    name = '';
  }
  document.title = `${name} · camrtc`;
  const heading = document.querySelector<HTMLElement>('[data-camera-name]');
  if (heading) heading.textContent = name;
  const player = element('camrtc-player', { className: 'full' });
  player.setAttribute('camera', name);
  main.replaceChildren(player);
}

const main = document.querySelector<HTMLElement>('main');
if (main) {
  if (document.body.dataset.page === 'camera') showCamera(main);
  else void showGrid(main);
}
