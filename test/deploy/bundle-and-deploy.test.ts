/**
 * Everything that uses the real bundle, in one file so that no other test file rebuilds dist/
 * while these read it (`npm run build` rewrites dist/index.js in place; test files run in
 * parallel):
 *
 * - `npm run build` output: one CommonJS file, every dependency inside, no Node API newer than
 *   SCF's Nodejs16.13;
 * - that bundle run by Node 18.15.0, the exact Node of SCF's Nodejs18.15 runtime, from a folder
 *   without node_modules, against the emulator: it rotates;
 * - `npm run check:deploy` on the real serverless.yml (OK, exit 0) and on a broken one (FAILED,
 *   exit 1);
 * - `npm run deploy` past the key check: the build, the defaults, the check, and the Serverless
 *   CLI's exit-0 failures (a stand-in CLI), then the real serverless@2.72.4 with placeholder keys
 *   and the network blocked (fixtures/offline-network.cjs): it must fail, not exit 0.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDeploy } from '../../scripts/check-deploy';
import { testFleet } from '../helpers/fleet';
import { node18, SCF_NODE_VERSION } from '../helpers/node18';
import { envFor, startTestEmulator } from '../helpers/world';
import { type DeployRun, runDeploy } from './fixtures/run-deploy';

const ROOT = resolve(__dirname, '../..');
const BUNDLE = join(ROOT, 'dist', 'index.js');
const TSX_CLI = join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

let work: string;
let bundleText: string;

beforeAll(() => {
  // The build these tests are about: `npm run build` is `node scripts/build.mjs`.
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], {
    cwd: ROOT,
    stdio: 'pipe',
  });
  bundleText = readFileSync(BUNDLE, 'utf8');
  work = mkdtempSync(join(tmpdir(), 'bundle-deploy-'));
}, 120_000);
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('the bundle npm run build writes', () => {
  it('is one CommonJS file exporting main_handler, with every dependency inside', () => {
    expect(bundleText).not.toMatch(/require\(["']tencentcloud-/);
    expect(bundleText).not.toMatch(/^\s*(import|export)\s/m);
    const required = [...bundleText.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1] as string);
    const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
    // node-fetch's optional `encoding`, required inside a try/catch.
    const optional = new Set(['encoding']);
    expect(
      [...new Set(required)].filter((name) => !builtins.has(name) && !optional.has(name)),
    ).toEqual([]);
  });

  it("uses no Node.js API newer than SCF's Nodejs16.13, its fallback runtime", () => {
    // esbuild's node16 target lowers syntax but not APIs; these arrived after Node 16.13.
    const newer = [
      'structuredClone(',
      '.findLast(',
      '.findLastIndex(',
      'AbortSignal.timeout(',
      'Array.fromAsync(',
      '.toSorted(',
      'Object.groupBy(',
      'Promise.withResolvers(',
    ];
    expect(newer.filter((api) => bundleText.includes(api))).toEqual([]);
  });
});

/** Runs a program to completion without blocking this process's event loop; killed after 60 s. */
function runChild(
  file: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(file, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', fail);
    child.on('close', (status) => {
      clearTimeout(timer);
      done({ status, stdout, stderr });
    });
  });
}

describe("the bundle under SCF's Node 18.15.0", () => {
  it('rotates a fleet against the emulator from a folder without node_modules', async () => {
    const binary = node18();
    const emulator = await startTestEmulator({
      fleet: testFleet({ count: 24, regions: ['ap-guangzhou', 'ap-shanghai'] }),
    });
    try {
      // A folder of its own under the temp dir: no node_modules there or above it.
      const folder = mkdtempSync(join(work, 'scf-'));
      copyFileSync(BUNDLE, join(folder, 'index.js'));
      copyFileSync(join(__dirname, 'fixtures', 'run-bundle.cjs'), join(folder, 'harness.cjs'));
      for (let dir = folder; dir !== dirname(dir); dir = dirname(dir)) {
        expect(existsSync(join(dir, 'node_modules')), dir).toBe(false);
      }
      // SCF's names for the role's keys, and nothing from this process: no proxy, no NODE_PATH.
      const env = envFor(emulator, { ROTATION_REGIONS: 'ap-guangzhou,ap-shanghai' });
      // Asynchronous: the emulator answers from this very process.
      const child = await runChild(binary, ['harness.cjs', './index.js'], folder, env);
      const output = `${child.stdout}${child.stderr}`;
      const leaked = emulator.state
        .receivedSecrets()
        .filter((s) => s.length >= 6 && output.includes(s));
      expect(leaked, 'a password in the harness output').toEqual([]);
      const line = child.stdout.split('\n').find((l) => l.startsWith('RESULT '));
      expect(line, child.stderr).toBeDefined();
      const result = JSON.parse((line ?? '').slice('RESULT '.length)) as {
        version: string;
        status: string;
        counts: { discovered: number; rotated: number; failed: number };
        auditLines: number;
        auditIsJson: boolean;
      };
      expect(result.version).toBe(`v${SCF_NODE_VERSION}`);
      expect(result.status).toBe('succeeded');
      expect(result.counts.rotated).toBe(24);
      expect(result.counts.failed).toBe(0);
      expect(result.auditIsJson).toBe(true);
      expect(child.status).toBe(0);
    } finally {
      await emulator.close();
    }
  }, 180_000);
});

describe('npm run check:deploy', () => {
  it('passes the real serverless.yml, including a timer run of the built handler', async () => {
    const result = await checkDeploy(join(ROOT, 'serverless.yml'), {
      env: { ROTATION_TAGS: 'rotation=enabled' },
    });
    expect(result.findings.filter((f) => f.level === 'ERROR')).toEqual([]);
    expect(result.findings).toContainEqual({
      level: 'INFO',
      message: expect.stringMatching(
        /^index\.main_handler answered a timer event against the emulator: succeeded, 6\/6 rotated/,
      ),
    });
  });

  it('prints OK and exits 0 on the real file', () => {
    const run = spawnSync(process.execPath, [TSX_CLI, 'scripts/check-deploy.ts'], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
      encoding: 'utf8',
    });
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('OK');
    expect(run.status).toBe(0);
  });

  it('prints the errors, FAILED and exits 1 on a broken file given as an argument', () => {
    const broken = join(work, 'serverless.yml');
    const text = readFileSync(join(ROOT, 'serverless.yml'), 'utf8')
      .replace('memorySize: 256', 'memorySize: 100')
      .replace(/cronExpression: .*$/m, "cronExpression: '0 3 * * *'")
      .replace('./dist', join(ROOT, 'dist'));
    writeFileSync(broken, text);
    const run = spawnSync(process.execPath, [TSX_CLI, 'scripts/check-deploy.ts', broken], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
      encoding: 'utf8',
    });
    expect(run.stdout).toMatch(/^ERROR inputs\.memorySize 100 not allowed/m);
    expect(run.stdout).toMatch(/^WARN .*legacy 5-field syntax/m);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('FAILED (1 error)');
    expect(run.status).toBe(1);
  });
});

describe('npm run deploy, past the key check', () => {
  const KEYS = { TENCENT_SECRET_ID: 'placeholder', TENCENT_SECRET_KEY: 'placeholder' };
  const TAGS = { ROTATION_TAGS: 'rotation=enabled' };
  let home: string;
  let record: string;

  beforeAll(() => {
    home = mkdtempSync(join(work, 'home-'));
    record = join(home, 'serverless-calls.jsonl');
  });

  const deploy = (env: Record<string, string>, args: string[] = []): Promise<DeployRun> => {
    rmSync(record, { force: true });
    return runDeploy(args, { HOME: home, FAKE_SLS_RECORD: record, ...KEYS, ...TAGS, ...env });
  };
  const calls = (): Array<{
    command: string;
    args: string[];
    vendor: string;
    keys: boolean;
    env: Record<string, string>;
  }> =>
    existsSync(record)
      ? readFileSync(record, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line))
      : [];

  it('builds, fills the defaults, checks, deploys in Tencent mode, verifies, and exits 0', async () => {
    const run = await deploy({ ROTATION_DRY_RUN: 'true' }, ['--stage', 'prod']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/dist\/index\.js: [\d,]+ bytes/);
    expect(run.stdout).toMatch(/^OK$/m);
    expect(run.stdout).toMatch(/cvm-password-rotator-prod deployed and active/);
    // The environment printed for the operator: defaults starred, set values not.
    expect(run.stdout).toMatch(/^ {2}\* ROTATION_PASSWORD_LENGTH=16$/m);
    expect(run.stdout).toMatch(/^ {4}ROTATION_DRY_RUN=true$/m);
    expect(run.stdout).not.toMatch(/placeholder/);

    const [deployCall, infoCall] = calls();
    expect(deployCall?.command).toBe('deploy');
    expect(deployCall?.args).toEqual(['--stage', 'prod']);
    expect(deployCall?.vendor).toBe('tencent');
    expect(deployCall?.keys).toBe(true);
    expect(deployCall?.env).toMatchObject({
      ROTATION_TAGS: 'rotation=enabled',
      ROTATION_DRY_RUN: 'true',
      ROTATION_FORCE_STOP: 'false',
      ROTATION_REGIONS: 'ap-guangzhou',
      ROTATION_KMS_KEY_ID: '',
      DEPLOY_REGION: 'ap-guangzhou',
      DEPLOY_ROLE: 'CvmPasswordRotatorRole',
    });
    expect(infoCall).toMatchObject({ command: 'info', args: ['--stage', 'prod'] });
  });

  it('exits 1 when the CLI falls back to the QR-code login, although the CLI exits 0', async () => {
    const run = await deploy({ FAKE_SLS_DEPLOY: 'qr' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/serverless deploy failed: the CLI fell back to the QR-code login/);
    expect(calls().map((c) => c.command)).toEqual(['deploy']);
  });

  it('exits 1 when the component rejects the inputs, although the CLI prints 执行成功', async () => {
    const run = await deploy({ FAKE_SLS_DEPLOY: 'typeerror' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/the component's input validation reported errors/);
  });

  it('exits 1 when serverless info does not report the instance active', async () => {
    const run = await deploy({ FAKE_SLS_INFO: 'error' });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/serverless info reports the instance error/);
    expect(run.stderr).toMatch(/tccli scf GetFunction --FunctionName cvm-password-rotator-dev/);
  });

  it('refuses to deploy without ROTATION_TAGS, before the Serverless CLI', async () => {
    const run = await deploy({ ROTATION_TAGS: '' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/ROTATION_TAGS is required/);
    expect(calls()).toEqual([]);
  });

  it('refuses to deploy a configuration the function would reject, before the Serverless CLI', async () => {
    const run = await deploy({ ROTATION_PASSWORD_LENGTH: '40' });
    expect(run.code).toBe(2);
    expect(run.stdout).toMatch(
      /^ERROR environment: ROTATION_PASSWORD_LENGTH: must be a whole number from 12 to 16$/m,
    );
    expect(calls()).toEqual([]);
  });

  it('with placeholder keys and the network blocked, the real serverless@2.72.4 fails and deploy exits 1', async () => {
    // The real CLI checks the keys against cam.tencentcloudapi.com first (facts §1.3). The
    // preloaded fixtures/offline-network.cjs refuses that connection before any DNS query, so
    // this cannot reach Tencent whatever the network allows, and the failure is ours to see.
    const run = await deploy({ DEPLOY_SERVERLESS_CLI: '' });
    expect(run.stdout).toMatch(
      /ENOTFOUND cam\.tencentcloudapi\.com \(network blocked by offline-network\.cjs\)/,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/serverless deploy failed: a network error/);
    expect(run.ms).toBeLessThan(60_000);
  });
});
