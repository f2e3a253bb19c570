/**
 * `npm run check:deploy [-- <path/to/serverless.yml>] [--stage <stage>]`: the offline deployment
 * check, run in CI and by `npm run deploy` before it calls the Serverless CLI.
 *
 * No CLI validates a `component: scf` file offline: the component's input checks run server-side,
 * after the upload (facts/serverless-deploy.md §4.1–4.3). This script enforces what can be known
 * here:
 *
 * 1. the file against the rules of the scf component's schema (serverless-components/tencent-scf
 *    `serverless.component.yml` v0.9.x, the 15 rules of facts §4.2) and of SCF itself
 *    (facts/tencent-cloud-api.md §6: reserved variable prefixes, the 4 KB environment);
 * 2. the function's environment as it would be deployed (each `${env:X}` resolved, unset ones
 *    filled with the defaults `npm run deploy` uses) against the function's own configuration
 *    parser, src/config/env.ts, so a bad value fails here and not at 03:00;
 * 3. the BUILT handler: `<src>/index.js` exports `main_handler`, and answers a timer event against
 *    the local emulator (127.0.0.1) with a succeeded report, as SCF would call it: the credentials
 *    under SCF's names (TENCENTCLOUD_SECRETID/SECRETKEY/SESSIONTOKEN), a context with
 *    `time_limit_in_ms`.
 *
 * It prints `WARN …` / `ERROR …` lines (and a few `INFO …` lines), then `OK` or
 * `FAILED (<n> errors)`, and exits 1 on any error. It never prints a password or a key.
 *
 * The module also exports what scripts/deploy.mjs needs (it loads this file through tsx), so the
 * deploy script and the check share one list of defaults.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load as loadYaml } from 'js-yaml';
import { ENV_DEFAULTS, ENV_VARIABLES, loadEnvConfig } from '../src/config/env';
import { parseEvent } from '../src/config/event';
import { regionProblem } from '../src/config/rules';
import { type Emulator, type InstanceSeed, startEmulator } from '../src/emulator';
import { PROXY_VARIABLES } from '../src/emulator/proxy';
import { isInputError } from '../src/errors';

export type Level = 'ERROR' | 'WARN' | 'INFO';

export interface Finding {
  readonly level: Level;
  readonly message: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

export interface CheckOptions {
  /** Where `${env:X}` is read from. Default: process.env. */
  readonly env?: Env;
  /** The stage `${stage}` stands for. Default: the file's `stage`, else `dev` (the CLI's default). */
  readonly stage?: string;
  /**
   * `check` (CI): a variable that `npm run deploy` would refuse is a warning. `deploy`: the same
   * is an error, because the deploy is about to happen with exactly this environment.
   */
  readonly mode?: 'check' | 'deploy';
  /**
   * `run` (default): load the built handler and run it against the emulator. `load`: only check
   * that it exports the function. `skip`: the file only (unit tests of the static rules).
   */
  readonly handler?: 'run' | 'load' | 'skip';
}

export interface CheckResult {
  readonly findings: readonly Finding[];
  readonly errors: number;
  readonly warnings: number;
}

// ---------------------------------------------------------------------------------------------
// The rules' constants, with their sources.

/**
 * Node.js runtimes of SCF's API (tccli `CreateFunction.Runtime`, facts/tencent-cloud-api.md §6).
 * The bundle targets node16 (scripts/build.mjs), so only the last two can run it.
 */
export const SCF_NODE_RUNTIMES = [
  'Nodejs6.10',
  'Nodejs8.9',
  'Nodejs10.15',
  'Nodejs12.16',
  'Nodejs14.18',
  'Nodejs16.13',
  'Nodejs18.15',
] as const;
const BUNDLE_RUNTIMES = new Set<string>(['Nodejs16.13', 'Nodejs18.15']);
/** The Node subset of the scf component v0.9.x allow-list (facts/serverless-deploy.md §2.2, §4.2 rule 7). */
export const COMPONENT_NODE_RUNTIMES = [
  'Nodejs10.15',
  'Nodejs12.16',
  'Nodejs14.18',
  'Nodejs16.13',
] as const;

/** `inputs.name`: 2–60 characters, a letter first, a letter or digit last (facts §2.2, rule 6). */
const FUNCTION_NAME = /^[A-Za-z][\w-]{0,58}[A-Za-z0-9]$/;
/** Timer trigger name: a letter first, at most 60 of [A-Za-z0-9_-] (facts §2.3, rule 14). */
const TIMER_NAME = /^[A-Za-z][\w-]{0,59}$/;
/** SCF environment variable names: a letter first, [A-Za-z0-9_], 2–64 bytes (facts/tencent-cloud-api.md §6). */
const VARIABLE_NAME = /^[A-Za-z][A-Za-z0-9_]{1,63}$/;
/** Users cannot set variables with these prefixes (facts/tencent-cloud-api.md §6). */
export const RESERVED_PREFIXES = ['SCF_', 'QCLOUD_', 'TENCENTCLOUD_'] as const;
/** Each value, and all names plus values together, at most 4 KB (facts/tencent-cloud-api.md §6). */
export const ENVIRONMENT_LIMIT_BYTES = 4096;
/** The timer argument (CustomArgument) is at most 4 KB (facts §2.3, rule 15). */
export const TIMER_ARGUMENT_LIMIT_BYTES = 4096;
/** SCF's maximum timeout; async-run mode allows up to 24 h (facts/tencent-cloud-api.md §6). */
const MAX_TIMEOUT_SECONDS = 900;
const MAX_ASYNC_TIMEOUT_SECONDS = 86_400;
/** Variable sources Serverless Components accept; everything else throws or stays unresolved (facts §2.4). */
const SERVER_SIDE_VARIABLES = new Set(['name', 'stage', 'app', 'org']);
const CLASSIC_VARIABLE = /^(self|opt|sls|cf|s3|ssm|file\(|output)/;

/**
 * Variables the function may carry besides its own ROTATION_* ones. Documented in docs/deploy.md:
 * `TZ` changes nothing the rotator does (it logs UTC), `NODE_OPTIONS` allows e.g.
 * `--max-old-space-size` for very large fleets.
 */
export const EXTRA_FUNCTION_VARIABLES = ['TZ', 'NODE_OPTIONS'] as const;

const FUNCTION_VARIABLES: readonly string[] = ENV_VARIABLES.filter((name) =>
  name.startsWith('ROTATION_'),
);

// ---------------------------------------------------------------------------------------------
// Deploy-time defaults, shared with scripts/deploy.mjs.

/**
 * Variables of serverless.yml that only the deployment reads. They are deliberately not named
 * ROTATION_*: the function and the operator CLI reject unknown ROTATION_* variables (a typo guard
 * in src/config/env.ts), and an operator deploys and runs the CLI from the same shell.
 */
export const DEPLOY_DEFAULTS = {
  /** The function's region (SCF's TENCENTCLOUD_REGION at run time). */
  DEPLOY_REGION: 'ap-guangzhou',
  /** The execution role: carrier scf.qcloud.com, policy deploy/cam-policy.json (docs/deploy.md). */
  DEPLOY_ROLE: 'CvmPasswordRotatorRole',
} as const;

/** The SDK's own endpoints, which is what an unset ROTATION_*_ENDPOINT means. */
export const OFFICIAL_ENDPOINTS = {
  ROTATION_CVM_ENDPOINT: 'https://cvm.tencentcloudapi.com',
  ROTATION_SSM_ENDPOINT: 'https://ssm.tencentcloudapi.com',
  ROTATION_SCF_ENDPOINT: 'https://scf.tencentcloudapi.com',
} as const;

/** Required for an unattended timer run; `npm run deploy` refuses to deploy without them. */
export const REQUIRED_FOR_DEPLOY = ['ROTATION_TAGS'] as const;

const blank = (value: string | undefined): boolean => value === undefined || value.trim() === '';

/**
 * The value `npm run deploy` gives each variable of serverless.yml when it is unset (or blank).
 *
 * An unset `${env:X}` would deploy as undefined (facts §2.4; the toolkit then sends
 * `String(undefined)` or drops the key), so every variable gets a value that means what "unset"
 * means to the function (src/config/env.ts ENV_DEFAULTS):
 * - ROTATION_REGIONS: the deploy region, which is the function's TENCENTCLOUD_REGION;
 * - ROTATION_CVM_ENDPOINT / _SSM_ / _SCF_: the official HTTPS endpoints;
 * - a variable without a default value (ROTATION_KMS_KEY_ID: SSM's own key) gets "", which the
 *   function treats as unset;
 * - ROTATION_TAGS has none: it is required (issue [2]), see {@link REQUIRED_FOR_DEPLOY}.
 */
export function deployDefaults(env: Env = process.env): Record<string, string> {
  const region = blank(env.DEPLOY_REGION)
    ? DEPLOY_DEFAULTS.DEPLOY_REGION
    : (env.DEPLOY_REGION ?? '').trim();
  const defaults: Record<string, string> = { ...DEPLOY_DEFAULTS, DEPLOY_REGION: region };
  const known: Record<string, string | number | boolean> = ENV_DEFAULTS;
  for (const name of FUNCTION_VARIABLES) {
    if ((REQUIRED_FOR_DEPLOY as readonly string[]).includes(name)) continue;
    const value = known[name];
    if (value !== undefined) defaults[name] = String(value);
    else if (name === 'ROTATION_REGIONS') defaults[name] = region;
    else if (name in OFFICIAL_ENDPOINTS) {
      defaults[name] = OFFICIAL_ENDPOINTS[name as keyof typeof OFFICIAL_ENDPOINTS];
    } else defaults[name] = '';
  }
  return defaults;
}

export interface FilledEnvironment {
  /** The environment with every unset deploy variable filled. */
  readonly env: Record<string, string | undefined>;
  /** The names that were filled, sorted. */
  readonly filled: readonly string[];
  /** Required variables that are still unset. */
  readonly missing: readonly string[];
}

/** Fills the unset (or blank) deploy variables with {@link deployDefaults}; never changes a set one. */
export function fillDeployEnv(env: Env): FilledEnvironment {
  const out: Record<string, string | undefined> = { ...env };
  const filled: string[] = [];
  for (const [name, value] of Object.entries(deployDefaults(env))) {
    if (blank(env[name])) {
      out[name] = value;
      filled.push(name);
    }
  }
  const missing = REQUIRED_FOR_DEPLOY.filter((name) => blank(env[name]));
  return { env: out, filled: filled.sort(), missing };
}

// ---------------------------------------------------------------------------------------------
// Helpers.

type Yaml = Record<string, unknown>;

function isRecord(value: unknown): value is Yaml {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');

/** An integer from a YAML number or a numeric string (what `${env:…}` resolves to). */
function integerOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^\d{1,9}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** Placeholder for a value that a `${env:X}` would leave undefined. */
const UNRESOLVED = Symbol('unresolved');
type Resolved = string | typeof UNRESOLVED;

interface Context {
  readonly env: Env;
  readonly defaults: Record<string, string>;
  readonly mode: 'check' | 'deploy';
  readonly name: string;
  readonly app: string;
  readonly stage: string;
  readonly findings: Finding[];
  /** `${env:X}` names already reported as unset, so each is reported once. */
  readonly reported: Set<string>;
}

/** The value `${env:X}` would take at deploy time: the environment, else the deploy default. */
function envValue(ctx: Context, name: string): string | undefined {
  const value = ctx.env[name];
  if (!blank(value)) return value;
  if (ctx.mode === 'check' && name in ctx.defaults) return ctx.defaults[name];
  // In deploy mode the environment has already been filled (fillDeployEnv); a blank value that
  // is still there is deployed as it is.
  return value;
}

/**
 * Resolves the `${…}` of one string as the CLI (`${env:}`) and the deploy engine (`${name}` …)
 * would. Returns UNRESOLVED when the whole string is an unset `${env:X}`: the CLI turns it into
 * undefined (facts §2.4).
 */
function resolveString(ctx: Context, text: string): Resolved {
  const whole = /^\$\{env:([^}]+)\}$/.exec(text);
  if (whole) {
    const value = envValue(ctx, whole[1] ?? '');
    return value === undefined ? UNRESOLVED : value;
  }
  return text.replace(/\$\{([^}]*)\}/g, (match, inner: string) => {
    if (inner.startsWith('env:')) return envValue(ctx, inner.slice(4)) ?? 'undefined';
    if (inner === 'name') return ctx.name;
    if (inner === 'app') return ctx.app;
    if (inner === 'stage') return ctx.stage;
    if (inner === 'org') return 'org';
    return match;
  });
}

/** Deep copy with every string resolved; UNRESOLVED marks a value the deploy would leave undefined. */
function resolveDeep(ctx: Context, value: unknown): unknown {
  if (typeof value === 'string') return resolveString(ctx, value);
  if (Array.isArray(value)) return value.map((item) => resolveDeep(ctx, item));
  if (isRecord(value)) {
    const out: Yaml = {};
    for (const [key, item] of Object.entries(value)) out[key] = resolveDeep(ctx, item);
    return out;
  }
  return value;
}

/** Every string in the parsed file (keys included) with its path, for the variable rules. */
function* strings(value: unknown, path: string): Generator<{ path: string; text: string }> {
  if (typeof value === 'string') yield { path, text: value };
  else if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) yield* strings(item, `${path}[${index}]`);
  } else if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      const child = path === '' ? key : `${path}.${key}`;
      yield { path: child, text: key };
      yield* strings(item, child);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The checks.

/**
 * Checks a serverless.yml (and, unless `handler: 'skip'`, the bundle it points at).
 *
 * @example
 * const result = await checkDeploy('serverless.yml');
 * for (const f of result.findings) console.log(`${f.level} ${f.message}`);
 */
export async function checkDeploy(
  ymlPath: string,
  options: CheckOptions = {},
): Promise<CheckResult> {
  const findings: Finding[] = [];
  const error = (message: string) => findings.push({ level: 'ERROR', message });
  const warn = (message: string) => findings.push({ level: 'WARN', message });
  const path = resolve(ymlPath);
  const done = (): CheckResult => ({
    findings,
    errors: findings.filter((f) => f.level === 'ERROR').length,
    warnings: findings.filter((f) => f.level === 'WARN').length,
  });

  let doc: unknown;
  try {
    doc = loadYaml(readFileSync(path, 'utf8'), { filename: path });
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    error(`${ymlPath}: cannot read or parse the YAML: ${reason}`);
    return done();
  }
  if (!isRecord(doc)) {
    error(`${ymlPath}: must be a YAML mapping (component, name, inputs)`);
    return done();
  }

  // Rule 1: the component.
  const component = doc.component;
  if (typeof component !== 'string' || !(component === 'scf' || component.startsWith('scf@'))) {
    error(
      'component must be "scf" (or "scf@<version>"): this file is for the Tencent SCF component',
    );
  }
  // Rule 2: the instance name.
  const instanceName = typeof doc.name === 'string' ? doc.name : '';
  if (instanceName === '') error('name (the component instance name) is required');
  // Rule 3: no classic-framework keys, which would send serverless@2 down the AWS path.
  for (const key of ['provider', 'service', 'functions']) {
    if (key in doc) {
      error(
        `"${key}" is a classic Serverless Framework key; a component file has component/name/inputs only`,
      );
    }
  }

  const env = options.env ?? process.env;
  const base: Context = {
    env,
    defaults: deployDefaults(env),
    mode: options.mode ?? 'check',
    name: instanceName,
    app: typeof doc.app === 'string' ? doc.app : instanceName,
    stage: 'dev',
    findings,
    reported: new Set(),
  };
  // The stage `${stage}` stands for: --stage, else the file's (it may be an ${env:}), else the
  // CLI's default, dev.
  const fileStage = typeof doc.stage === 'string' ? resolveString(base, doc.stage) : undefined;
  const stage =
    options.stage ?? (typeof fileStage === 'string' && fileStage !== '' ? fileStage : 'dev');
  const context: Context = { ...base, stage };
  const mode = context.mode;

  // Rules 4 and 5: variable sources, and unset ${env:X}.
  for (const { path: where, text } of strings(doc, '')) {
    for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
      const inner = match[1] ?? '';
      if (inner.startsWith('env:')) {
        const name = inner.slice(4);
        if (!/^[A-Za-z_][\w.-]*$/.test(name)) {
          error(`${where}: \${${inner}} is not a valid environment variable reference`);
          continue;
        }
        if (envValue(context, name) === undefined && !context.reported.has(name)) {
          context.reported.add(name);
          const required = (REQUIRED_FOR_DEPLOY as readonly string[]).includes(name);
          const message = `\${env:${name}} is unset -> would deploy as undefined${required ? ' (npm run deploy refuses to deploy without it)' : ''}`;
          if (mode === 'deploy') error(message);
          else warn(message);
        }
      } else if (!SERVER_SIDE_VARIABLES.has(inner)) {
        const classic = CLASSIC_VARIABLE.test(inner);
        error(
          `${where}: \${${inner}} is not supported by Serverless Components${classic ? ' ("do not support this Variable")' : ''}; use only \${env:X}, \${name}, \${stage}, \${app} or \${org}`,
        );
      }
    }
  }

  const inputs = doc.inputs;
  if (!isRecord(inputs)) {
    error('inputs is required (the function configuration)');
    return done();
  }
  const resolved = resolveDeep(context, inputs) as Yaml;

  checkFunctionName(context, resolved.name);
  checkRuntime(context, resolved.runtime);
  const memory = checkMemory(context, resolved.memorySize);
  const asyncRun = resolved.asyncRunEnable === true;
  const timeout = checkTimeout(context, resolved.timeout, asyncRun);
  if (asyncRun && !isRecord(resolved.cls)) {
    error('asyncRunEnable needs cls { logsetId, topicId }: async-run mode ships its logs to CLS');
  }
  checkRegion(context, resolved.region);
  if (resolved.type !== undefined && resolved.type !== 'event') {
    error(`type must be "event" (a timer-triggered function), not "${String(resolved.type)}"`);
  }
  if (resolved.installDependency === true) {
    warn(
      'installDependency: true makes SCF run npm install on upload; the esbuild bundle needs none',
    );
  }
  if (resolved.role === undefined || resolved.role === UNRESOLVED || resolved.role === '') {
    const message =
      'role (the execution role) is not set: the function would get no credentials (docs/deploy.md)';
    if (mode === 'deploy') error(message);
    else warn(message);
  }
  const functionName =
    typeof resolved.name === 'string' ? resolved.name : `${instanceName}-${stage}`;
  checkEnvironment(context, resolved.environment);
  checkPolicyAgreement(context, dirname(path), resolved.environment);
  const timerName = checkEvents(context, resolved.events);

  // Rules 10–12 and the run: the bundle.
  const handlerFile = checkSource(context, dirname(path), resolved.src, resolved.handler);
  if (handlerFile && options.handler !== 'skip') {
    const handler = loadHandler(context, handlerFile.file, handlerFile.exportName);
    if (handler && options.handler !== 'load') {
      await runHandler(context, handler, {
        functionName,
        timerName: timerName ?? 'check-deploy',
        timeLimitMs: Math.min(timeout ?? MAX_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS) * 1000,
        memoryMb: memory ?? 128,
        handlerName: handlerFile.handlerName,
      });
    }
  }
  return done();
}

function push(ctx: Context, level: Level, message: string): void {
  ctx.findings.push({ level, message });
}

/** Rule 6. */
function checkFunctionName(ctx: Context, value: unknown): void {
  const name = value === undefined ? `${ctx.name}-${ctx.stage}-${ctx.app}` : value;
  if (typeof name !== 'string' || !FUNCTION_NAME.test(name)) {
    push(
      ctx,
      'ERROR',
      `inputs.name "${String(name === UNRESOLVED ? 'undefined' : name)}" is not a valid SCF function name: 2-60 characters, a letter first, then letters, digits, "-" or "_", ending with a letter or digit`,
    );
  }
}

/** Rule 7, with SCF's API list as the error bound. */
function checkRuntime(ctx: Context, value: unknown): void {
  if (value === undefined) {
    push(
      ctx,
      'ERROR',
      'inputs.runtime is not set: the component defaults to Nodejs10.15, which cannot run the node16 bundle',
    );
    return;
  }
  const runtime = String(value);
  if (!(SCF_NODE_RUNTIMES as readonly string[]).includes(runtime)) {
    push(
      ctx,
      'ERROR',
      `inputs.runtime "${runtime}" is not an SCF Node.js runtime (${SCF_NODE_RUNTIMES.join(', ')})`,
    );
  } else if (!BUNDLE_RUNTIMES.has(runtime)) {
    push(
      ctx,
      'ERROR',
      `inputs.runtime "${runtime}" is too old: the bundle targets node16; use Nodejs18.15 or Nodejs16.13`,
    );
  } else if (!(COMPONENT_NODE_RUNTIMES as readonly string[]).includes(runtime)) {
    push(
      ctx,
      'WARN',
      `inputs.runtime ${runtime} is in SCF's API list but not in the scf component's published allow-list (which stops at Nodejs16.13); if the deploy rejects it, set runtime: Nodejs16.13 (the bundle runs on both)`,
    );
  }
}

/** Rule 8. Returns the memory size when valid. */
function checkMemory(ctx: Context, value: unknown): number | undefined {
  if (value === undefined) {
    push(ctx, 'WARN', 'inputs.memorySize is not set: the component defaults to 128 MB');
    return undefined;
  }
  const memory = integerOf(value);
  if (
    memory === undefined ||
    !(memory === 64 || (memory % 128 === 0 && memory >= 128 && memory <= 3072))
  ) {
    push(
      ctx,
      'ERROR',
      `inputs.memorySize ${String(value)} not allowed: 64, or a multiple of 128 from 128 to 3072 (MB)`,
    );
    return undefined;
  }
  return memory;
}

/** Rule 9. Returns the timeout when valid. */
function checkTimeout(ctx: Context, value: unknown, asyncRun: boolean): number | undefined {
  if (value === undefined) {
    push(
      ctx,
      'ERROR',
      'inputs.timeout is not set: SCF defaults to 3 s, far too short for a rotation (use 900)',
    );
    return undefined;
  }
  const timeout = integerOf(value);
  const max = asyncRun ? MAX_ASYNC_TIMEOUT_SECONDS : MAX_TIMEOUT_SECONDS;
  if (timeout === undefined || timeout < 1 || timeout > max) {
    push(
      ctx,
      'ERROR',
      `inputs.timeout ${String(value)} not allowed: 1-${max} seconds${asyncRun ? ' in async-run mode' : ' (more needs asyncRunEnable, docs/deploy.md)'}`,
    );
    return undefined;
  }
  return timeout;
}

function checkRegion(ctx: Context, value: unknown): void {
  if (value === undefined || value === UNRESOLVED) {
    push(ctx, 'WARN', 'inputs.region is not set: the component deploys to ap-guangzhou');
    return;
  }
  const problem = regionProblem(String(value));
  if (problem) push(ctx, 'ERROR', `inputs.region ${problem.message}`);
}

/** SCF's environment rules, the function's own variable list, and its configuration parser. */
function checkEnvironment(ctx: Context, environment: unknown): void {
  const variables = isRecord(environment) ? environment.variables : undefined;
  if (variables === undefined) {
    push(
      ctx,
      'ERROR',
      'inputs.environment.variables is missing: the function needs at least ROTATION_TAGS',
    );
    return;
  }
  if (!isRecord(variables)) {
    push(ctx, 'ERROR', 'inputs.environment.variables must be a mapping of NAME: value');
    return;
  }
  const known = new Set<string>([...FUNCTION_VARIABLES, ...EXTRA_FUNCTION_VARIABLES]);
  const values: Record<string, string> = {};
  let total = 0;
  for (const [name, raw] of Object.entries(variables)) {
    const reserved = RESERVED_PREFIXES.find((prefix) => name.toUpperCase().startsWith(prefix));
    if (reserved) {
      push(
        ctx,
        'ERROR',
        `environment variable ${name}: names starting with ${reserved} are reserved by SCF${name.startsWith('TENCENTCLOUD_SECRET') ? ' (the execution role injects the credentials; never set keys here)' : ''}`,
      );
      continue;
    }
    if (!VARIABLE_NAME.test(name)) {
      push(
        ctx,
        'ERROR',
        `environment variable ${name}: a name is a letter then 1-63 letters, digits or "_"`,
      );
    } else if (!known.has(name)) {
      push(
        ctx,
        'ERROR',
        `environment variable ${name} is not a variable of the function (src/config/env.ts ENV_VARIABLES) nor a documented extra (${EXTRA_FUNCTION_VARIABLES.join(', ')})`,
      );
    }
    if (raw === UNRESOLVED || raw === undefined || raw === null) continue; // reported by rule 5
    const value = typeof raw === 'string' ? raw : JSON.stringify(raw);
    values[name] = value;
    if (bytes(value) > ENVIRONMENT_LIMIT_BYTES) {
      push(
        ctx,
        'ERROR',
        `environment variable ${name}: its value is ${bytes(value)} bytes; SCF allows ${ENVIRONMENT_LIMIT_BYTES}`,
      );
    }
    total += bytes(name) + bytes(value);
  }
  if (total > ENVIRONMENT_LIMIT_BYTES) {
    push(
      ctx,
      'ERROR',
      `environment: ${total} bytes of names and values in all; SCF allows ${ENVIRONMENT_LIMIT_BYTES}`,
    );
  }
  const missing = FUNCTION_VARIABLES.filter((name) => !(name in variables));
  if (missing.length > 0) {
    push(
      ctx,
      'WARN',
      `environment: ${missing.join(', ')} not fed from \${env:…}; the function will use its defaults and operators cannot set them at deploy time`,
    );
  }

  // The deployed environment through the function's own parser, with stand-in credentials (the
  // execution role provides the real ones). A problem names the variable, never a secret.
  try {
    loadEnvConfig({
      ...values,
      TENCENTCLOUD_SECRETID: 'check-deploy',
      TENCENTCLOUD_SECRETKEY: 'check-deploy',
    });
  } catch (cause) {
    if (!isInputError(cause)) throw cause;
    for (const problem of cause.problems) push(ctx, 'ERROR', `environment: ${problem}`);
  }

  // A local endpoint left in the shell after working with the emulator must not reach the cloud.
  for (const name of Object.keys(OFFICIAL_ENDPOINTS)) {
    const value = values[name];
    if (value === undefined || value === '') continue;
    if (!value.startsWith('https://') || /\/\/(127\.|localhost|\[?::1)/.test(value)) {
      push(
        ctx,
        ctx.mode === 'deploy' ? 'ERROR' : 'WARN',
        `environment: ${name} is a local or plain-http endpoint; the deployed function would not reach Tencent Cloud (unset it to use ${OFFICIAL_ENDPOINTS[name as keyof typeof OFFICIAL_ENDPOINTS]})`,
      );
    }
  }

  // The fan-out invokes the function itself: a permission the base policy leaves out on purpose.
  if (values.ROTATION_FANOUT?.trim().toLowerCase() === 'true') {
    push(
      ctx,
      'WARN',
      'environment: ROTATION_FANOUT=true: attach deploy/cam-policy-invoke.json (scf:InvokeFunction on this function) to the execution role, or every fanned-out run fails',
    );
  }
}

interface Statement {
  readonly action?: unknown;
  readonly resource?: unknown;
  readonly condition?: unknown;
}

const asList = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value]).filter(
    (item): item is string => typeof item === 'string',
  );

/**
 * The secret prefix and the tag selection must agree with deploy/cam-policy.json, or every run
 * fails with UnauthorizedOperation: warn here rather than at 03:00.
 */
function checkPolicyAgreement(ctx: Context, root: string, environment: unknown): void {
  const policyPath = join(root, 'deploy', 'cam-policy.json');
  if (!existsSync(policyPath)) return;
  let statements: Statement[];
  try {
    const policy: unknown = JSON.parse(readFileSync(policyPath, 'utf8'));
    statements = isRecord(policy) && Array.isArray(policy.statement) ? policy.statement : [];
  } catch {
    push(ctx, 'ERROR', 'deploy/cam-policy.json is not valid JSON');
    return;
  }
  const variables =
    isRecord(environment) && isRecord(environment.variables) ? environment.variables : {};
  const text = (name: string): string | undefined => {
    const value = variables[name];
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  };
  const prefix = text('ROTATION_SECRET_PREFIX') ?? ENV_DEFAULTS.ROTATION_SECRET_PREFIX;
  const secretResources = statements
    .flatMap((s) => asList(s.resource))
    .filter((r) => r.includes(':secret/creatorUin/'));
  if (secretResources.length > 0 && !secretResources.some((r) => r.endsWith(`/${prefix}-*`))) {
    push(
      ctx,
      'WARN',
      `ROTATION_SECRET_PREFIX "${prefix}" does not match the secret resources of deploy/cam-policy.json; update the policy or the role cannot write the secrets`,
    );
  }
  const tags = text('ROTATION_TAGS');
  if (tags === undefined) return;
  const allowed = statements
    .filter((s) => asList(s.action).includes('cvm:ResetInstancesPassword'))
    .flatMap((s) => {
      const condition = isRecord(s.condition)
        ? s.condition['for_any_value:string_equal']
        : undefined;
      return isRecord(condition) ? asList(condition['qcs:resource_tag']) : [];
    });
  const wanted = tags.split(',').map((tag) => tag.trim().replace('=', '&'));
  if (allowed.length > 0 && !wanted.some((tag) => allowed.includes(tag))) {
    push(
      ctx,
      'WARN',
      `ROTATION_TAGS (${tags}) names no tag that deploy/cam-policy.json allows resetting (${allowed.join(', ')}); update the policy's qcs:resource_tag condition`,
    );
  }
}

/** Rules 13–15 plus the argument's content. Returns the first timer's name. */
function checkEvents(ctx: Context, events: unknown): string | undefined {
  if (events === undefined) {
    push(
      ctx,
      'WARN',
      'inputs.events has no timer trigger: the function would only run when invoked by hand',
    );
    return undefined;
  }
  if (!Array.isArray(events)) {
    push(ctx, 'ERROR', 'inputs.events must be a list of triggers (- timer: {parameters: …})');
    return undefined;
  }
  let firstTimer: string | undefined;
  let timers = 0;
  for (const [index, item] of events.entries()) {
    if (!isRecord(item) || !isRecord(item.timer)) continue;
    timers++;
    const where = `inputs.events[${index}].timer`;
    const parameters = item.timer.parameters;
    if (!isRecord(parameters)) {
      push(ctx, 'ERROR', `${where}.parameters is required (cronExpression, enable, …)`);
      continue;
    }
    const { name, cronExpression: cron, enable, argument } = parameters;
    if (name !== undefined) {
      if (typeof name !== 'string' || !TIMER_NAME.test(name)) {
        push(
          ctx,
          'ERROR',
          `${where}.parameters.name "${String(name)}" is not a valid timer name: a letter first, at most 60 characters of letters, digits, "-" and "_" (longer names are silently not created)`,
        );
      } else firstTimer ??= name;
    }
    if (typeof cron !== 'string' || cron.trim() === '') {
      push(ctx, 'ERROR', `${where}.parameters.cronExpression is required`);
    } else {
      const fields = cron.trim().split(/\s+/);
      if (fields.length === 5) {
        push(
          ctx,
          'WARN',
          `${where}.parameters.cronExpression "${cron}" uses the legacy 5-field syntax; SCF recommends 7 fields (second minute hour day month week year)`,
        );
      } else if (fields.length !== 7) {
        push(
          ctx,
          'ERROR',
          `${where}.parameters.cronExpression "${cron}" has ${fields.length} fields; SCF cron has 7 (second minute hour day month week year)`,
        );
      } else if (/[*/]/.test(fields[0] ?? '')) {
        push(
          ctx,
          'WARN',
          `${where}.parameters.cronExpression "${cron}" fires more than once a minute`,
        );
      }
      if (!fields.every((field) => /^[\w*?/,#-]+$/.test(field))) {
        push(
          ctx,
          'ERROR',
          `${where}.parameters.cronExpression "${cron}" contains characters a cron field cannot have`,
        );
      }
    }
    if (enable === undefined) {
      push(
        ctx,
        'WARN',
        `${where}.parameters.enable is not set: set it to true explicitly (the component's docs and schema disagree on the default)`,
      );
    } else if (enable !== true) {
      push(
        ctx,
        'WARN',
        `${where}.parameters.enable is ${String(enable)}: the timer is deployed disabled`,
      );
    }
    checkArgument(ctx, where, argument, typeof name === 'string' ? name : 'timer');
  }
  if (timers === 0) {
    push(
      ctx,
      'WARN',
      'inputs.events has no timer trigger: the function would only run when invoked by hand',
    );
  }
  return firstTimer;
}

/** Rule 15, and the argument through the function's own event parser with a Timer envelope. */
function checkArgument(ctx: Context, where: string, argument: unknown, triggerName: string): void {
  if (argument === undefined || argument === UNRESOLVED) return;
  const text = typeof argument === 'string' ? argument : JSON.stringify(argument);
  if (bytes(text) > TIMER_ARGUMENT_LIMIT_BYTES) {
    push(
      ctx,
      'ERROR',
      `${where}.parameters.argument is ${bytes(text)} bytes; a timer argument is at most ${TIMER_ARGUMENT_LIMIT_BYTES} bytes`,
    );
    return;
  }
  if (text.trim() === '') return;
  try {
    parseEvent({
      Type: 'Timer',
      TriggerName: triggerName,
      Time: new Date().toISOString(),
      Message: text,
    });
  } catch (cause) {
    if (!isInputError(cause)) throw cause;
    for (const problem of cause.problems) {
      push(ctx, 'ERROR', `${where}.parameters.argument: ${problem}`);
    }
  }
}

/** Rules 10 and 11: the code folder and the handler file in it. */
function checkSource(
  ctx: Context,
  root: string,
  src: unknown,
  handlerValue: unknown,
): { file: string; exportName: string; handlerName: string } | undefined {
  const folder = typeof src === 'string' ? src : isRecord(src) ? src.src : undefined;
  if (typeof folder !== 'string' || folder === '') {
    push(ctx, 'ERROR', 'inputs.src (a folder, or { src: folder, exclude: […] }) is required');
    return undefined;
  }
  if (isRecord(src)) {
    const exclude = asList(src.exclude);
    if (!exclude.some((glob) => glob.includes('.env'))) {
      push(
        ctx,
        'WARN',
        'inputs.src.exclude should exclude .env* files (they can hold deploy keys)',
      );
    }
    if (!exclude.some((glob) => glob.includes('.map'))) {
      push(
        ctx,
        'WARN',
        'inputs.src.exclude should exclude **/*.map (source maps are not needed at run time)',
      );
    }
  }
  const handler = handlerValue === undefined ? 'index.main_handler' : String(handlerValue);
  const dot = handler.lastIndexOf('.');
  const fileName = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  if (dot <= 0 || !/^[A-Za-z][\w./-]*$/.test(fileName) || !/^[A-Za-z_$][\w$]*$/.test(exportName)) {
    push(
      ctx,
      'ERROR',
      `inputs.handler "${handler}" must be <file>.<function>, e.g. index.main_handler`,
    );
    return undefined;
  }
  const base = isAbsolute(folder) ? folder : join(root, folder);
  const file = join(base, `${fileName}.js`);
  if (!existsSync(file)) {
    push(ctx, 'ERROR', `${join(folder, `${fileName}.js`)} not found: build first (npm run build)`);
    return undefined;
  }
  return { file, exportName, handlerName: handler };
}

type Handler = (event: unknown, context: Record<string, unknown>) => unknown;

/** Rule 12: the file loads as CommonJS and exports the function. */
function loadHandler(ctx: Context, file: string, exportName: string): Handler | undefined {
  const require = createRequire(import.meta.url);
  let loaded: unknown;
  try {
    delete require.cache[file];
    loaded = require(file);
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    push(ctx, 'ERROR', `${file} cannot be loaded with require() (SCF loads CommonJS): ${reason}`);
    return undefined;
  }
  // Node >= 20.19 can require() an ES module; SCF's Node 16 and 18 cannot (facts §5: emit CommonJS).
  if (isRecord(loaded) && Object.prototype.toString.call(loaded) === '[object Module]') {
    push(
      ctx,
      'ERROR',
      `${file} is an ES module; SCF's Nodejs16.13/18.15 require() cannot load it: bundle as CommonJS`,
    );
    return undefined;
  }
  const candidate =
    isRecord(loaded) || typeof loaded === 'function' ? (loaded as Yaml)[exportName] : undefined;
  if (typeof candidate !== 'function') {
    push(ctx, 'ERROR', `${file} does not export ${exportName} (the handler SCF calls)`);
    return undefined;
  }
  return candidate as Handler;
}

// ---------------------------------------------------------------------------------------------
// The handler against the emulator.

/** A small fleet: both OS families and three admin users, all STOPPED so no ForceStop is needed. */
const SMOKE_FLEET: InstanceSeed[] = [
  ['ins-chk00001', 'CentOS 7.9 64bit'],
  ['ins-chk00002', 'Ubuntu Server 22.04 LTS 64bit'],
  ['ins-chk00003', 'Windows Server 2022 DataCenter 64bit'],
  ['ins-chk00004', 'TencentOS Server 3.1 (TK4)'],
  ['ins-chk00005', 'Debian 12.0 64bit'],
  ['ins-chk00006', 'Windows Server 2019 DataCenter 64bit'],
].map(([id, os]) => ({
  InstanceId: id as string,
  region: 'ap-guangzhou',
  OsName: os as string,
  InstanceState: 'STOPPED' as const,
  Tags: { rotation: 'enabled' },
}));

const MUTATING =
  /^(ResetInstancesPassword|CreateSecret|PutSecretValue|UpdateSecret|DeleteSecretVersion|DeleteSecret)$/;

interface RunSettings {
  readonly functionName: string;
  readonly timerName: string;
  readonly timeLimitMs: number;
  readonly memoryMb: number;
  /** `index.main_handler`, for messages. */
  readonly handlerName: string;
}

interface ReportShape {
  readonly status?: unknown;
  readonly dryRun?: unknown;
  readonly counts?: {
    readonly rotated?: unknown;
    readonly failed?: unknown;
    readonly planned?: unknown;
  };
}

/**
 * Calls the built handler exactly as SCF would, against the emulator: a timer event with an empty
 * Message, then a manual dry run, then a misspelt manual key that must be rejected. The bundle reads
 * process.env, so the environment is swapped for the call and restored after; its audit log
 * (stdout) is captured, checked to be JSON lines, and scanned for every password the emulator saw.
 */
async function runHandler(ctx: Context, handler: Handler, settings: RunSettings): Promise<void> {
  const token = (n: number) => randomBytes(n).toString('hex');
  // Temporary keys, as the execution role's are: the session token is required too.
  const credential = { secretId: `AKID${token(16)}`, secretKey: token(16), token: token(24) };
  let emulator: Emulator | undefined;
  const saved = { ...process.env };
  const captured: string[] = [];
  const write = process.stdout.write;
  const started = Date.now();
  try {
    emulator = await startEmulator({ fleet: SMOKE_FLEET, credentials: [credential], seed: 7 });
    for (const name of Object.keys(process.env)) {
      if (
        name.startsWith('ROTATION_') ||
        name.startsWith('TENCENTCLOUD_') ||
        (PROXY_VARIABLES as readonly string[]).includes(name)
      ) {
        delete process.env[name];
      }
    }
    Object.assign(process.env, {
      TENCENTCLOUD_SECRETID: credential.secretId,
      TENCENTCLOUD_SECRETKEY: credential.secretKey,
      TENCENTCLOUD_SESSIONTOKEN: credential.token,
      TENCENTCLOUD_REGION: 'ap-guangzhou',
      ROTATION_TAGS: 'rotation=enabled',
      ROTATION_CVM_ENDPOINT: emulator.url,
      ROTATION_SSM_ENDPOINT: emulator.url,
    });
    process.stdout.write = ((chunk: string | Uint8Array) => {
      captured.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof process.stdout.write;

    const context = (id: string) => ({
      request_id: `check-deploy-${id}-${token(4)}`,
      function_name: settings.functionName,
      namespace: 'default',
      function_version: '$LATEST',
      time_limit_in_ms: settings.timeLimitMs,
      memory_limit_in_mb: settings.memoryMb,
      tencentcloud_region: 'ap-guangzhou',
    });
    const timer = {
      Type: 'Timer',
      TriggerName: settings.timerName,
      Time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      Message: '',
    };
    const report = (await handler(timer, context('timer'))) as ReportShape | undefined;
    const rotated = Number(report?.counts?.rotated ?? 0);
    if (report?.status !== 'succeeded' || rotated === 0 || Number(report.counts?.failed ?? 0) > 0) {
      push(
        ctx,
        'ERROR',
        `${settings.handlerName} answered a timer event with status ${String(report?.status)}, ${rotated} rotated, ${String(report?.counts?.failed)} failed; expected succeeded with ${SMOKE_FLEET.length} rotated`,
      );
      return;
    }

    const before = emulator.state.calls().filter((c) => MUTATING.test(c.action)).length;
    const dry = (await handler({ dryRun: true, reason: 'check:deploy' }, context('dry'))) as
      | ReportShape
      | undefined;
    const after = emulator.state.calls().filter((c) => MUTATING.test(c.action)).length;
    if (dry?.status !== 'succeeded' || dry.dryRun !== true || after !== before) {
      push(
        ctx,
        'ERROR',
        `${settings.handlerName} answered a manual dry run with status ${String(dry?.status)} and ${after - before} mutating calls; expected succeeded and none`,
      );
    }

    const rejected = await Promise.resolve(handler({ dryrun: true }, context('bad'))).then(
      () => false,
      (cause: unknown) => cause instanceof Error && /dryrun/.test(cause.message),
    );
    if (!rejected) {
      push(
        ctx,
        'ERROR',
        `${settings.handlerName} did not reject a manual event with the unknown key "dryrun"`,
      );
    }

    const lines = captured
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '');
    const events = new Set<string>();
    for (const line of lines) {
      try {
        const parsed: unknown = JSON.parse(line);
        if (isRecord(parsed) && typeof parsed.event === 'string') events.add(parsed.event);
      } catch {
        push(
          ctx,
          'ERROR',
          'the handler wrote a stdout line that is not JSON; SCF ships stdout to CLS as the audit log',
        );
        break;
      }
    }
    for (const event of ['run.started', 'run.finished']) {
      if (!events.has(event)) push(ctx, 'ERROR', `the handler's audit log has no ${event} event`);
    }
    const output = captured.join('') + JSON.stringify([report, dry]);
    const leaked = emulator.state
      .receivedSecrets()
      .filter((s) => s.length >= 6 && output.includes(s));
    if (
      leaked.length > 0 ||
      output.includes(credential.secretKey) ||
      output.includes(credential.token)
    ) {
      push(
        ctx,
        'ERROR',
        'the handler printed a password or a key (its output contains a secret the emulator received)',
      );
    }
    push(
      ctx,
      'INFO',
      `${settings.handlerName} answered a timer event against the emulator: succeeded, ${rotated}/${SMOKE_FLEET.length} rotated, ${lines.length} audit lines, ${Date.now() - started} ms`,
    );
  } catch (cause) {
    const reason =
      cause instanceof Error ? `${cause.name}: ${cause.message.split('\n')[0]}` : String(cause);
    push(
      ctx,
      'ERROR',
      `${settings.handlerName} failed on a timer event against the emulator: ${reason}`,
    );
  } finally {
    process.stdout.write = write;
    for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
    Object.assign(process.env, saved);
    await emulator?.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The command.

/** `WARN …`/`ERROR …`/`INFO …` lines, then `OK` or `FAILED (n errors)`. */
export function formatResult(result: CheckResult): string {
  const lines = result.findings.map((f) => `${f.level} ${f.message}`);
  lines.push(
    result.errors === 0 ? 'OK' : `FAILED (${result.errors} error${result.errors === 1 ? '' : 's'})`,
  );
  return `${lines.join('\n')}\n`;
}

const USAGE = 'Usage: npm run check:deploy [-- <path/to/serverless.yml>] [--stage <stage>]';

async function main(argv: readonly string[]): Promise<number> {
  let path = 'serverless.yml';
  let stage: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    if (arg === '--stage') {
      stage = argv[++i];
      if (!stage) {
        process.stderr.write(`--stage needs a value\n${USAGE}\n`);
        return 2;
      }
    } else if (arg.startsWith('-')) {
      process.stderr.write(`unknown option ${arg}\n${USAGE}\n`);
      return 2;
    } else path = arg;
  }
  const result = await checkDeploy(path, stage === undefined ? {} : { stage });
  process.stdout.write(formatResult(result));
  return result.errors === 0 ? 0 : 1;
}

// Run only as the entry script (tsx scripts/check-deploy.ts), not when imported by deploy.mjs or a test.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (cause: unknown) => {
      process.stderr.write(
        `check:deploy crashed: ${cause instanceof Error ? cause.stack : String(cause)}\n`,
      );
      process.exit(1);
    },
  );
}
