/**
 * The standalone emulator (`npm run emulator`), run as a child process exactly as a developer
 * runs it: it prints where it listens, serves SDK calls signed with the credential it was given,
 * stops cleanly on SIGTERM, and refuses bad flags with exit code 2.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cvm } from 'tencentcloud-sdk-nodejs-cvm';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CREDENTIAL } from '../../src/emulator';

const ROOT = resolve(__dirname, '../..');
// tsx's CLI run by this very Node binary: `node_modules/.bin` may hold another `node`.
const TSX_CLI = resolve(ROOT, 'node_modules/tsx/dist/cli.mjs');
const CLI = 'src/emulator/cli.ts';

const SECRET_ID = 'AKIDcliTest000000000000000000000000';
const { secretId: DEFAULT_ID, secretKey: DEFAULT_KEY } = DEFAULT_CREDENTIAL;
const SECRET_KEY = 'cli-test-secret-key-do-not-print';

interface Run {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exit: Promise<number | null>;
}

function run(args: string[]): Run {
  const child = spawn(process.execPath, [TSX_CLI, CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const result: Run = {
    child,
    stdout: '',
    stderr: '',
    exit: new Promise((done) => child.on('exit', (code) => done(code))),
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    result.stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    result.stderr += chunk.toString('utf8');
  });
  return result;
}

/** Resolves with the port once the banner is printed (or fails with what the process said). */
async function listeningPort(running: Run, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void running.exit.then(() => {
    exited = true;
  });
  while (Date.now() < deadline && !exited) {
    const match = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(running.stdout);
    if (match && running.stdout.includes('Press Ctrl+C')) return Number(match[1]);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the emulator did not start:\n${running.stdout}\n${running.stderr}`);
}

function client(port: number, credential: { secretId: string; secretKey: string; token?: string }) {
  return new cvm.v20170312.Client({
    credential,
    region: 'ap-guangzhou',
    profile: {
      httpProfile: { protocol: 'http://', endpoint: `127.0.0.1:${port}`, reqTimeout: 10 },
    },
  });
}

const started: Run[] = [];
const tempDirs: string[] = [];

function tempFleetFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'emulator-cli-'));
  tempDirs.push(dir);
  const file = join(dir, 'fleet.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

afterEach(async () => {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  for (const running of started.splice(0)) {
    if (running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGKILL');
      await running.exit;
    }
  }
});

describe('the standalone emulator CLI', () => {
  it('serves a signed SDK call on the port it prints and exits 0 on SIGTERM', async () => {
    // Prepare
    const running = run([
      '--port',
      '0',
      '--fleet',
      'demo',
      '--secret-id',
      SECRET_ID,
      '--secret-key',
      SECRET_KEY,
    ]);
    started.push(running);
    const port = await listeningPort(running);

    // Act
    const tagged = await client(port, {
      secretId: SECRET_ID,
      secretKey: SECRET_KEY,
    }).DescribeInstances({
      Filters: [{ Name: 'tag:rotation', Values: ['enabled'] }],
      Limit: 100,
    });
    const wrongKey = await client(port, { secretId: SECRET_ID, secretKey: 'wrong' })
      .DescribeInstances({ Limit: 1 })
      .then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
    running.child.kill('SIGTERM');
    const code = await running.exit;

    // Assess
    expect(tagged.TotalCount).toBeGreaterThan(0);
    expect(wrongKey).toBe('AuthFailure.SignatureFailure');
    expect(code).toBe(0);
    expect(running.stdout).toContain(`endpoint: '127.0.0.1:${port}'`);
    expect(running.stdout).toContain("protocol: 'http://'");
    expect(running.stdout).toContain(SECRET_ID);
    expect(running.stdout).toMatch(/320 instances/);
    expect(running.stdout + running.stderr).not.toContain(SECRET_KEY);
  });

  it('requires the session token given with --token, and never prints it', async () => {
    const token = 'cli-session-token-secret';
    const running = run([
      '--port',
      '0',
      '--fleet',
      'none',
      '--secret-id',
      SECRET_ID,
      '--secret-key',
      SECRET_KEY,
      '--token',
      token,
      '--no-rate-limits',
    ]);
    started.push(running);
    const port = await listeningPort(running);

    const withToken = await client(port, { secretId: SECRET_ID, secretKey: SECRET_KEY, token })
      .DescribeInstances({ Limit: 1 })
      .then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
    const withoutToken = await client(port, { secretId: SECRET_ID, secretKey: SECRET_KEY })
      .DescribeInstances({ Limit: 1 })
      .then(
        () => 'ok',
        (e: { code?: string }) => e.code,
      );
    running.child.kill('SIGINT');

    expect(withToken).toBe('ok');
    expect(withoutToken).toBe('AuthFailure.TokenFailure');
    expect(await running.exit).toBe(0);
    expect(running.stdout).toContain('Rate limits: off');
    expect(running.stdout + running.stderr).not.toContain(token);
  });

  it.each([
    ['an unknown flag', ['--bogus']],
    ['a port out of range', ['--port', '70000']],
    ['a latency that is not N or MIN-MAX', ['--latency-ms', 'fast']],
    ['reset timings without both ranges', ['--reset-ms', '5000-10000']],
    ['a fleet file that does not exist', ['--fleet', 'no/such/fleet.json']],
    ['a secret id without its key', ['--secret-id', SECRET_ID]],
  ])('exits with code 2 and a message on %s', async (_name, args) => {
    const running = run(args);
    started.push(running);

    const code = await running.exit;

    expect(code).toBe(2);
    expect(running.stderr).toMatch(/^emulator: .+/);
    expect(running.stdout).toBe('');
  });

  it('exits with code 2 and names the file when the fleet file is not a fleet', async () => {
    // Prepare
    const file = tempFleetFile({ instances: [{ region: 'ap-guangzhou' }] });

    // Act
    const running = run(['--port', '0', '--fleet', file]);
    started.push(running);
    const code = await running.exit;

    // Assess
    expect(code).toBe(2);
    expect(running.stderr).toContain(file);
  });

  it('accepts every documented option and describes the fleet it loaded from a file', async () => {
    // Prepare
    const file = tempFleetFile({ generate: { count: 12, regions: { 'ap-shanghai': 1 } } });
    const running = run([
      '--port',
      '0',
      '--fleet',
      file,
      '--no-rate-limits',
      '--latency-ms',
      '1-3',
      '--time-scale',
      '10',
      '--reset-ms',
      '5000-10000,20000-40000',
      '--seed',
      '7',
    ]);
    started.push(running);

    // Act
    const port = await listeningPort(running);
    const page = await client(port, {
      secretId: DEFAULT_ID,
      secretKey: DEFAULT_KEY,
    }).DescribeInstances({ Limit: 100 });
    running.child.kill('SIGTERM');

    // Assess
    expect(page.TotalCount).toBe(0); // the fleet is in ap-shanghai; the client asks ap-guangzhou
    expect(running.stdout).toMatch(/12 instances/);
    expect(running.stdout).toContain('ap-shanghai 12');
    expect(running.stdout).toContain('latency: 1-3 ms');
    expect(running.stdout).toContain('time scale: 10');
    expect(await running.exit).toBe(0);
  });

  it('prints the usage and exits 0 with --help', async () => {
    const running = run(['--help']);
    started.push(running);

    const code = await running.exit;

    expect(code).toBe(0);
    expect(running.stdout).toContain('--secret-id');
    expect(running.stdout).toContain('--reset-ms');
  });
});
