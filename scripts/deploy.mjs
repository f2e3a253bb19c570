// `npm run deploy [-- --stage prod] [-- <other serverless deploy options>]`
//
// Deploys the function with the pinned serverless@2.72.4, the last `serverless` that still deploys
// Tencent components (facts/serverless-deploy.md §1.3), and refuses every silent failure that CLI
// allows:
//
// 1. Keys: TENCENT_SECRET_ID / TENCENT_SECRET_KEY (+ TENCENT_TOKEN for temporary keys), from the
//    environment or the .env file the CLI itself would load. Without them it stops here, exit 2:
//    the CLI would fall back to a QR-code login and exit 0 having deployed nothing (facts §4.3).
// 2. `npm run build` (dist/index.js).
// 3. Every unset ROTATION_* / DEPLOY_* variable of serverless.yml gets the function's default: an
//    unset `${env:X}` would deploy as undefined (facts §2.4). ROTATION_TAGS has no default and is
//    required. The values are printed (configuration only, never a key).
// 4. The offline check (scripts/check-deploy.ts, deploy mode): the file, the environment and the
//    built handler against the emulator. Any error stops the deploy.
// 5. `serverless deploy` with SERVERLESS_PLATFORM_VENDOR=tencent; its output is scanned, because
//    it can exit 0 on failure (facts §4.3, §6.4): exit 0 needs its success line and no failure
//    marker. Then `serverless info` must report the instance `active`.
//
// Exit codes: 0 deployed and verified, 1 failed, 2 missing keys or configuration.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * The pinned CLI's entry script, run with this Node (node_modules/.bin/serverless links to it).
 * DEPLOY_SERVERLESS_CLI replaces it: the tests use a stand-in that prints what the real CLI prints.
 */
const SERVERLESS = nonBlank(process.env.DEPLOY_SERVERLESS_CLI)
  ? process.env.DEPLOY_SERVERLESS_CLI
  : join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js');
/** A deploy normally takes a minute or two; a hung CLI must not hang CI forever. */
const CLI_TIMEOUT_MS = 15 * 60 * 1000;

const say = (line = '') => process.stdout.write(`${line}\n`);
const fail = (message, code = 1) => {
  process.stderr.write(`deploy: ${message}\n`);
  process.exit(code);
};

// -- Arguments: passed to `serverless deploy`, except the QR-code login.
const args = process.argv.slice(2);
if (args.some((arg) => arg === '--login' || arg.startsWith('--login='))) {
  fail('--login (QR-code login) is not supported; use TENCENT_SECRET_ID / TENCENT_SECRET_KEY', 2);
}
const stage = stageOf(args) ?? 'dev';

// -- .env: the CLI loads the first of .env.<stage>, .env in the project folder, its parent and
// grandparent, never overriding the environment (@serverless/components src/cli/index.js). Load
// the same file the same way first, so that the defaults below and the check see what the CLI
// will resolve.
const dotenvFile = [ROOT, join(ROOT, '..'), join(ROOT, '..', '..')]
  .flatMap((dir) => [join(dir, `.env.${stage}`), join(dir, '.env')])
  .find((file) => existsSync(file));
const fromFile = dotenvFile ? parseDotenv(readFileSync(dotenvFile, 'utf8')) : {};
const env = { ...fromFile, ...process.env };

// -- 1. Keys, before anything else.
const idSet = nonBlank(env.TENCENT_SECRET_ID);
const keySet = nonBlank(env.TENCENT_SECRET_KEY);
if (!idSet || !keySet) {
  const missing = [!idSet && 'TENCENT_SECRET_ID', !keySet && 'TENCENT_SECRET_KEY'].filter(Boolean);
  fail(
    `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set. Set TENCENT_SECRET_ID and ` +
      'TENCENT_SECRET_KEY (plus TENCENT_TOKEN for temporary keys) in the environment or in .env, for a ' +
      'CAM user allowed to deploy (QcloudSLSFullAccess and cam:PassRole, see docs/deploy.md). The ' +
      "Serverless CLI's QR-code login is never used: without keys it exits 0 having deployed nothing.",
    2,
  );
}
for (const name of Object.keys(env).filter((key) => /^ROTATION_\w+_ENDPOINT$/.test(key))) {
  // Reported by the check too; said first because it is the usual leftover of `npm run emulator`.
  if (nonBlank(env[name]) && /\/\/(127\.|localhost|\[?::1)/.test(env[name])) {
    fail(`${name} points at a local emulator; unset it before deploying`, 2);
  }
}

// -- 2. Build.
say('deploy: building the bundle (npm run build)');
const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], {
  cwd: ROOT,
  stdio: 'inherit',
});
if (build.status !== 0) fail('the build failed');

// -- 3. Defaults for every unset variable, shared with the check (scripts/check-deploy.ts).
const check = await tsImport('./check-deploy.ts', import.meta.url);
const filled = check.fillDeployEnv(env);
if (filled.missing.length > 0) {
  fail(
    `${filled.missing.join(', ')} is required: the nightly run selects instances by it, e.g. ` +
      'ROTATION_TAGS=rotation=enabled (the tag deploy/cam-policy.json allows resetting).',
    2,
  );
}
say(`deploy: stage ${stage}; function environment (* = default filled in):`);
const defaults = new Set(filled.filled);
for (const name of Object.keys(check.deployDefaults(filled.env))
  .concat(check.REQUIRED_FOR_DEPLOY)
  .sort()) {
  say(`  ${defaults.has(name) ? '*' : ' '} ${name}=${filled.env[name] ?? ''}`);
}

// -- 4. The offline check, in deploy mode.
say('deploy: checking serverless.yml and the built handler (npm run check:deploy)');
const result = await check.checkDeploy(join(ROOT, 'serverless.yml'), {
  env: filled.env,
  mode: 'deploy',
  stage,
});
process.stdout.write(check.formatResult(result));
if (result.errors > 0) fail('the offline check failed; nothing was deployed', 2);

// -- 5. Deploy, then verify.
const cliEnv = {
  ...filled.env,
  SERVERLESS_PLATFORM_VENDOR: 'tencent',
  // The CLI's own telemetry and update notices are not part of a deploy.
  SLS_TELEMETRY_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
};
say('deploy: serverless deploy (serverless@2.72.4, Tencent mode)');
const deployRun = await runCli(['deploy', ...args], cliEnv);
const deployProblem = deployFailure(deployRun);
if (deployProblem) {
  fail(
    `serverless deploy failed: ${deployProblem}. Check the function with ` +
      `\`tccli scf GetFunction --FunctionName cvm-password-rotator-${stage}\` (docs/deploy.md).`,
  );
}

say('deploy: verifying with serverless info');
const infoRun = await runCli(['info', ...stageArgs(args)], cliEnv);
const info = stripAnsi(infoRun.output);
const status = /应用状态:\s*(\w+)/.exec(info)?.[1];
if (infoRun.code !== 0 || status !== 'active') {
  fail(
    `serverless info reports the instance ${status ?? 'unknown'} (exit ${infoRun.code}); the deploy did not ` +
      `complete. Check with \`tccli scf GetFunction --FunctionName cvm-password-rotator-${stage}\`.`,
  );
}
say(`deploy: cvm-password-rotator-${stage} deployed and active.`);
process.exit(0);

// ---------------------------------------------------------------------------------------------

function nonBlank(value) {
  return typeof value === 'string' && value.trim() !== '';
}

/** `--stage X`, `--stage=X`, `-s X`. */
function stageOf(argv) {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--stage' || arg === '-s') return argv[i + 1];
    if (arg.startsWith('--stage=')) return arg.slice('--stage='.length);
  }
  return undefined;
}

function stageArgs(argv) {
  const value = stageOf(argv);
  return value === undefined ? [] : ['--stage', value];
}

/** KEY=VALUE lines as dotenv reads them: `export ` allowed, quotes stripped, `#` lines ignored. */
function parseDotenv(text) {
  const out = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][\w.-]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    let value = match[2];
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    out[match[1]] = value;
  }
  return out;
}

function stripAnsi(text) {
  // CSI sequences (colours, cursor moves) and the spinner's carriage returns.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escapes is the point
  return text.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '\n');
}

/** Runs the pinned CLI with stdin closed (no prompt can wait), teeing and keeping its output. */
function runCli(cliArgs, childEnv) {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [SERVERLESS, ...cliArgs], {
      cwd: ROOT,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks = [];
    const keep = (stream) => (chunk) => {
      chunks.push(chunk.toString('utf8'));
      stream.write(chunk);
    };
    child.stdout.on('data', keep(process.stdout));
    child.stderr.on('data', keep(process.stderr));
    const timer = setTimeout(() => {
      chunks.push(`\n(deploy: no result after ${CLI_TIMEOUT_MS / 60000} minutes; stopped)\n`);
      child.kill('SIGTERM');
    }, CLI_TIMEOUT_MS);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolvePromise({ code: 1, output: `${chunks.join('')}\n${error.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? (signal ? 1 : 0), output: chunks.join('') });
    });
  });
}

/**
 * Why a `serverless deploy` run failed, or undefined if it succeeded. Exit code 0 is not enough:
 * the login path and a deploy whose instance ends in error both exit 0 (facts §4.3; run.js prints
 * "执行成功" after any deploy that returned). Success needs exit 0, the success line, and none of
 * the failure markers below.
 */
function deployFailure({ code, output }) {
  const text = stripAnsi(output);
  const markers = [
    [/请扫码|scfdev\.tencentserverless\.com/, 'the CLI fell back to the QR-code login'],
    [/组件校验结果: 错误 [1-9]/, "the component's input validation reported errors"],
    [
      /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|getaddrinfo|socket hang up/,
      'a network error',
    ],
    [/帮助文档:|BUG提交:|Unknown Error|Error:/, 'the CLI reported an error'],
    [/no result after \d+ minutes/, 'the CLI timed out'],
  ];
  for (const [pattern, reason] of markers) if (pattern.test(text)) return reason;
  if (code !== 0) return `exit code ${code}`;
  if (!/执行成功/.test(text)) return 'the CLI did not report success';
  return undefined;
}
