/**
 * camrtc as a library: `import { createCamrtc } from 'camrtc'` (README "Use camrtc in your Node
 * app"). The package's entry; the `camrtc` command is bin/camrtc.js.
 */
export { createCamrtc } from './lib/createCamrtc.js';
export { CamrtcError } from './errors.js';
export type {
  AttachOptions,
  CameraChanges,
  CameraInfo,
  CameraInput,
  CameraState,
  CameraStateEvent,
  CameraSummary,
  Camrtc,
  CamrtcEvents,
  CamrtcHandler,
  CamrtcOptions,
  CamrtcPaths,
  ErrorCode,
  ViewerEvent,
  ViewerLeftEvent,
  ViewerSummary,
} from './lib/CamrtcTypes.js';
