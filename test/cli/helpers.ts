/**
 * Helpers of the CLI tests: the real SCF SDK client pointed at the emulator, the in-process CLI
 * with captured output, and the CLI spawned as a child process. Output is captured in memory and
 * never printed: it may hold a revealed password, and test/setup.ts fails the file if a password
 * reaches the test's own output.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { scf } from 'tencentcloud-sdk-nodejs-scf';
import { expect } from 'vitest';
import type { CliIo } from '../../src/cli/io';
import { run } from '../../src/cli/program';
import { DEFAULT_CREDENTIAL, type Emulator } from '../../src/emulator';

export const ROOT = resolve(__dirname, '../..');
// tsx's CLI run by this very Node binary: `node_modules/.bin` may hold another `node`.
export const TSX_CLI = resolve(ROOT, 'node_modules/tsx/dist/cli.mjs');
export const CLI_ENTRY = 'src/cli/main.ts';

/** The real SCF SDK client, pointed at the emulator. */
export function scfClient(emulator: Emulator, region = 'ap-guangzhou') {
  return new scf.v20180416.Client({
    credential: { secretId: DEFAULT_CREDENTIAL.secretId, secretKey: DEFAULT_CREDENTIAL.secretKey },
    region,
    profile: {
      httpProfile: { protocol: 'http://', endpoint: emulator.endpoint, reqTimeout: 30 },
    },
  });
}

/** Asserts that an SDK call rejects with the given Tencent error code. */
export async function expectTencentError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}, got success`).toBeDefined();
  expect((error as { code?: string }).code).toBe(code);
}

/** The operator's environment: emulator credentials (the SDK's names, as on a laptop). */
export function operatorEnv(
  emulator: Emulator,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    TENCENTCLOUD_SECRET_ID: DEFAULT_CREDENTIAL.secretId,
    TENCENTCLOUD_SECRET_KEY: DEFAULT_CREDENTIAL.secretKey,
    TENCENTCLOUD_REGION: 'ap-guangzhou',
    ROTATION_REGIONS: 'ap-guangzhou,ap-shanghai',
    ROTATION_TAGS: 'rotation=enabled',
    ROTATION_CVM_ENDPOINT: emulator.url,
    ROTATION_SSM_ENDPOINT: emulator.url,
    ...extra,
  };
}

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process (the same `run` the bin calls), capturing its output in memory. */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  tty: { stdout?: boolean; stderr?: boolean } = {},
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: {
      write: (text) => {
        stdout += text;
      },
      isTTY: tty.stdout ?? false,
      columns: 120,
    },
    stderr: {
      write: (text) => {
        stderr += text;
      },
      isTTY: tty.stderr ?? false,
      columns: 120,
    },
    env,
  };
  const code = await run(argv, io);
  return { code, stdout, stderr };
}

/** The child's environment: no proxies (the SDK ignores NO_PROXY; facts §5.3), no parent config. */
export function childEnv(env: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'LANG', 'TMPDIR']) {
    const value = process.env[name];
    if (value !== undefined) base[name] = value;
  }
  return { ...base, NODE_OPTIONS: '', ...env };
}

/** Spawns `tsx src/cli/main.ts …` and collects its output in memory. */
export function spawnCli(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [TSX_CLI, CLI_ENTRY, ...args], {
      cwd: ROOT,
      env: childEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`cvm-rotator ${args[0] ?? ''} did not exit within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code: code ?? -1, stdout, stderr });
    });
  });
}
