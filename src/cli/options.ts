/**
 * From flags to the function's own inputs. The CLI runs the same code as the function, so every
 * flag becomes either a key of the manual event (validated by src/config/event.ts) or an
 * environment variable (validated by src/config/env.ts); nothing is validated twice, differently.
 */
import type { MANUAL_EVENT_KEYS, ManualOverrides } from '../config/event';
import type { PasswordScope } from '../config/rules';

/** Bad flags: exit 2, each problem on its own line. */
export class UsageError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'UsageError';
    this.problems = [...problems];
  }
}

/**
 * The SCF API endpoint for `invoke` (e.g. the local emulator). Read by the CLI only and removed
 * from the environment handed to the function's configuration, whose validation rejects unknown
 * ROTATION_* variables as likely typos.
 */
export const SCF_ENDPOINT_VARIABLE = 'ROTATION_SCF_ENDPOINT';

/** Flags shared by `plan`, `rotate` and `invoke`; each maps to a manual event key. */
export interface SelectionFlags {
  readonly regions?: string;
  readonly tags?: string;
  readonly instanceIds?: string;
  readonly reason?: string;
  readonly forceStop?: boolean;
  readonly scope?: PasswordScope;
  readonly endpoint?: string;
  readonly json?: boolean;
}

/** `a, b,,c` or `a b c` → `['a', 'b', 'c']`: pasted lists come with both separators. */
export function splitList(text: string): string[] {
  return text.split(/[\s,]+/).filter((item) => item !== '');
}

/** The manual event for the flags given; keys of flags not given are absent, not undefined. */
export function manualEvent(flags: SelectionFlags): Record<string, unknown> {
  const event: { -readonly [K in keyof ManualOverrides]?: unknown } = {};
  if (flags.instanceIds !== undefined) event.instanceIds = splitList(flags.instanceIds);
  if (flags.regions !== undefined) event.regions = splitList(flags.regions);
  // The event accepts the ROTATION_TAGS syntax (`k=v,k2`) as a string: same parser, same errors.
  if (flags.tags !== undefined) event.tags = flags.tags;
  if (flags.reason !== undefined) event.reason = flags.reason;
  if (flags.forceStop) event.forceStop = true;
  if (flags.scope !== undefined) event.passwordScope = flags.scope;
  return event;
}

/** An http(s) base URL, in the SDK's httpProfile shape. */
export interface Endpoint {
  readonly url: string;
  readonly protocol: 'http://' | 'https://';
  /** `host[:port]`. */
  readonly endpoint: string;
}

/**
 * `http(s)://host[:port]`, the rule env.ts applies to ROTATION_CVM_ENDPOINT. Checked here too so
 * that a bad `--endpoint` is reported as `--endpoint`, not as a variable the operator never set.
 * The value is never quoted back: a URL can carry credentials.
 */
export function parseEndpoint(name: string, text: string): Endpoint {
  const rule = `${name}: must be an http(s) base URL with a host and an optional port, like http://127.0.0.1:9000`;
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new UsageError([rule]);
  }
  const problems: string[] = [];
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    problems.push(rule);
  }
  if (url.username !== '' || url.password !== '') {
    problems.push(`${name}: must not contain a user name or password`);
  }
  if (url.search !== '' || url.hash !== '' || (url.pathname !== '/' && url.pathname !== '')) {
    problems.push(`${name}: must be a base URL without a path, query or fragment`);
  }
  if (problems.length > 0) throw new UsageError(problems);
  return {
    url: `${url.protocol}//${url.host}`,
    protocol: url.protocol === 'http:' ? 'http://' : 'https://',
    endpoint: url.host,
  };
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The environment the function's configuration is resolved from: the operator's, without the
 * CLI's own ROTATION_SCF_ENDPOINT, with `--endpoint` applied to both CVM and SSM.
 */
export function functionEnv(env: Env, endpoint?: string): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...env };
  delete out[SCF_ENDPOINT_VARIABLE];
  // The CLI does the work itself; fanning out would invoke the deployed function instead.
  out.ROTATION_FANOUT = 'false';
  if (endpoint !== undefined) {
    const { url } = parseEndpoint('--endpoint', endpoint);
    out.ROTATION_CVM_ENDPOINT = url;
    out.ROTATION_SSM_ENDPOINT = url;
  }
  return out;
}

/** The flag an event key comes from, to word configuration problems in the operator's terms. */
const FLAG_FOR_EVENT_KEY: Readonly<Record<(typeof MANUAL_EVENT_KEYS)[number], string>> = {
  instanceIds: '--instance-ids',
  regions: '--regions',
  tags: '--tags',
  forceStop: '--force-stop',
  dryRun: '--dry-run',
  passwordScope: '--scope',
  reason: '--reason',
};

/**
 * `event.instanceIds[2]: "ins-x" is not …` → `--instance-ids item 3: "ins-x" is not …`. Problems
 * about the environment (ROTATION_*, credentials) are left as they are: they name the variable.
 */
export function inFlagTerms(problem: string, regionFlag = '--regions'): string {
  return problem.replace(
    /^event\.([A-Za-z]+)(?:\[(\d+)\])?/,
    (whole, key: string, index: string | undefined) => {
      const flag =
        key === 'regions' ? regionFlag : FLAG_FOR_EVENT_KEY[key as keyof typeof FLAG_FOR_EVENT_KEY];
      if (flag === undefined) return whole;
      return index === undefined ? flag : `${flag} item ${Number(index) + 1}`;
    },
  );
}
