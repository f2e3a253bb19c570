/**
 * Fuzzing the function's inputs, each through `runFromEvent` against a fresh emulator:
 * - the invocation event: arbitrary values, JSON text, and near-valid manual and timer events
 *   (misspelt keys, wrong types, huge strings and arrays, unicode, `__proto__` and `constructor`
 *   keys);
 * - the configuration: the environment with ROTATION_* variables set to random values, unset or
 *   blank, misspelt variables, garbage variables, broken endpoints, other credentials.
 * Properties:
 * - the promise resolves with a report, or rejects with a ConfigError/EventError whose every
 *   problem names the field or variable at fault; never a TypeError or any other crash (with
 *   wrong credentials: a CloudError AuthFailure from the first, read-only, call);
 * - on a ConfigError/EventError not a single call reached the emulator; on an auth failure no
 *   mutating call was made;
 * - nothing leaks: no password in the log, the report or the error; no prototype polluted.
 *
 * Reproduce a failure with the seed and path fast-check prints: see docs/fuzzing.md.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/cloud/ports';
import { resolveRunConfig } from '../../src/config';
import { ENV_VARIABLES } from '../../src/config/env';
import { MANUAL_EVENT_KEYS } from '../../src/config/event';
import { DEFAULT_CREDENTIAL, type Emulator } from '../../src/emulator';
import { isCloudError, isConfigError, isEventError } from '../../src/errors';
import { runFromEvent } from '../../src/handler';
import { instanceId, testFleet } from '../helpers/fleet';
import { context, envFor, mutatingCalls, startTestEmulator, timerEvent } from '../helpers/world';

const SCALE = 50;
const FLEET = testFleet({ count: 2, regions: ['ap-guangzhou'] });
const RUNS = {
  anything: Number(process.env.FUZZ_EVENT_RUNS ?? 300),
  manual: Number(process.env.FUZZ_EVENT_RUNS ?? 300),
  timer: Number(process.env.FUZZ_EVENT_RUNS ?? 300),
  config: Number(process.env.FUZZ_CONFIG_RUNS ?? 400),
};

/** Replays one failure: FUZZ_SEED and FUZZ_PATH as fast-check printed them (docs/fuzzing.md). */
const REPLAY = process.env.FUZZ_SEED
  ? {
      seed: Number(process.env.FUZZ_SEED),
      ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}),
    }
  : {};

/** Each problem starts with the event field or the variable it is about. */
const NAMES_ITS_SUBJECT =
  /^(event\b|Message\b|ROTATION_[A-Z_]+\b|TENCENTCLOUD_[A-Z_]+\b|credentials:|unknown variable )/;

function clockOf(emu: Emulator): Clock {
  return {
    now: () => emu.state.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms / SCALE))),
    scale: SCALE,
  };
}

function passwordsOf(emu: Emulator): string[] {
  const out = new Set<string>();
  for (const value of emu.state.receivedSecrets()) {
    out.add(value);
    try {
      const password = (JSON.parse(value) as Record<string, unknown> | null)?.password;
      if (typeof password === 'string') out.add(password);
    } catch {
      // Not JSON: the value itself is checked.
    }
  }
  return [...out].filter((s) => s.length >= 6);
}

function errorText(error: unknown): string {
  const parts: string[] = [];
  let e: unknown = error;
  for (let depth = 0; e !== undefined && depth < 10; depth++) {
    if (e instanceof Error) {
      parts.push(e.message, e.stack ?? '', JSON.stringify(e));
      e = e.cause;
    } else {
      parts.push(String(e));
      e = undefined;
    }
  }
  return parts.join('\n');
}

const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort().join(',');

type Verdict = 'resolved' | 'rejected' | 'auth-failure';

/**
 * The property shared by every generator: a fresh emulator, one invocation, then the checks.
 * `env` replaces the emulator's default environment (the configuration properties pass their
 * own); `authMayFail` allows a CloudError AuthFailure (the credentials were changed).
 */
async function checkInvocation(
  event: unknown,
  env?: (emu: Emulator) => Record<string, string | undefined>,
  authMayFail = false,
): Promise<Verdict> {
  const emu = await startTestEmulator({ fleet: FLEET, timeScale: SCALE });
  const protoBefore = prototypeKeys();
  const lines: string[] = [];
  try {
    const environment = env ? env(emu) : envFor(emu);
    expectOnlyTheEmulator(emu, environment, event);
    let outcome: { report: unknown } | { error: unknown };
    try {
      const report = await runFromEvent(event, context(), {
        env: environment,
        clock: clockOf(emu),
        write: (line) => lines.push(line),
      });
      outcome = { report };
    } catch (error) {
      outcome = { error };
    }

    // Nothing leaks, nothing is polluted.
    const output = [
      ...lines,
      'report' in outcome ? JSON.stringify(outcome.report) : errorText(outcome.error),
    ].join('\n');
    const secrets = [...passwordsOf(emu), DEFAULT_CREDENTIAL.secretKey];
    const leaked = secrets.filter((p) => output.includes(p));
    expect(leaked.length, 'passwords or keys in the output').toBe(0);
    expect(prototypeKeys()).toBe(protoBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    if ('report' in outcome) {
      expect(['succeeded', 'partial', 'failed']).toContain(
        (outcome.report as { status: unknown }).status,
      );
      return 'resolved';
    }
    const error = outcome.error;
    if (
      authMayFail &&
      isCloudError(error) &&
      /^(AuthFailure|UnauthorizedOperation)/.test(error.code)
    ) {
      // Credentials can only be judged by the cloud: the first, read-only, call fails.
      expect(mutatingCalls(emu)).toBe(0);
      return 'auth-failure';
    }
    // Only the two input errors, never a TypeError or another crash.
    expect(
      isConfigError(error) || isEventError(error),
      `rejected with ${error instanceof Error ? error.name : typeof error}: ${String(error).slice(0, 300)}`,
    ).toBe(true);
    const { problems, message } = error as { problems: readonly string[]; message: string };
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) {
      expect(problem, 'a problem names its field or variable').toMatch(NAMES_ITS_SUBJECT);
      expect(message).toContain(problem);
    }
    // Found before any cloud call: nothing, not even a read, reached the emulator.
    expect(emu.state.calls().length).toBe(0);
    return 'rejected';
  } finally {
    await emu.close();
  }
}

/**
 * A guard on the generators, checked before anything is sent: a configuration that resolves
 * must point the CVM and SSM endpoints (and SCF's, when it fans out) at this emulator. An unset
 * or blank endpoint means Tencent's real HTTPS endpoints.
 */
function expectOnlyTheEmulator(
  emu: Emulator,
  env: Record<string, string | undefined>,
  event: unknown,
): void {
  let config: ReturnType<typeof resolveRunConfig>;
  try {
    config = resolveRunConfig(env, event);
  } catch {
    return; // rejected before any call
  }
  const { cvm, ssm, scf } = config.endpoints;
  for (const endpoint of config.fanout ? [cvm, ssm, scf] : [cvm, ssm]) {
    if (endpoint?.protocol !== 'http://' || endpoint.endpoint !== emu.endpoint) {
      throw new Error('generator bug: a valid configuration must target the local emulator only');
    }
  }
}

// ------------------------------------------------------------------ generators

/** Strings that break naive code: unicode, controls, lone surrogates, huge ones. */
const nastyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    '\udfff\ud800',
    '\u202e\u2066evil',
    '\u2028',
    'ins-ABCDEFGH',
    'ins-abcdefgh\n',
    '__proto__',
    'constructor',
    'toString',
    'x'.repeat(100_000),
    '😀'.repeat(5_000),
    'ap-guangzhou'.repeat(1_000),
  ),
);

/** Any value of the wrong kind. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  nastyString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
  fc.array(nastyString, { maxLength: 3 }),
  fc.constant(Array.from({ length: 1_001 }, (_, i) => instanceId(i))),
  fc.constant(Array.from({ length: 5_000 }, () => 'ap-guangzhou')),
  fc.jsonValue({ maxDepth: 3 }),
  fc.constant(JSON.parse('{"__proto__":{"polluted":true},"rotation":"enabled"}') as unknown),
  fc.constant(JSON.parse('{"constructor":{"prototype":{"polluted":true}}}') as unknown),
);

const fleetId = fc.constantFrom(...FLEET.map((s) => s.InstanceId as string));
const anyId = fc.oneof(fleetId, fc.stringMatching(/^ins-[a-z0-9]{8}$/));
const region = fc.constantFrom('ap-guangzhou', 'ap-shanghai', 'na-siliconvalley', 'eu-frankfurt');
const printable = fc
  .string({ minLength: 1, maxLength: 40 })
  .filter((s) => s.trim() !== '' && /^[^\p{Cc}\p{Zl}\p{Zp}]*$/u.test(s));

/** A valid manual event: any subset of the keys, each with a valid value. */
const validManual = fc.record(
  {
    instanceIds: fc.uniqueArray(anyId, { minLength: 1, maxLength: 4 }),
    regions: fc.uniqueArray(region, { minLength: 1, maxLength: 2 }),
    tags: fc.constantFrom<unknown>('rotation=enabled', { rotation: 'enabled' }, 'rotation', {
      rotation: '',
    }),
    forceStop: fc.boolean(),
    dryRun: fc.boolean(),
    passwordScope: fc.constantFrom('group', 'instance'),
    reason: printable,
  },
  { requiredKeys: [] },
);

/** One change that (usually) makes a valid event invalid; data, so a counterexample shows it. */
type EventMutation =
  | { op: 'rename'; key: string; to: string }
  | { op: 'set'; key: string; value: unknown }
  | { op: 'own'; key: '__proto__' | 'constructor' | 'prototype'; value: unknown }
  | { op: 'add'; key: string; value: unknown };

const manualKey = fc.constantFrom(...MANUAL_EVENT_KEYS);
const typo = (key: string) =>
  fc.constantFrom(
    key.toLowerCase(),
    key.toUpperCase(),
    `${key} `,
    ` ${key}`,
    key.slice(1),
    `${key}s`,
    key.replace(/[A-Z]/, (c) => `_${c.toLowerCase()}`),
  );

const eventMutation: fc.Arbitrary<EventMutation> = fc.oneof(
  manualKey.chain((key) => typo(key).map((to): EventMutation => ({ op: 'rename', key, to }))),
  fc.tuple(manualKey, oddValue).map(([key, value]): EventMutation => ({ op: 'set', key, value })),
  fc
    .tuple(
      fc.constantFrom('__proto__', 'constructor', 'prototype') as fc.Arbitrary<
        '__proto__' | 'constructor' | 'prototype'
      >,
      oddValue,
    )
    .map(([key, value]): EventMutation => ({ op: 'own', key, value })),
  fc.tuple(nastyString, oddValue).map(([key, value]): EventMutation => ({ op: 'add', key, value })),
);

function applyMutations(
  base: Record<string, unknown>,
  mutations: readonly EventMutation[],
): Record<string, unknown> {
  const event: Record<string, unknown> = { ...base };
  for (const m of mutations) {
    if (m.op === 'rename') {
      if (!(m.key in event)) continue;
      const value = event[m.key];
      delete event[m.key];
      Object.defineProperty(event, m.to, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else {
      // An own property even for `__proto__`, as JSON.parse would create it.
      Object.defineProperty(event, m.key, {
        value: m.value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return event;
}

const nearValidManual = fc
  .tuple(validManual, fc.array(eventMutation, { maxLength: 3 }))
  .map(([base, mutations]) => applyMutations(base, mutations));

const timerMessage: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(''),
  fc.constant('   '),
  fc.constant(null),
  validManual.map((m) => JSON.stringify(m)),
  nearValidManual.map((m) => JSON.stringify(m)),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  nastyString,
  oddValue,
);

/** A timer event with an optional broken envelope. */
const nearValidTimer = fc
  .tuple(
    fc.record(
      {
        Type: fc.constantFrom('Timer', 'Timer', 'Timer', 'timer', 'TIMER', 'Timer ', 'Cron'),
        TriggerName: fc.oneof(fc.constant('nightly'), nastyString, oddValue),
        Time: fc.oneof(fc.constant('2026-11-29T03:00:00Z'), nastyString, oddValue),
        Message: timerMessage,
      },
      { requiredKeys: ['Type'] },
    ),
    fc.array(eventMutation, { maxLength: 2 }),
    fc.boolean(),
  )
  .map(([envelope, mutations, mutate]) =>
    mutate ? applyMutations(envelope, mutations) : (envelope as Record<string, unknown>),
  );

// ------------------------------------------------------------------ properties

describe('fuzz: invocation events', () => {
  it('arbitrary values and JSON: a report or a clear input error, nothing sent on rejection', async () => {
    const outcomes = { resolved: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything({
            withBigInt: true,
            withBoxedValues: true,
            withDate: true,
            withMap: true,
            withSet: true,
            withNullPrototype: true,
            withObjectString: true,
            withSparseArray: true,
            withTypedArray: true,
            key: fc.oneof(fc.string(), manualKey, fc.constantFrom('Type', 'Message', '__proto__')),
          }),
          fc.json().map((text) => JSON.parse(text) as unknown),
          fc.constantFrom<unknown>(undefined, null, {}, [], '', 0, 'Timer', () => 1, Symbol('x')),
        ),
        async (event) => {
          const verdict = await checkInvocation(event);
          if (verdict !== 'auth-failure') outcomes[verdict]++;
        },
      ),
      { numRuns: RUNS.anything, ...REPLAY },
    );
    expect(outcomes.rejected).toBeGreaterThan(0);
    if (process.env.FUZZ_DEBUG) process.stderr.write(`OUTCOMES ${JSON.stringify(outcomes)}\n`);
  }, 120_000);

  it('near-valid manual events: a report or a clear input error, nothing sent on rejection', async () => {
    const outcomes = { resolved: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(nearValidManual, async (event) => {
        const verdict = await checkInvocation(event);
        if (verdict !== 'auth-failure') outcomes[verdict]++;
      }),
      { numRuns: RUNS.manual, ...REPLAY },
    );
    // Both sides of the edge are exercised.
    expect(outcomes.resolved).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(0);
    if (process.env.FUZZ_DEBUG) process.stderr.write(`OUTCOMES ${JSON.stringify(outcomes)}\n`);
  }, 120_000);

  it('near-valid timer events: a report or a clear input error, nothing sent on rejection', async () => {
    const outcomes = { resolved: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(nearValidTimer, async (event) => {
        const verdict = await checkInvocation(event);
        if (verdict !== 'auth-failure') outcomes[verdict]++;
      }),
      { numRuns: RUNS.timer, ...REPLAY },
    );
    expect(outcomes.resolved).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(0);
    if (process.env.FUZZ_DEBUG) process.stderr.write(`OUTCOMES ${JSON.stringify(outcomes)}\n`);
  }, 120_000);
});

// ------------------------------------------------------------------ configuration

/** One change to the environment; data, so a counterexample shows it. */
type EnvMutation =
  | { op: 'set'; name: string; value: string }
  | { op: 'unset'; name: string }
  | { op: 'endpoint'; name: (typeof ENDPOINTS)[number]; form: number }
  | { op: 'credentials'; kind: 'wrong-key' | 'wrong-id' | 'sdk-names' | 'token' | 'sdk-wrong' }
  | { op: 'extra'; name: string; value: string };

const ENDPOINTS = [
  'ROTATION_CVM_ENDPOINT',
  'ROTATION_SSM_ENDPOINT',
  'ROTATION_SCF_ENDPOINT',
] as const;
const CREDENTIALS = ENV_VARIABLES.filter((v) => v.startsWith('TENCENTCLOUD_SECRET'));
/** Every other variable the rotator reads, including ones added after this test was written. */
const SETTABLE = ENV_VARIABLES.filter(
  (v) => !(ENDPOINTS as readonly string[]).includes(v),
) as readonly string[];

/** Values that are right for some variable and wrong for most. */
const envValue = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '',
      ' ',
      'true',
      'false',
      'TRUE',
      'yes',
      '0',
      '1',
      '-1',
      '5',
      '10',
      '12',
      '16',
      '17',
      '600',
      '3600',
      '3601',
      '99999999999',
      '1e3',
      '0x10',
      ' 10 ',
      '4.5',
      'group',
      'instance',
      'packed',
      'Group',
      'rotation=enabled',
      'rotation',
      'rotation=',
      'a,,b',
      'k=v=w',
      'rotation-exclude',
      'ap-guangzhou',
      'ap-shanghai',
      'ap-guangzhou,ap-shanghai',
      'ap-guangzhou,ap-guangzhou',
      'Guangzhou',
      'cvm-password',
      'my_prefix-2',
      '-bad',
      'x'.repeat(65),
      'x'.repeat(100_000),
      'alias/rotator',
      '__proto__',
      'constructor',
    ),
  },
  { weight: 1, arbitrary: nastyString },
);

/**
 * Broken endpoint forms only (a resolved configuration must still target the emulator; blank or
 * unset would mean the real endpoints): a path, a query, a fragment, another scheme, no scheme,
 * user info, no host, junk.
 */
const brokenEndpoint = (emu: Emulator, form: number): string => {
  const forms = [
    `${emu.url}/v1`,
    `${emu.url}?x=1`,
    `${emu.url}#top`,
    `ftp://${emu.endpoint}`,
    emu.endpoint,
    `http://user:pw@${emu.endpoint}`,
    'http://',
    'https://:443',
    'not a url',
    `${emu.url}/`, // valid: the emulator itself, with a trailing slash
  ];
  return forms[form % forms.length] as string;
};

const typoName = fc
  .constantFrom(...SETTABLE.filter((v) => v.startsWith('ROTATION_')))
  .chain((name) =>
    fc.constantFrom(
      name.replace(/_([A-Z]+)$/, '$1'),
      `${name}S`,
      name.slice(0, -1),
      name.toLowerCase(),
      `${name}_`,
    ),
  );

const envMutation: fc.Arbitrary<EnvMutation> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.constantFrom(...SETTABLE), envValue)
      .map(([name, value]): EnvMutation => ({ op: 'set', name, value })),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...SETTABLE).map((name): EnvMutation => ({ op: 'unset', name })),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(...ENDPOINTS), fc.nat())
      .map(([name, form]): EnvMutation => ({ op: 'endpoint', name, form })),
  },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('wrong-key', 'wrong-id', 'sdk-names', 'token', 'sdk-wrong')
      .map((kind): EnvMutation => ({ op: 'credentials', kind: kind as 'wrong-key' })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(typoName, envValue)
      .map(([name, value]): EnvMutation => ({ op: 'extra', name, value })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.oneof(
          nastyString,
          fc.constantFrom(
            '__proto__',
            'constructor',
            'hasOwnProperty',
            'PATH',
            'rotation_tags',
            'Rotation_Dry_Run',
            'ROTATION_',
            'ROTATION_FOO',
          ),
        ),
        envValue,
      )
      .filter(([name]) => !(ENV_VARIABLES as readonly string[]).includes(name))
      .map(([name, value]): EnvMutation => ({ op: 'extra', name, value })),
  },
);

function applyEnv(
  emu: Emulator,
  mutations: readonly EnvMutation[],
): Record<string, string | undefined> {
  // The fan-out's SCF endpoint too (ROTATION_FANOUT may be switched on by a change below).
  const env: Record<string, string | undefined> = {
    ...envFor(emu),
    ROTATION_SCF_ENDPOINT: emu.url,
  };
  const put = (name: string, value: string | undefined) => {
    // An own property even for `__proto__`.
    Object.defineProperty(env, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  };
  for (const m of mutations) {
    if (m.op === 'set' || m.op === 'extra') put(m.name, m.value);
    else if (m.op === 'unset') delete env[m.name];
    else if (m.op === 'endpoint') put(m.name, brokenEndpoint(emu, m.form));
    else if (m.kind === 'wrong-key') put('TENCENTCLOUD_SECRETKEY', 'not-the-key-0000000000000000');
    else if (m.kind === 'wrong-id')
      put('TENCENTCLOUD_SECRETID', 'AKIDnotTheId000000000000000000000');
    else if (m.kind === 'token') put('TENCENTCLOUD_SESSIONTOKEN', 'a-token-the-key-does-not-need');
    else if (m.kind === 'sdk-wrong') {
      delete env.TENCENTCLOUD_SECRETID;
      delete env.TENCENTCLOUD_SECRETKEY;
      put('TENCENTCLOUD_SECRET_ID', DEFAULT_CREDENTIAL.secretId);
      put('TENCENTCLOUD_SECRET_KEY', 'not-the-key-0000000000000000');
    } else {
      delete env.TENCENTCLOUD_SECRETID;
      delete env.TENCENTCLOUD_SECRETKEY;
      put('TENCENTCLOUD_SECRET_ID', DEFAULT_CREDENTIAL.secretId);
      put('TENCENTCLOUD_SECRET_KEY', DEFAULT_CREDENTIAL.secretKey);
    }
  }
  return env;
}

/** Did the mutations give the rotator credentials the emulator will refuse? */
const credentialsChanged = (mutations: readonly EnvMutation[]) =>
  mutations.some(
    (m) =>
      (m.op === 'credentials' && m.kind !== 'sdk-names') ||
      ((m.op === 'set' || m.op === 'extra') &&
        (CREDENTIALS as readonly string[])
          .concat(['TENCENTCLOUD_SESSIONTOKEN', 'TENCENTCLOUD_SESSION_TOKEN'])
          .includes(m.name)),
  );

/**
 * Found by this property: a credential of tens of kilobytes broke the log redactor (a regular
 * expression too large), and the run rejected with a bare Error instead of a named problem.
 */
const CONFIG_EXAMPLES: Array<[EnvMutation[], unknown]> = [
  [[{ op: 'set', name: 'TENCENTCLOUD_SECRETKEY', value: 'x'.repeat(100_000) }], {}],
  [[{ op: 'set', name: 'TENCENTCLOUD_SESSIONTOKEN', value: '%'.repeat(20_000) }], {}],
  [[{ op: 'set', name: 'TENCENTCLOUD_SECRET_ID', value: 'y'.repeat(200) }], { dryRun: true }],
];

describe('fuzz: configuration', () => {
  it('random environments: a report or a clear configuration error, nothing sent on rejection', async () => {
    const outcomes = { resolved: 0, rejected: 0, 'auth-failure': 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(envMutation, { minLength: 1, maxLength: 5 }),
        fc.constantFrom<unknown>(
          {},
          { dryRun: true },
          { instanceIds: [instanceId(0)] },
          timerEvent(),
        ),
        async (mutations, event) => {
          const verdict = await checkInvocation(
            event,
            (emu) => applyEnv(emu, mutations),
            credentialsChanged(mutations),
          );
          outcomes[verdict]++;
        },
      ),
      {
        // Examples count towards numRuns: the regressions first, then RUNS.config random ones.
        numRuns: CONFIG_EXAMPLES.length + RUNS.config,
        examples: CONFIG_EXAMPLES,
        ...REPLAY,
      },
    );
    expect(outcomes.resolved).toBeGreaterThan(0);
    expect(outcomes.rejected).toBeGreaterThan(0);
    if (process.env.FUZZ_DEBUG) process.stderr.write(`OUTCOMES ${JSON.stringify(outcomes)}\n`);
  }, 120_000);
});
