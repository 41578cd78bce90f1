/**
 * The camera page's first script, inlined by the server at the top of /camera/NAME (see
 * earlySignaling.ts): starts signaling for the camera named in its data-camera attribute while the
 * rest of the page loads.
 */
import { startEarlySignaling } from './earlySignaling.js';

const camera = (document.currentScript as HTMLScriptElement | null)?.dataset.camera;
if (camera) startEarlySignaling(camera);
