/**
 * The offline deployment check (scripts/check-deploy.ts) on broken copies of serverless.yml: each
 * rule of the scf component and of SCF fails (or warns) with a message that names the problem.
 * Copies live in a temp folder with a stand-in dist/index.js, so nothing here needs the build;
 * the real file and the real bundle are checked in bundle-and-deploy.test.ts.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { dump, load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CheckOptions,
  type CheckResult,
  checkDeploy,
  DEPLOY_DEFAULTS,
  deployDefaults,
  fillDeployEnv,
  formatResult,
  OFFICIAL_ENDPOINTS,
} from '../../scripts/check-deploy';
import { ENV_VARIABLES, loadEnvConfig } from '../../src/config/env';

const ROOT = resolve(__dirname, '../..');
const REAL_YML = join(ROOT, 'serverless.yml');

type Yaml = Record<string, unknown>;

const realDoc = (): Yaml => load(readFileSync(REAL_YML, 'utf8')) as Yaml;
/** The real file's timer trigger parameters, as a path prefix for {@link Edits}. */
const TIMER = 'inputs.events.0.timer.parameters';
const VARIABLES = 'inputs.environment.variables';
/** `${inner}`, spelled so that no linter mistakes it for a template placeholder. */
const ref = (inner: string) => `\${${inner}}`;

/** Removes the key at a path. */
const REMOVE = Symbol('remove');
/** Dotted path (list indexes as numbers) → new value, or REMOVE. */
type Edits = Record<string, unknown>;

function applyEdits(doc: Yaml, edits: Edits): Yaml {
  for (const [path, value] of Object.entries(edits)) {
    const keys = path.split('.');
    const last = keys.pop() as string;
    let node = doc as Record<string, unknown>;
    for (const key of keys) node = node[key] as Record<string, unknown>;
    if (value === REMOVE) delete node[last];
    else node[last] = value;
  }
  return doc;
}

/** The environment of a CI run: nothing set but the required tags. */
const CI_ENV = { ROTATION_TAGS: 'rotation=enabled' };

let work: string;
let counter = 0;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'check-deploy-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/** A folder with a stand-in bundle exporting `main_handler` (or the given source). */
function folderWith(bundle = 'exports.main_handler = async () => ({});\n'): string {
  const dir = join(work, `case-${++counter}`);
  mkdirSync(join(dir, 'dist'), { recursive: true });
  writeFileSync(join(dir, 'dist', 'index.js'), bundle);
  return dir;
}

/** Writes a copy of the real file with `edits` applied and checks it (the export, not a run, by default). */
async function checkVariant(
  edits: Edits,
  options: CheckOptions = {},
  bundle?: string,
): Promise<CheckResult> {
  const path = join(folderWith(bundle), 'serverless.yml');
  writeFileSync(path, dump(applyEdits(realDoc(), edits), { lineWidth: -1 }));
  return checkDeploy(path, { env: CI_ENV, handler: 'load', ...options });
}

const errors = (result: CheckResult) =>
  result.findings.filter((f) => f.level === 'ERROR').map((f) => f.message);
const warnings = (result: CheckResult) =>
  result.findings.filter((f) => f.level === 'WARN').map((f) => f.message);

describe('a copy of the real serverless.yml', () => {
  it('passes with no error and only the runtime warning', async () => {
    const result = await checkVariant({});
    expect(errors(result)).toEqual([]);
    expect(warnings(result)).toEqual([expect.stringMatching(/Nodejs18\.15 .*Nodejs16\.13/)]);
    expect(formatResult(result).trimEnd().split('\n').at(-1)).toBe('OK');
  });

  it('passes without the runtime warning on the Nodejs16.13 fallback', async () => {
    const result = await checkVariant({ 'inputs.runtime': 'Nodejs16.13' });
    expect(result.errors).toBe(0);
    expect(result.warnings).toBe(0);
  });
});

describe('each broken file fails with the rule it breaks', () => {
  const cases: Array<[string, Edits, RegExp]> = [
    [
      'memory 100 MB',
      { 'inputs.memorySize': 100 },
      /memorySize 100 not allowed: 64, or a multiple of 128/,
    ],
    ['memory 3200 MB', { 'inputs.memorySize': 3200 }, /memorySize 3200 not allowed/],
    ['timeout 901 s', { 'inputs.timeout': 901 }, /timeout 901 not allowed: 1-900 seconds/],
    ['timeout 0 s', { 'inputs.timeout': 0 }, /timeout 0 not allowed/],
    [
      'no timeout (SCF default 3 s)',
      { 'inputs.timeout': REMOVE },
      /timeout is not set: SCF defaults to 3 s/,
    ],
    [
      'a 6-field cron',
      { [`${TIMER}.cronExpression`]: '0 0 3 * * *' },
      /cronExpression "0 0 3 \* \* \*" has 6 fields; SCF cron has 7/,
    ],
    [
      'a self: variable',
      { 'inputs.description': ref('self:custom.description') },
      /\$\{self:custom\.description\} is not supported by Serverless Components/,
    ],
    [
      'an opt: variable',
      { 'inputs.name': `rotator-${ref('opt:stage')}` },
      /\$\{opt:stage\} is not supported/,
    ],
    [
      'an output: variable',
      { 'inputs.role': ref('output:prod:app:role.name') },
      /\$\{output:prod:app:role\.name\} is not supported/,
    ],
    [
      'a reserved SCF_ variable',
      { [`${VARIABLES}.SCF_DEBUG`]: 'true' },
      /SCF_DEBUG: names starting with SCF_ are reserved by SCF/,
    ],
    [
      'a reserved QCLOUD_ variable',
      { [`${VARIABLES}.QCLOUD_X`]: '1' },
      /QCLOUD_X: names starting with QCLOUD_ are reserved/,
    ],
    [
      'keys in the environment',
      { [`${VARIABLES}.TENCENTCLOUD_SECRETID`]: ref('env:TENCENT_SECRET_ID') },
      /TENCENTCLOUD_SECRETID: names starting with TENCENTCLOUD_ are reserved by SCF \(the execution role injects the credentials/,
    ],
    [
      'an unknown ROTATION_ variable',
      { [`${VARIABLES}.ROTATION_DRYRUN`]: 'true' },
      /ROTATION_DRYRUN is not a variable of the function/,
    ],
    [
      'an invalid variable value',
      { [`${VARIABLES}.ROTATION_DRY_RUN`]: 'yes' },
      /environment: ROTATION_DRY_RUN: must be "true" or "false"/,
    ],
    [
      'a value over 4 KB',
      { [`${VARIABLES}.ROTATION_EXCLUDE_TAG`]: 'x'.repeat(4097) },
      /ROTATION_EXCLUDE_TAG: its value is 4097 bytes; SCF allows 4096/,
    ],
    [
      'over 4 KB of variables in all',
      {
        [`${VARIABLES}.ROTATION_KMS_KEY_ID`]: 'k'.repeat(2000),
        [`${VARIABLES}.TZ`]: 'z'.repeat(2100),
      },
      /environment: \d+ bytes of names and values in all; SCF allows 4096/,
    ],
    [
      'an argument over 4 KB',
      { [`${TIMER}.argument`]: JSON.stringify({ reason: 'r'.repeat(4200) }) },
      /argument is 4\d{3} bytes; a timer argument is at most 4096 bytes/,
    ],
    [
      'an argument with an unknown key',
      { [`${TIMER}.argument`]: '{"dryrun":true}' },
      /argument: Message: unknown key "dryrun"; allowed keys: instanceIds/,
    ],
    [
      'an argument that is not JSON',
      { [`${TIMER}.argument`]: 'nightly' },
      /argument: Message: the timer trigger argument must be empty or a JSON object/,
    ],
    [
      'a function name starting with a digit',
      { 'inputs.name': '1-rotator' },
      /inputs\.name "1-rotator" is not a valid SCF function name/,
    ],
    [
      'a function name of 61 characters',
      { 'inputs.name': `r${'x'.repeat(60)}` },
      /is not a valid SCF function name: 2-60 characters/,
    ],
    [
      'a timer name starting with a digit',
      { [`${TIMER}.name`]: '3am' },
      /parameters\.name "3am" is not a valid timer name/,
    ],
    [
      'a timer name of 61 characters',
      { [`${TIMER}.name`]: `t${'x'.repeat(60)}` },
      /is not a valid timer name: a letter first, at most 60 characters/,
    ],
    ['a timer without cron', { [`${TIMER}.cronExpression`]: REMOVE }, /cronExpression is required/],
    [
      'a Python runtime',
      { 'inputs.runtime': 'Python3.9' },
      /runtime "Python3\.9" is not an SCF Node\.js runtime/,
    ],
    [
      'a runtime older than the bundle',
      { 'inputs.runtime': 'Nodejs14.18' },
      /runtime "Nodejs14\.18" is too old: the bundle targets node16/,
    ],
    [
      'no runtime (component default Nodejs10.15)',
      { 'inputs.runtime': REMOVE },
      /runtime is not set: the component defaults to Nodejs10\.15/,
    ],
    ['no src', { 'inputs.src': REMOVE }, /inputs\.src .* is required/],
    [
      'a handler without a function',
      { 'inputs.handler': 'index' },
      /inputs\.handler "index" must be <file>\.<function>/,
    ],
    ['a web function', { 'inputs.type': 'web' }, /type must be "event"/],
    ['another component', { component: 'express' }, /component must be "scf"/],
    ['no instance name', { name: REMOVE }, /name \(the component instance name\) is required/],
    [
      'a classic provider key',
      { provider: { name: 'tencent' } },
      /"provider" is a classic Serverless Framework key/,
    ],
    ['async-run mode without cls', { 'inputs.asyncRunEnable': true }, /asyncRunEnable needs cls/],
  ];

  it.each(cases)('%s', async (_name, edits, message) => {
    const result = await checkVariant(edits);
    expect(errors(result)).toContainEqual(expect.stringMatching(message));
    expect(formatResult(result)).toMatch(/\nFAILED \(\d+ errors?\)\n$/);
  });

  it('a handler file that does not export main_handler fails', async () => {
    const result = await checkVariant({}, {}, 'exports.handler = async () => ({});\n');
    expect(errors(result)).toContainEqual(
      expect.stringMatching(/index\.js does not export main_handler/),
    );
  });

  it('a handler file that cannot be required fails', async () => {
    const bundle =
      'require("tencentcloud-sdk-nodejs-not-bundled");\nexports.main_handler = async () => ({});\n';
    const result = await checkVariant({}, {}, bundle);
    expect(errors(result)).toContainEqual(
      expect.stringMatching(
        /cannot be loaded with require\(\) \(SCF loads CommonJS\): Cannot find module 'tencentcloud-sdk-nodejs-not-bundled'/,
      ),
    );
  });

  it('an ES module bundle fails, though this Node could require() it', async () => {
    const result = await checkVariant({}, {}, 'export const main_handler = async () => ({});\n');
    expect(errors(result)).toContainEqual(
      expect.stringMatching(/is an ES module; .* bundle as CommonJS/),
    );
  });

  it('a missing bundle asks to build first', async () => {
    const result = await checkVariant({ 'inputs.src': './not-built' });
    expect(errors(result)).toContainEqual(
      expect.stringMatching(/not-built\/index\.js not found: build first \(npm run build\)/),
    );
  });

  it('an unparsable file fails with the parse error', async () => {
    const path = join(folderWith(), 'serverless.yml');
    writeFileSync(path, 'component: scf\ninputs: [unclosed\n');
    const result = await checkDeploy(path, { handler: 'skip' });
    expect(errors(result)).toContainEqual(expect.stringMatching(/cannot read or parse the YAML/));
  });
});

describe('warnings do not fail the check', () => {
  it('a legacy 5-field cron warns but passes', async () => {
    const result = await checkVariant({ [`${TIMER}.cronExpression`]: '0 3 * * *' });
    expect(result.errors).toBe(0);
    expect(warnings(result)).toContainEqual(
      expect.stringMatching(/"0 3 \* \* \*" uses the legacy 5-field syntax/),
    );
  });

  it('a timer without an explicit enable warns', async () => {
    const result = await checkVariant({ [`${TIMER}.enable`]: REMOVE });
    expect(result.errors).toBe(0);
    expect(warnings(result)).toContainEqual(
      expect.stringMatching(/enable is not set: set it to true explicitly/),
    );
  });

  it('memory 64 MB and any multiple of 128 up to 3072 pass', async () => {
    for (const memorySize of [64, 128, 1024, 3072]) {
      const result = await checkVariant({ 'inputs.memorySize': memorySize });
      expect(errors(result), String(memorySize)).toEqual([]);
    }
  });

  it('an argument of manual keys passes', async () => {
    const result = await checkVariant({
      [`${TIMER}.argument`]: '{"reason":"nightly","forceStop":false}',
    });
    expect(result.errors).toBe(0);
  });
});

describe(`unset ${ref('env:')} variables`, () => {
  it('an unset ROTATION_TAGS warns in CI and is an error when deploying', async () => {
    const check = await checkVariant({}, { env: {} });
    expect(check.errors).toBe(0);
    expect(warnings(check)).toContainEqual(
      expect.stringMatching(
        /\$\{env:ROTATION_TAGS\} is unset -> would deploy as undefined \(npm run deploy refuses/,
      ),
    );
    const deploy = await checkVariant({}, { env: fillDeployEnv({}).env, mode: 'deploy' });
    expect(errors(deploy)).toContainEqual(
      expect.stringMatching(/\$\{env:ROTATION_TAGS\} is unset/),
    );
  });

  it('a variable without a deploy default warns that it would deploy as undefined', async () => {
    const result = await checkVariant({ 'inputs.description': ref('env:UNSET_DESCRIPTION') });
    expect(warnings(result)).toContainEqual(
      `${ref('env:UNSET_DESCRIPTION')} is unset -> would deploy as undefined`,
    );
  });

  it('the real file, with the deploy defaults filled in, passes in deploy mode', async () => {
    const env = fillDeployEnv(CI_ENV).env;
    const result = await checkVariant({}, { env, mode: 'deploy' });
    expect(errors(result)).toEqual([]);
  });

  it('an emulator endpoint left in the shell warns in CI and is an error when deploying', async () => {
    const local = { ...CI_ENV, ROTATION_CVM_ENDPOINT: 'http://127.0.0.1:9000' };
    const check = await checkVariant({}, { env: local });
    expect(warnings(check)).toContainEqual(
      expect.stringMatching(/ROTATION_CVM_ENDPOINT is a local or plain-http endpoint/),
    );
    const deploy = await checkVariant({}, { env: fillDeployEnv(local).env, mode: 'deploy' });
    expect(errors(deploy)).toContainEqual(
      expect.stringMatching(/ROTATION_CVM_ENDPOINT is a local or plain-http endpoint/),
    );
  });
});

describe('the real file and the CAM policy agree', () => {
  it('turning the fan-out on warns that the role needs the invoke policy', async () => {
    const result = await checkDeploy(REAL_YML, {
      env: { ...CI_ENV, ROTATION_FANOUT: 'true' },
      handler: 'skip',
    });
    expect(warnings(result)).toContainEqual(
      expect.stringMatching(/ROTATION_FANOUT=true: attach deploy\/cam-policy-invoke\.json/),
    );
  });

  it('a secret prefix the policy does not cover warns', async () => {
    const result = await checkDeploy(REAL_YML, {
      env: { ...CI_ENV, ROTATION_SECRET_PREFIX: 'ops-secrets' },
      handler: 'skip',
    });
    expect(warnings(result)).toContainEqual(
      expect.stringMatching(
        /ROTATION_SECRET_PREFIX "ops-secrets" does not match the secret resources of deploy\/cam-policy\.json/,
      ),
    );
  });

  it('tags the policy does not allow resetting warn', async () => {
    const result = await checkDeploy(REAL_YML, {
      env: { ROTATION_TAGS: 'team=ops' },
      handler: 'skip',
    });
    expect(warnings(result)).toContainEqual(
      expect.stringMatching(
        /ROTATION_TAGS \(team=ops\) names no tag that deploy\/cam-policy\.json allows resetting \(rotation&enabled\)/,
      ),
    );
  });
});

describe('the deploy defaults', () => {
  it('serverless.yml feeds exactly the ROTATION_* variables of src/config/env.ts, plus the heap cap', () => {
    const inputs = realDoc().inputs as { environment: { variables: Record<string, unknown> } };
    const { NODE_OPTIONS, ...variables } = inputs.environment.variables;
    expect(Object.keys(variables).sort()).toEqual(
      ENV_VARIABLES.filter((n) => n.startsWith('ROTATION_')).sort(),
    );
    for (const [name, value] of Object.entries(variables)) {
      expect(value, name).toBe(ref(`env:${name}`));
    }
    expect(NODE_OPTIONS).toMatch(/^--max-old-space-size=\d+$/);
  });

  it('give every variable of serverless.yml but ROTATION_TAGS a value', () => {
    const text = JSON.stringify(realDoc()); // values only: the file's comments mention variables too
    const used = [...text.matchAll(/\$\{env:([\w.-]+)\}/g)].map((m) => m[1] as string);
    const defaults = deployDefaults({});
    expect(used.filter((name) => !(name in defaults))).toEqual(['ROTATION_TAGS']);
  });

  it("mean what unset means to the function: its own defaults, the deploy region, the SDK's endpoints", () => {
    const credentials = { TENCENTCLOUD_SECRETID: 'id', TENCENTCLOUD_SECRETKEY: 'key' };
    const filled = fillDeployEnv({ ...CI_ENV, DEPLOY_REGION: 'ap-shanghai' }).env;
    const functionVariables = Object.fromEntries(
      Object.entries(filled).filter(([name]) => name.startsWith('ROTATION_')),
    );
    const deployed = loadEnvConfig({
      ...credentials,
      TENCENTCLOUD_REGION: 'ap-shanghai',
      ...functionVariables,
    });
    const unset = loadEnvConfig({ ...credentials, TENCENTCLOUD_REGION: 'ap-shanghai', ...CI_ENV });
    expect({ ...deployed, endpoints: {} }).toEqual(unset);
    expect(deployed.endpoints).toEqual({
      cvm: { protocol: 'https://', endpoint: 'cvm.tencentcloudapi.com' },
      ssm: { protocol: 'https://', endpoint: 'ssm.tencentcloudapi.com' },
      scf: { protocol: 'https://', endpoint: 'scf.tencentcloudapi.com' },
    });
    expect(filled.ROTATION_REGIONS).toBe('ap-shanghai');
    expect(filled.ROTATION_CVM_ENDPOINT).toBe(OFFICIAL_ENDPOINTS.ROTATION_CVM_ENDPOINT);
  });

  it('never replace a set variable, treat a blank one as unset and report ROTATION_TAGS missing', () => {
    const result = fillDeployEnv({ ROTATION_DRY_RUN: 'true', ROTATION_PASSWORD_LENGTH: ' ' });
    expect(result.env.ROTATION_DRY_RUN).toBe('true');
    expect(result.env.ROTATION_PASSWORD_LENGTH).toBe('16');
    expect(result.env.DEPLOY_ROLE).toBe(DEPLOY_DEFAULTS.DEPLOY_ROLE);
    expect(result.filled).toContain('ROTATION_PASSWORD_LENGTH');
    expect(result.filled).not.toContain('ROTATION_DRY_RUN');
    expect(result.missing).toEqual(['ROTATION_TAGS']);
    expect(fillDeployEnv(CI_ENV).missing).toEqual([]);
  });
});

describe('the handler run against the emulator', () => {
  it('a handler that reports a failed run fails the check', async () => {
    const bundle =
      'exports.main_handler = async () => ({ status: "failed", dryRun: false, counts: { rotated: 0, failed: 6 } });\n';
    const result = await checkVariant({}, { handler: 'run' }, bundle);
    expect(errors(result)).toContainEqual(
      expect.stringMatching(
        /index\.main_handler answered a timer event with status failed, 0 rotated, 6 failed/,
      ),
    );
  });

  it('a handler that throws fails the check with its error', async () => {
    const bundle = 'exports.main_handler = async () => { throw new TypeError("boom"); };\n';
    const result = await checkVariant({}, { handler: 'run' }, bundle);
    expect(errors(result)).toContainEqual(
      expect.stringMatching(/failed on a timer event against the emulator: TypeError: boom/),
    );
  });

  it('restores the environment and stdout after the run', async () => {
    const before = { ...process.env };
    const write = process.stdout.write;
    await checkVariant({}, { handler: 'run' }, 'exports.main_handler = async () => ({});\n');
    expect(process.env).toEqual(before);
    expect(process.stdout.write).toBe(write);
  });
});
