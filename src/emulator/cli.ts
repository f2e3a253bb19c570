/**
 * The standalone emulator:
 *
 *   npm run emulator -- --port 9000 --fleet demo --secret-id ID --secret-key KEY
 *
 * Binds 127.0.0.1 only, prints how to point the SDK at it, serves until SIGINT/SIGTERM and then
 * exits 0. Bad flags print a message and exit 2. Never prints the secret key or the token.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { describeFleet } from './cvm/fleet';
import { DEFAULT_CREDENTIAL, type Emulator, type EmulatorOptions, startEmulator } from './index';
import type { ScfFunctions } from './scf';
import type { Credential, ResetTiming } from './types';

const USAGE = `Usage: npm run emulator -- [options]

A local Tencent Cloud (CVM 2017-03-12 + SSM 2019-09-23) for the real tencentcloud-sdk-nodejs
clients. Listens on 127.0.0.1 only.

Options:
  --port N             TCP port (default 9000; 0 picks a free one)
  --fleet F            demo | none | path to a JSON fleet file (default demo)
  --secret-id ID       SecretId the emulator accepts (default: the built-in emulator key)
  --secret-key KEY     its SecretKey (give both or neither)
  --token TOKEN        require this session token (X-TC-Token), as temporary keys do
  --no-rate-limits     turn the documented per-action rate limits off
  --latency-ms N|A-B   real milliseconds added to every call, fixed or a range
  --time-scale N       emulated milliseconds per real millisecond (default 1)
  --reset-ms S,R       reset durations in emulated ms, STOPPED and RUNNING instances,
                       each N or MIN-MAX, e.g. 5000-10000,20000-40000
  --seed N             seed of the fleet generator, latency and faults (default 1)
  --help               show this text
`;

class UsageError extends Error {}

function integer(name: string, text: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(text)) throw new UsageError(`--${name} must be an integer, got "${text}"`);
  const value = Number(text);
  if (value < min || value > max) {
    throw new UsageError(`--${name} must be between ${min} and ${max}, got ${value}`);
  }
  return value;
}

/** `N` or `MIN-MAX` (non-negative integers, MIN <= MAX). */
function range(name: string, text: string): [number, number] {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (!match) throw new UsageError(`--${name} takes N or MIN-MAX (milliseconds), got "${text}"`);
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : Number(match[2]);
  if (min > max) throw new UsageError(`--${name}: MIN must not exceed MAX, got "${text}"`);
  return [min, max];
}

interface CliConfig {
  readonly help: boolean;
  readonly port: number;
  readonly options: EmulatorOptions;
  readonly credential: Credential;
  readonly fleetName: string;
}

const FLAGS = {
  port: { type: 'string' },
  fleet: { type: 'string' },
  'secret-id': { type: 'string' },
  'secret-key': { type: 'string' },
  token: { type: 'string' },
  'no-rate-limits': { type: 'boolean' },
  'latency-ms': { type: 'string' },
  'time-scale': { type: 'string' },
  'reset-ms': { type: 'string' },
  seed: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function readFlags(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: FLAGS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

function parseCli(argv: string[]): CliConfig {
  const v = readFlags(argv);
  const port = v.port === undefined ? 9000 : integer('port', v.port, 0, 65_535);

  const fleetName = v.fleet ?? 'demo';
  if (fleetName === '') throw new UsageError('--fleet takes demo, none or a JSON file path');
  if (fleetName !== 'demo' && fleetName !== 'none' && !existsSync(fleetName)) {
    throw new UsageError(`--fleet: "${fleetName}" is neither demo, none nor an existing file`);
  }

  const secretId = v['secret-id'];
  const secretKey = v['secret-key'];
  if ((secretId === undefined) !== (secretKey === undefined)) {
    throw new UsageError('--secret-id and --secret-key go together: give both or neither');
  }
  for (const [name, value] of [
    ['secret-id', secretId],
    ['secret-key', secretKey],
    ['token', v.token],
  ] as const) {
    if (value !== undefined && value.trim() === '') throw new UsageError(`--${name} is empty`);
  }
  const base: Credential =
    secretId !== undefined && secretKey !== undefined
      ? { secretId, secretKey }
      : DEFAULT_CREDENTIAL;
  const credential: Credential =
    v.token === undefined
      ? { secretId: base.secretId, secretKey: base.secretKey }
      : { secretId: base.secretId, secretKey: base.secretKey, token: v.token };

  const options: EmulatorOptions = {
    port,
    fleet: fleetName,
    credentials: [credential],
    rateLimits: v['no-rate-limits'] !== true,
  };
  if (v['latency-ms'] !== undefined) options.latencyMs = range('latency-ms', v['latency-ms']);
  if (v['time-scale'] !== undefined) {
    const scale = Number(v['time-scale']);
    if (!Number.isFinite(scale) || scale <= 0 || v['time-scale'].trim() === '') {
      throw new UsageError(`--time-scale must be a positive number, got "${v['time-scale']}"`);
    }
    options.timeScale = scale;
  }
  if (v['reset-ms'] !== undefined) {
    const parts = v['reset-ms'].split(',');
    if (parts.length !== 2) {
      throw new UsageError(
        `--reset-ms takes STOPPED,RUNNING ranges, e.g. 5000-10000,20000-40000, got "${v['reset-ms']}"`,
      );
    }
    const timing: Partial<ResetTiming> = {
      stopped: range('reset-ms', parts[0] ?? ''),
      running: range('reset-ms', parts[1] ?? ''),
    };
    options.resetTiming = timing;
  }
  if (v.seed !== undefined) options.seed = integer('seed', v.seed, 0, 2 ** 32 - 1);
  return { help: v.help === true, port, options, credential, fleetName };
}

function banner(emulator: Emulator, config: CliConfig, extra: readonly string[] = []): string {
  const { options, credential } = config;
  const latency = emulator.state.latencyMs;
  const lines = [
    `Tencent Cloud emulator (CVM 2017-03-12, SSM 2019-09-23) listening on ${emulator.url}`,
    '',
    'Point the SDK at it with:',
    `  profile: { httpProfile: { protocol: 'http://', endpoint: '${emulator.endpoint}' } }`,
    `Credential: SecretId ${credential.secretId} (the key is not printed)${
      credential.token === undefined ? '' : '; requests must carry its session token (X-TC-Token)'
    }`,
    `Rate limits: ${options.rateLimits === false ? 'off' : 'the documented per-action limits'}; latency: ${
      latency[1] === 0 ? 'none' : `${latency[0]}-${latency[1]} ms`
    }; time scale: ${options.timeScale ?? 1}`,
    '',
    `Fleet (${config.fleetName}): ${describeFleet(emulator.state.cvm)}`,
    ...(extra.length > 0 ? ['', ...extra] : []),
    '',
    'Press Ctrl+C to stop.',
  ];
  return `${lines.join('\n')}\n`;
}

/** What a CLI embedding this one adds: the operator CLI's `emulator` command (src/cli). */
export interface EmulatorCliExtras {
  /** SCF functions `Invoke` can run. */
  readonly functions?: ScfFunctions;
  /** Called once the emulator listens; the lines returned are printed in the banner. */
  readonly started?: (emulator: Emulator) => readonly string[];
}

/** Parses the flags, starts the emulator and serves until SIGINT/SIGTERM (then exits 0). */
export async function main(
  argv: string[] = process.argv.slice(2),
  extras: EmulatorCliExtras = {},
): Promise<void> {
  let config: CliConfig;
  try {
    config = parseCli(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`emulator: ${error.message}\nRun with --help for the options.\n`);
    process.exit(2);
  }
  if (config.help) {
    process.stdout.write(USAGE);
    return;
  }

  let emulator: Emulator;
  try {
    emulator = await startEmulator({
      ...config.options,
      ...(extras.functions ? { functions: extras.functions } : {}),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown }).code;
    process.stderr.write(`emulator: could not start: ${message}\n`);
    // A port in use is an environment problem; a fleet file that does not load is a bad flag.
    process.exit(code === 'EADDRINUSE' || code === 'EACCES' ? 1 : 2);
  }
  process.stdout.write(banner(emulator, config, extras.started?.(emulator)));

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\nemulator: ${signal} received, stopping\n`);
    emulator.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`emulator: error while stopping: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

// Only as a script (`npm run emulator`): the operator CLI imports main() and must not start a
// second emulator. A path test, because in the esbuild bundle every module shares one `module`.
if (/[\\/]emulator[\\/]cli\.[cm]?[jt]s$/.test(process.argv[1] ?? '')) {
  main().catch((error: unknown) => {
    process.stderr.write(`emulator: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
