/**
 * The camera page's first script, inlined by the server at the top of /camera/NAME (see
 * earlySignaling.ts): starts signaling for the camera named in its data-camera attribute, answering
 * the offer in its data-offer attribute if the server put one there, while the rest of the page loads.
 */
import { parsePageOffer, startEarlySignaling } from './earlySignaling.js';

const data = (document.currentScript as HTMLScriptElement | null)?.dataset;
if (data?.camera) startEarlySignaling(data.camera, parsePageOffer(data.offer));
