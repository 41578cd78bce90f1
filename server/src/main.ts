// `npm start` entry: the same as the `camrtc` command.
import { runCli } from './cli/index.js';

await runCli(process.argv);
