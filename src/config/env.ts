/**
 * The function's environment variables, validated once at cold start.
 *
 * Every variable is listed in {@link ENV_VARIABLES}; `loadEnvConfig` reports EVERY problem at once
 * in a {@link ConfigError}, each naming the variable and the rule. Credential values never appear in
 * a problem, and neither does any other value except short identifiers (regions, tag keys) that
 * help to spot a typo. Blank variables (empty or spaces only, as the SCF console can leave them)
 * count as unset and take their default.
 *
 * ROTATION_TAGS is optional here because an event that names `instanceIds` needs no tags, and the
 * regions may come from the event; `resolveRunConfig` (./index.ts) enforces both after the merge.
 */
import { z } from 'zod';
import { credentialsFromEnv, type TencentCredentials } from '../cloud/tencent/credentials';
import { ConfigError } from '../errors';
import {
  formatForVariable,
  PASSWORD_SCOPES,
  type PasswordScope,
  parseTagString,
  regionListProblems,
  regionProblem,
  splitList,
  type TagMatcher,
  tagKeyProblems,
} from './rules';

/** An API endpoint override, in the shape of the Tencent SDK's `profile.httpProfile`. */
export interface EndpointOverride {
  /** `http://` or `https://`, with the `://` the SDK expects (facts/tencent-cloud-api.md §5.3). */
  readonly protocol: 'http://' | 'https://';
  /** `host` or `host:port`, no path. */
  readonly endpoint: string;
}

export interface Endpoints {
  readonly cvm?: EndpointOverride;
  readonly ssm?: EndpointOverride;
  /** ROTATION_SCF_ENDPOINT: where the fan-out (and the CLI's `invoke`) sends SCF Invoke. */
  readonly scf?: EndpointOverride;
}

/** The configuration the environment alone determines. See RunConfig (./index.ts) for each field. */
export interface EnvConfig {
  readonly credentials: TencentCredentials;
  /** TENCENTCLOUD_REGION (SCF sets it to the function's region); undefined when unset. */
  readonly region: string | undefined;
  /** ROTATION_REGIONS, else [TENCENTCLOUD_REGION], else [] (the event may still name regions). */
  readonly regions: readonly string[];
  /** ROTATION_TAGS; undefined when unset (the event may name tags or instance ids instead). */
  readonly tags: readonly TagMatcher[] | undefined;
  readonly excludeTag: string;
  readonly forceStop: boolean;
  readonly dryRun: boolean;
  readonly passwordScope: PasswordScope;
  readonly secretPrefix: string;
  readonly endpoints: Endpoints;
  readonly passwordLength: number;
  readonly keepVersions: number;
  readonly kmsKeyId: string | undefined;
  /** ROTATION_MAX_INSTANCES; 0 ("no limit") becomes Infinity so that `count > maxInstances` just works. */
  readonly maxInstances: number;
  readonly verifyTimeoutMs: number;
  readonly deadlineMarginMs: number;
  readonly lockTtlMs: number;
  readonly secretLayout: SecretLayout;
  readonly fanout: boolean;
}

/** `instance`: one secret per instance (default); `packed`: up to 50 instances per secret. */
export type SecretLayout = 'instance' | 'packed';
export const SECRET_LAYOUTS: readonly SecretLayout[] = ['instance', 'packed'];

/** Defaults, in the variables' own units. */
export const ENV_DEFAULTS = {
  ROTATION_EXCLUDE_TAG: 'rotation-exclude',
  ROTATION_FORCE_STOP: false,
  ROTATION_DRY_RUN: false,
  ROTATION_PASSWORD_SCOPE: 'group',
  ROTATION_SECRET_PREFIX: 'cvm-password',
  ROTATION_PASSWORD_LENGTH: 16,
  ROTATION_KEEP_VERSIONS: 5,
  ROTATION_MAX_INSTANCES: 1000,
  ROTATION_VERIFY_TIMEOUT_SECONDS: 300,
  ROTATION_DEADLINE_MARGIN_SECONDS: 30,
  ROTATION_LOCK_TTL_SECONDS: 120,
  ROTATION_SECRET_LAYOUT: 'instance',
  ROTATION_FANOUT: false,
} as const satisfies Record<string, string | number | boolean>;

/** Integer ranges, inclusive. */
export const ENV_RANGES = {
  /** Both published CVM rules accept 12–16 for Linux and Windows alike (src/password/policy.ts). */
  ROTATION_PASSWORD_LENGTH: [12, 16],
  /**
   * Previous passwords kept per secret for rollback. SSM keeps at most 10 versions per secret
   * (https://www.tencentcloud.com/document/api/1078/38645; facts §3.1): 8 previous + the current
   * + one pending version of the next rotation = 10.
   */
  ROTATION_KEEP_VERSIONS: [1, 8],
  /** 0 means no limit. */
  ROTATION_MAX_INSTANCES: [0, 1_000_000],
  ROTATION_VERIFY_TIMEOUT_SECONDS: [10, 3600],
  /** SCF functions run for at most 900 s (facts §6); 600 leaves room for some work. */
  ROTATION_DEADLINE_MARGIN_SECONDS: [0, 600],
  /**
   * How long a region lock lasts without renewal (src/protocol/lock.ts). A run renews it every
   * third of this; a run that died frees its regions this long after its last renewal.
   */
  ROTATION_LOCK_TTL_SECONDS: [5, 3600],
} as const satisfies Record<string, readonly [number, number]>;

/**
 * Secret names are `<prefix>-<instanceId>` (instance ids are 12 characters) plus suffixes such as
 * `-lock-…`. SSM names are at most 128 bytes, `[A-Za-z0-9_-]`, starting with a letter or digit
 * (https://www.tencentcloud.com/document/api/1078/38656; facts §3.1); 64 leaves room for both.
 */
export const MAX_SECRET_PREFIX_LENGTH = 64;
const SECRET_PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** Every variable the rotator reads. Any other ROTATION_* variable is a problem (likely a typo). */
export const ENV_VARIABLES = [
  'TENCENTCLOUD_SECRETID',
  'TENCENTCLOUD_SECRETKEY',
  'TENCENTCLOUD_SESSIONTOKEN',
  'TENCENTCLOUD_SECRET_ID',
  'TENCENTCLOUD_SECRET_KEY',
  'TENCENTCLOUD_SESSION_TOKEN',
  'TENCENTCLOUD_REGION',
  'ROTATION_TAGS',
  'ROTATION_REGIONS',
  'ROTATION_EXCLUDE_TAG',
  'ROTATION_FORCE_STOP',
  'ROTATION_DRY_RUN',
  'ROTATION_PASSWORD_SCOPE',
  'ROTATION_SECRET_PREFIX',
  'ROTATION_CVM_ENDPOINT',
  'ROTATION_SSM_ENDPOINT',
  'ROTATION_SCF_ENDPOINT',
  'ROTATION_FANOUT',
  'ROTATION_PASSWORD_LENGTH',
  'ROTATION_KEEP_VERSIONS',
  'ROTATION_KMS_KEY_ID',
  'ROTATION_MAX_INSTANCES',
  'ROTATION_VERIFY_TIMEOUT_SECONDS',
  'ROTATION_DEADLINE_MARGIN_SECONDS',
  'ROTATION_LOCK_TTL_SECONDS',
  'ROTATION_SECRET_LAYOUT',
] as const;

const ROTATION_PREFIX = 'ROTATION_';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * A zod schema for one variable's text. `parse` words each problem in full, starting with the
 * variable's name. Blank means unset (undefined), so that defaults apply.
 */
function variable<T>(parse: (text: string, problems: string[]) => T) {
  return z.preprocess(
    (raw) => (typeof raw === 'string' && raw.trim() !== '' ? raw.trim() : undefined),
    z
      .string()
      .transform((text, ctx): T => {
        const problems: string[] = [];
        const value = parse(text, problems);
        for (const message of problems) ctx.addIssue({ code: 'custom', message });
        return problems.length > 0 ? z.NEVER : value;
      })
      .optional(),
  );
}

const integer = (name: keyof typeof ENV_RANGES) =>
  variable((text, problems) => {
    const [min, max] = ENV_RANGES[name];
    const value = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
    if (!(value >= min && value <= max)) {
      problems.push(`${name}: must be a whole number from ${min} to ${max}`);
    }
    return value;
  });

const boolean = (name: string) =>
  variable((text, problems) => {
    const lower = text.toLowerCase();
    if (lower !== 'true' && lower !== 'false') {
      problems.push(`${name}: must be "true" or "false" (any case)`);
    }
    return lower === 'true';
  });

/** `http(s)://host[:port]`, nothing else. The value is never quoted: a URL can carry credentials. */
const endpoint = (name: string) =>
  variable((text, problems): EndpointOverride => {
    const rule = `${name}: must be an http(s) base URL with a host and an optional port, like http://127.0.0.1:9000`;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      problems.push(rule);
      return { protocol: 'https://', endpoint: '' };
    }
    if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
      problems.push(rule);
    }
    if (url.username !== '' || url.password !== '') {
      problems.push(`${name}: must not contain a user name or password`);
    }
    if (text.includes('?') || text.includes('#')) {
      problems.push(`${name}: must not have a query or fragment`);
    }
    if (url.pathname !== '/' && url.pathname !== '') {
      problems.push(`${name}: must not have a path (give the host and port only)`);
    }
    return { protocol: url.protocol === 'http:' ? 'http://' : 'https://', endpoint: url.host };
  });

const EnvSchema = z.object({
  TENCENTCLOUD_REGION: variable((text, problems) => {
    const problem = regionProblem(text);
    if (problem) problems.push(...formatForVariable('TENCENTCLOUD_REGION', [problem]));
    return text;
  }),
  ROTATION_REGIONS: variable((text, problems) => {
    const regions = splitList(text);
    problems.push(...formatForVariable('ROTATION_REGIONS', regionListProblems(regions)));
    return regions;
  }),
  ROTATION_TAGS: variable((text, problems) => {
    const parsed = parseTagString(text);
    problems.push(...formatForVariable('ROTATION_TAGS', parsed.problems));
    return parsed.tags;
  }),
  ROTATION_EXCLUDE_TAG: variable((text, problems) => {
    if (text.includes(',') || text.includes('=')) {
      problems.push('ROTATION_EXCLUDE_TAG: must be a single tag key (no "," or "=")');
    }
    problems.push(...formatForVariable('ROTATION_EXCLUDE_TAG', tagKeyProblems(text)));
    return text;
  }),
  ROTATION_FORCE_STOP: boolean('ROTATION_FORCE_STOP'),
  ROTATION_DRY_RUN: boolean('ROTATION_DRY_RUN'),
  ROTATION_SECRET_LAYOUT: variable((text, problems): SecretLayout => {
    const layout = SECRET_LAYOUTS.find((l) => l === text.toLowerCase());
    if (!layout) {
      problems.push(
        `ROTATION_SECRET_LAYOUT: must be one of ${SECRET_LAYOUTS.map((l) => `"${l}"`).join(', ')}`,
      );
    }
    return layout ?? 'instance';
  }),
  ROTATION_PASSWORD_SCOPE: variable((text, problems): PasswordScope => {
    const lower = text.toLowerCase();
    const scope = PASSWORD_SCOPES.find((s) => s === lower);
    if (!scope) {
      problems.push(
        `ROTATION_PASSWORD_SCOPE: must be one of ${PASSWORD_SCOPES.map((s) => `"${s}"`).join(', ')}`,
      );
    }
    return scope ?? 'group';
  }),
  ROTATION_SECRET_PREFIX: variable((text, problems) => {
    if (!SECRET_PREFIX_PATTERN.test(text)) {
      problems.push(
        'ROTATION_SECRET_PREFIX: must start with a letter or digit and contain only letters, digits, "_" and "-" (an SSM secret name)',
      );
    }
    if (text.length > MAX_SECRET_PREFIX_LENGTH) {
      problems.push(
        `ROTATION_SECRET_PREFIX: must be at most ${MAX_SECRET_PREFIX_LENGTH} characters so that secret names fit SSM's 128 bytes`,
      );
    }
    return text;
  }),
  ROTATION_CVM_ENDPOINT: endpoint('ROTATION_CVM_ENDPOINT'),
  ROTATION_SSM_ENDPOINT: endpoint('ROTATION_SSM_ENDPOINT'),
  ROTATION_SCF_ENDPOINT: endpoint('ROTATION_SCF_ENDPOINT'),
  ROTATION_FANOUT: boolean('ROTATION_FANOUT'),
  ROTATION_PASSWORD_LENGTH: integer('ROTATION_PASSWORD_LENGTH'),
  ROTATION_KEEP_VERSIONS: integer('ROTATION_KEEP_VERSIONS'),
  ROTATION_KMS_KEY_ID: variable((text, problems) => {
    // A KMS key id (a UUID) or alias: printable ASCII, no spaces, bounded.
    if (!/^[\x21-\x7e]{1,128}$/.test(text)) {
      problems.push(
        'ROTATION_KMS_KEY_ID: must be 1 to 128 printable ASCII characters without spaces',
      );
    }
    return text;
  }),
  ROTATION_MAX_INSTANCES: integer('ROTATION_MAX_INSTANCES'),
  ROTATION_VERIFY_TIMEOUT_SECONDS: integer('ROTATION_VERIFY_TIMEOUT_SECONDS'),
  ROTATION_DEADLINE_MARGIN_SECONDS: integer('ROTATION_DEADLINE_MARGIN_SECONDS'),
  ROTATION_LOCK_TTL_SECONDS: integer('ROTATION_LOCK_TTL_SECONDS'),
});

/**
 * Reads and validates the environment.
 *
 * @throws ConfigError listing every problem, each prefixed with the variable's name.
 *
 * @example
 * const envConfig = loadEnvConfig(process.env);
 */
export function loadEnvConfig(env: Env): EnvConfig {
  const problems: string[] = [];

  const credentials = credentialsFromEnv(env);
  if (!credentials) problems.push(credentialsProblem(env));
  problems.push(...credentialLengthProblems(env));

  problems.push(...unknownVariableProblems(env));

  const parsed = EnvSchema.safeParse(pickKnown(env));
  if (!parsed.success) {
    // Custom issues are worded in full; anything else (none expected) gets the variable's name.
    for (const issue of parsed.error.issues) {
      problems.push(
        issue.code === 'custom' ? issue.message : `${String(issue.path[0])}: ${issue.message}`,
      );
    }
  }

  if (!credentials || !parsed.success || problems.length > 0) {
    throw new ConfigError(problems);
  }

  const v = parsed.data;
  const regions = v.ROTATION_REGIONS ?? (v.TENCENTCLOUD_REGION ? [v.TENCENTCLOUD_REGION] : []);
  const maxInstances = v.ROTATION_MAX_INSTANCES ?? ENV_DEFAULTS.ROTATION_MAX_INSTANCES;
  const endpoints: { cvm?: EndpointOverride; ssm?: EndpointOverride; scf?: EndpointOverride } = {};
  if (v.ROTATION_CVM_ENDPOINT) endpoints.cvm = v.ROTATION_CVM_ENDPOINT;
  if (v.ROTATION_SSM_ENDPOINT) endpoints.ssm = v.ROTATION_SSM_ENDPOINT;
  if (v.ROTATION_SCF_ENDPOINT) endpoints.scf = v.ROTATION_SCF_ENDPOINT;

  return {
    credentials,
    region: v.TENCENTCLOUD_REGION,
    regions,
    tags: v.ROTATION_TAGS,
    excludeTag: v.ROTATION_EXCLUDE_TAG ?? ENV_DEFAULTS.ROTATION_EXCLUDE_TAG,
    forceStop: v.ROTATION_FORCE_STOP ?? ENV_DEFAULTS.ROTATION_FORCE_STOP,
    dryRun: v.ROTATION_DRY_RUN ?? ENV_DEFAULTS.ROTATION_DRY_RUN,
    passwordScope: v.ROTATION_PASSWORD_SCOPE ?? ENV_DEFAULTS.ROTATION_PASSWORD_SCOPE,
    secretPrefix: v.ROTATION_SECRET_PREFIX ?? ENV_DEFAULTS.ROTATION_SECRET_PREFIX,
    endpoints,
    passwordLength: v.ROTATION_PASSWORD_LENGTH ?? ENV_DEFAULTS.ROTATION_PASSWORD_LENGTH,
    keepVersions: v.ROTATION_KEEP_VERSIONS ?? ENV_DEFAULTS.ROTATION_KEEP_VERSIONS,
    kmsKeyId: v.ROTATION_KMS_KEY_ID,
    maxInstances: maxInstances === 0 ? Number.POSITIVE_INFINITY : maxInstances,
    verifyTimeoutMs:
      (v.ROTATION_VERIFY_TIMEOUT_SECONDS ?? ENV_DEFAULTS.ROTATION_VERIFY_TIMEOUT_SECONDS) * 1000,
    deadlineMarginMs:
      (v.ROTATION_DEADLINE_MARGIN_SECONDS ?? ENV_DEFAULTS.ROTATION_DEADLINE_MARGIN_SECONDS) * 1000,
    lockTtlMs: (v.ROTATION_LOCK_TTL_SECONDS ?? ENV_DEFAULTS.ROTATION_LOCK_TTL_SECONDS) * 1000,
    secretLayout: v.ROTATION_SECRET_LAYOUT ?? ENV_DEFAULTS.ROTATION_SECRET_LAYOUT,
    fanout: v.ROTATION_FANOUT ?? ENV_DEFAULTS.ROTATION_FANOUT,
  };
}

/** Only the variables the schema knows; never hand the whole environment to a parser. */
function pickKnown(env: Env): Record<string, string | undefined> {
  const picked: Record<string, string | undefined> = {};
  for (const name of Object.keys(EnvSchema.shape)) picked[name] = env[name];
  return picked;
}

/**
 * Upper bounds, in characters, far above any real credential: Tencent SecretIds are 36
 * characters, SecretKeys 32, and temporary tokens a few hundred to a few thousand. A longer value
 * is a mistake (a pasted file, a wrong variable), and the log redactor, which hides every
 * credential by value, cannot handle a secret of tens of kilobytes (found by fuzzing).
 */
export const CREDENTIAL_MAX_LENGTH = { id: 128, key: 128, token: 8192 } as const;

/** Names the credential variables that are too long; never their values. */
function credentialLengthProblems(env: Env): string[] {
  const limits: Array<[string, number]> = [
    ['TENCENTCLOUD_SECRETID', CREDENTIAL_MAX_LENGTH.id],
    ['TENCENTCLOUD_SECRET_ID', CREDENTIAL_MAX_LENGTH.id],
    ['TENCENTCLOUD_SECRETKEY', CREDENTIAL_MAX_LENGTH.key],
    ['TENCENTCLOUD_SECRET_KEY', CREDENTIAL_MAX_LENGTH.key],
    ['TENCENTCLOUD_SESSIONTOKEN', CREDENTIAL_MAX_LENGTH.token],
    ['TENCENTCLOUD_SESSION_TOKEN', CREDENTIAL_MAX_LENGTH.token],
  ];
  return limits
    .filter(([name, max]) => (env[name]?.trim().length ?? 0) > max)
    .map(
      ([name, max]) =>
        `${name}: must be at most ${max} characters (no Tencent credential is longer)`,
    );
}

/** Names the missing credential variables; never their values. */
function credentialsProblem(env: Env): string {
  const present = (name: string) => (env[name]?.trim() ?? '') !== '';
  const partial = [
    ['TENCENTCLOUD_SECRETID', 'TENCENTCLOUD_SECRETKEY'],
    ['TENCENTCLOUD_SECRET_ID', 'TENCENTCLOUD_SECRET_KEY'],
  ]
    .filter(([id = '', key = '']) => present(id) !== present(key))
    .map(([id = '', key = '']) =>
      present(id) ? `${id} is set without ${key}` : `${key} is set without ${id}`,
    );
  return (
    'credentials: missing; set TENCENTCLOUD_SECRETID and TENCENTCLOUD_SECRETKEY (plus TENCENTCLOUD_SESSIONTOKEN ' +
    'for temporary keys; SCF injects all three when the function has an execution role), or ' +
    'TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (plus TENCENTCLOUD_SESSION_TOKEN)' +
    (partial.length > 0 ? ` (${partial.join('; ')})` : '')
  );
}

/**
 * ROTATION_* variables the rotator does not read are almost always typos that would silently fall
 * back to a default (e.g. ROTATION_DRYRUN=true running for real), so they are problems.
 * Names are compared case-insensitively: environment names are case-sensitive on Linux, so
 * `rotation_dry_run` would be ignored just the same.
 */
function unknownVariableProblems(env: Env): string[] {
  const known = new Set<string>(ENV_VARIABLES);
  const candidates = ENV_VARIABLES.filter((name) => name.startsWith(ROTATION_PREFIX));
  return Object.keys(env)
    .filter((name) => name.toUpperCase().startsWith(ROTATION_PREFIX) && !known.has(name))
    .sort()
    .map((name) => {
      const suggestion = closest(name.toUpperCase(), candidates);
      const hint = suggestion ? `; did you mean ${suggestion}?` : '';
      return `unknown variable ${name}${hint}`;
    });
}

function closest(name: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(name, candidate);
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  // Up to a third of the part after ROTATION_: catches a dropped underscore or letter
  // (ROTATION_DRYRUN, ROTATION_TAG), not an unrelated name (ROTATION_FOO).
  const suffixLength = name.length - ROTATION_PREFIX.length;
  return best && best.distance <= Math.max(1, Math.floor(suffixLength / 3)) ? best.name : undefined;
}

/** Levenshtein distance, two rows. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
