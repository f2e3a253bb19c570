/**
 * `npm run deploy` (scripts/deploy.mjs) refuses to start without what it needs: keys, no QR-code
 * login, no emulator endpoint. Each refusal happens before the build and before the Serverless CLI,
 * exits non-zero, and names what is missing. (The paths that build and call the CLI are in
 * bundle-and-deploy.test.ts, next to the other users of dist/.)
 *
 * Every run gets a fresh environment without the developer's keys, a temporary HOME, and
 * fixtures/offline-network.cjs preloaded, so that no run can reach any host but 127.0.0.1.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeployRun, runDeploy } from './fixtures/run-deploy';

const ROOT = resolve(__dirname, '../..');

let home: string;
let record: string;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'deploy-home-'));
  record = join(home, 'serverless-calls.jsonl');
  // The CLI (and deploy.mjs) read keys from these .env files too; a developer's own would defeat
  // the "no keys" cases below.
  for (const dir of [ROOT, join(ROOT, '..'), join(ROOT, '..', '..')]) {
    for (const name of ['.env', '.env.dev']) {
      const file = join(dir, name);
      const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
      expect(text, `${file} holds Tencent keys; move it away to run these tests`).not.toMatch(
        /TENCENT_SECRET_(ID|KEY)\s*=\s*\S/,
      );
    }
  }
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

const deploy = (args: string[], env: Record<string, string> = {}): Promise<DeployRun> =>
  runDeploy(args, { HOME: home, FAKE_SLS_RECORD: record, ...env });

/** The run stopped before the build and before any Serverless CLI call. */
function expectStoppedEarly(run: DeployRun): void {
  expect(run.stdout).not.toMatch(/building the bundle/);
  expect(existsSync(record), 'the Serverless CLI was called').toBe(false);
}

describe('npm run deploy refuses to start', () => {
  it('without keys: exits 2, names TENCENT_SECRET_ID and TENCENT_SECRET_KEY, never runs the CLI', async () => {
    const run = await deploy([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/TENCENT_SECRET_ID and TENCENT_SECRET_KEY are not set/);
    expect(run.stderr).toMatch(/QR-code login is never used/);
    expectStoppedEarly(run);
  });

  it('with only TENCENT_SECRET_ID: names the missing TENCENT_SECRET_KEY', async () => {
    const run = await deploy([], { TENCENT_SECRET_ID: 'placeholder' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/deploy: TENCENT_SECRET_KEY is not set/);
    expectStoppedEarly(run);
  });

  it('with blank keys: treats them as unset', async () => {
    const run = await deploy([], { TENCENT_SECRET_ID: ' ', TENCENT_SECRET_KEY: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/TENCENT_SECRET_ID and TENCENT_SECRET_KEY are not set/);
    expectStoppedEarly(run);
  });

  it('with --login: the QR-code login is not supported', async () => {
    const run = await deploy(['--login'], {
      TENCENT_SECRET_ID: 'placeholder',
      TENCENT_SECRET_KEY: 'placeholder',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--login \(QR-code login\) is not supported/);
    expectStoppedEarly(run);
  });

  it('with an emulator endpoint left in the environment', async () => {
    const run = await deploy([], {
      TENCENT_SECRET_ID: 'placeholder',
      TENCENT_SECRET_KEY: 'placeholder',
      ROTATION_TAGS: 'rotation=enabled',
      ROTATION_SSM_ENDPOINT: 'http://127.0.0.1:9000',
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/ROTATION_SSM_ENDPOINT points at a local emulator; unset it/);
    expectStoppedEarly(run);
  });
});
