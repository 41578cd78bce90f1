/**
 * `camrtc token --camera front --ttl 1h --config camrtc.yml`: mints a scoped viewer token with the
 * first of the configuration's auth.tokenKeys and prints it on stdout (nothing else there, so
 * `TOKEN=$(camrtc token ...)` works). The server needs no restart: it verifies with the same keys.
 */
import { Command, Option } from 'commander';
import { loadConfig } from '../config/Config.js';
import { readConfigFile } from '../config/configFile.js';
import { CamrtcError } from '../errors.js';
import { ACTIONS } from '../auth/permissions.js';
import { TokenRequestSchema, ViewerTokens } from '../auth/ViewerTokens.js';

interface TokenFlags {
  camera: string[];
  ttl: string;
  origin?: string;
  action: string;
  subject?: string;
  config: string;
  json?: boolean;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The `token` subcommand for the camrtc program. */
export function tokenCommand(): Command {
  return new Command('token')
    .description('mint a viewer token: one action on some cameras, for a limited time, optionally for pages of one origin')
    .option('--camera <name>', 'a camera name or glob (yard-*) the token allows (repeatable)', collect, [])
    .option('--ttl <duration>', 'how long the token lives: 30s, 15m, 1h, 7d (at most 30d)', '1h')
    .option('--origin <origin>', 'only pages of this origin may use it, e.g. https://shop.example')
    .addOption(new Option('--action <action>', 'what the token allows').choices([...ACTIONS]).default('view'))
    .option('--subject <label>', 'a label for the logs (the token holder), e.g. visitor-42')
    .requiredOption('--config <file>', "the server's configuration file: its first auth.tokenKeys entry signs")
    .option('--json', 'print { "token", "expiresAt" } as JSON instead of the bare token')
    .action(async (flags: TokenFlags) => {
      const warnings: string[] = [];
      const config = loadConfig(readConfigFile(flags.config, (w) => warnings.push(w)));
      for (const w of warnings) process.stderr.write(`camrtc token: ${w}\n`);
      const keys = config.auth?.tokenKeys ?? [];
      if (keys.length === 0) {
        throw new CamrtcError(
          'ERR_CONFIG_INVALID',
          `${flags.config} has no auth.tokenKeys: add a key (id and secretFile) so the server and this command share it (see README, "Viewer tokens")`,
        );
      }
      if (flags.camera.length === 0) throw new CamrtcError('ERR_CONFIG_INVALID', 'name at least one camera with --camera NAME');
      const parsed = TokenRequestSchema.safeParse({
        cameras: flags.camera,
        ttl: flags.ttl,
        action: flags.action,
        ...(flags.origin !== undefined ? { origin: flags.origin } : {}),
        ...(flags.subject !== undefined ? { subject: flags.subject } : {}),
      });
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const flag = issue?.path[0] === 'cameras' ? 'camera' : String(issue?.path[0] ?? '');
        throw new CamrtcError('ERR_CONFIG_INVALID', `--${flag}: ${issue?.message ?? 'invalid'}`);
      }
      const known = new Set(config.cameras.map((c) => c.name));
      for (const name of parsed.data.cameras) {
        // A plain name that is not configured is most likely a typo (the demo camera aside).
        if (!/[*?]/.test(name) && !known.has(name) && name !== 'demo') {
          process.stderr.write(`camrtc token: warning: ${flags.config} configures no camera named '${name}'\n`);
        }
      }
      const tokens = new ViewerTokens(keys.map((k) => ({ id: k.id, secret: k.secret! })));
      const minted = await tokens.mint(parsed.data);
      const expiresAt = new Date(minted.expiresAt).toISOString();
      process.stdout.write(flags.json ? `${JSON.stringify({ token: minted.token, expiresAt })}\n` : `${minted.token}\n`);
      if (process.stderr.isTTY && !flags.json) process.stderr.write(`camrtc token: valid until ${expiresAt}, signed with key '${keys[0].id}'\n`);
    });
}
