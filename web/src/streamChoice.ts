/**
 * Which of a camera's streams a player shows (README "Main and sub streams"): the sub stream while
 * the picture is drawn no wider than the sub stream's own width allows, the main stream when it is
 * drawn clearly wider, or fullscreen. Between the two thresholds the player keeps the stream it has,
 * so a size near one threshold does not flip it back and forth. Pure: the player measures.
 */
import type { StreamName } from '../../shared/protocol.js';

/** Main once the picture is drawn wider than the sub stream's width times this (in device pixels). */
export const MAIN_ABOVE = 1.25;
/** Sub again once it is drawn narrower than the sub stream's width times this. */
export const SUB_BELOW = 1.1;
/** The sub stream's width until the server or the picture told it (cameras' sub streams are 640 to 704 wide). */
export const DEFAULT_SUB_WIDTH = 640;

export interface StreamChoiceInput {
  /** The stream the player has (undefined: it has none yet). */
  current: StreamName | undefined;
  /** Width of the picture as drawn, in device pixels (pictureWidth()). */
  pictureWidth: number;
  /** The sub stream's own width, when known. */
  subWidth: number | undefined;
  fullscreen: boolean;
}

export function chooseStream(input: StreamChoiceInput): StreamName {
  if (input.fullscreen) return 'main';
  const subWidth = input.subWidth && input.subWidth > 0 ? input.subWidth : DEFAULT_SUB_WIDTH;
  if (input.current === 'main') return input.pictureWidth < subWidth * SUB_BELOW ? 'sub' : 'main';
  return input.pictureWidth > subWidth * MAIN_ABOVE ? 'main' : 'sub';
}

/**
 * The width in device pixels of a picture of `videoWidth` x `videoHeight` drawn with object-fit:
 * contain in a box of `boxWidth` x `boxHeight` CSS pixels (16:9 while the video size is unknown).
 */
export function pictureWidth(boxWidth: number, boxHeight: number, videoWidth: number, videoHeight: number, devicePixelRatio: number): number {
  const aspect = videoWidth > 0 && videoHeight > 0 ? videoWidth / videoHeight : 16 / 9;
  const width = Math.min(boxWidth, boxHeight * aspect);
  return Math.max(0, width) * (devicePixelRatio > 0 ? devicePixelRatio : 1);
}
