/**
 * `camrtc probe URL`: the command line of the probe library (server/src/probe/): parses the flags,
 * prints the report (text, or one JSON object with --json), exit code 0 when media arrived, 1 with
 * the error on stderr otherwise.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { RtspTransportMode } from '../rtsp/RtspSessionTypes.js';
import { DEFAULT_PROBE_SECONDS, probeCamera } from '../probe/Probe.js';
import { formatProbeReport } from '../probe/formatReport.js';

export const PROBE_TRANSPORTS = ['auto', 'tcp', 'udp', 'multicast'] as const;
/** Longer probes are a mistake on the command line (and would keep a camera session open for hours). */
export const MAX_PROBE_SECONDS = 3600;

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > MAX_PROBE_SECONDS) throw new InvalidArgumentError(`expected a number of seconds between 0 and ${MAX_PROBE_SECONDS}`);
  return n;
}

interface ProbeFlags {
  transport: RtspTransportMode;
  seconds: number;
  json?: boolean;
  tlsInsecure?: boolean;
}

/** The `probe` subcommand for the camrtc program. */
export function probeCommand(): Command {
  return new Command('probe')
    .description('check one camera: connect like the server does, list its tracks, count the packets it sends and the frames viewers would get')
    .argument('<url>', 'rtsp:// or rtsps:// URL, credentials included if the camera needs them')
    .addOption(new Option('--transport <transport>', 'RTSP transport (auto: UDP, else TCP)').choices([...PROBE_TRANSPORTS]).default('auto'))
    .option('--seconds <n>', 'how long to count packets', parseSeconds, DEFAULT_PROBE_SECONDS)
    .option('--json', 'print one JSON object instead of text')
    .option('--tls-insecure', 'rtsps: accept a certificate that does not verify (self-signed)')
    .action(async (url: string, flags: ProbeFlags) => {
      const r = await probeCamera({ url, transport: flags.transport, seconds: flags.seconds, tlsInsecure: flags.tlsInsecure });
      if (flags.json) process.stdout.write(JSON.stringify(r) + '\n');
      else if (r.ok) process.stdout.write(formatProbeReport(r));
      else {
        // The tracks (if any) still help; the error goes where errors go.
        const text = formatProbeReport(r).split('\n');
        process.stdout.write(text.slice(0, -2).join('\n') + (text.length > 2 ? '\n' : ''));
        process.stderr.write(`camrtc probe: ${r.error!.message} [${r.error!.code}]\n`);
      }
      process.exitCode = r.ok ? 0 : 1;
    });
}
