/**
 * Fuzzing the rotator with a misbehaving emulator (src/emulator/chaos.ts): random corruptions of
 * the success answers of random actions (missing fields, nulls, wrong types, unknown states, a
 * TotalCount that lies, huge pages, duplicates, a missing RequestId, empty or non-JSON bodies,
 * HTTP 500 pages, slow answers) while a small fleet is rotated.
 *
 * Per generated case: a fresh emulator and a clean first rotation (so every instance has a secret
 * and a history), then one run under chaos, then chaos off and one clean run. Properties:
 * - the chaos run resolves with a report or rejects with a RotatorError, within a bound;
 * - afterwards every instance's actual password is stored in some version of its secret (in
 *   particular every password that changed), and excluded instances were never touched;
 * - no password (nor any SecretString) appears in any log line, the report or the error;
 * - the clean run converges: the newest version holds the actual password of every eligible one.
 *
 * Reproduce a failure with the seed and path fast-check prints: see docs/fuzzing.md.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/cloud/ports';
import type { ChaosMutation, ChaosOptions, ChaosRule, Emulator } from '../../src/emulator';
import { ChaosEngine } from '../../src/emulator/chaos';
import { isRotatorError } from '../../src/errors';
import { runFromEvent } from '../../src/handler';
import type { RunReport } from '../../src/protocol/report';
import {
  expectNewestIsActual,
  expectSomeVersionIsActual,
  testFleet,
  versionsOf,
} from '../helpers/fleet';
import { context, envFor, startTestEmulator } from '../helpers/world';

/** Emulated ms per real ms, for the emulator and the rotator alike. */
const SCALE = 10;
/**
 * The region lock's lifetime, emulated s: 2 s real, so a run that broke frees its regions soon,
 * yet a live run's renewals (every third of it) survive a busy machine.
 */
const LOCK_TTL_SECONDS = 20;
/** Real ms one run may take before the property calls it a hang. */
const RUN_BOUND_MS = 45_000;
/** Random cases after the targeted ones; FUZZ_CHAOS_RUNS overrides (docs/fuzzing.md). */
const NUM_RUNS = Number(process.env.FUZZ_CHAOS_RUNS ?? 24);
/** Replays one failure: FUZZ_SEED and FUZZ_PATH as fast-check printed them. */
const REPLAY = process.env.FUZZ_SEED
  ? {
      seed: Number(process.env.FUZZ_SEED),
      ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}),
    }
  : {};

/**
 * 7 instances in 2 regions: CentOS, Ubuntu, Debian (RUNNING), TencentOS, Windows, CentOS
 * (RUNNING), Ubuntu (excluded). Every one but the excluded one is eligible (forceStop on).
 */
const FLEET = testFleet({ count: 7, runningEvery: 3, excludeEvery: 7 });
const IDS = FLEET.map((s) => s.InstanceId as string);
const EXCLUDED = new Set(
  FLEET.filter((s) => !Array.isArray(s.Tags) && s.Tags && 'rotation-exclude' in s.Tags).map(
    (s) => s.InstanceId as string,
  ),
);
const ELIGIBLE = IDS.filter((id) => !EXCLUDED.has(id));
const ENV = {
  ROTATION_REGIONS: 'ap-guangzhou,ap-shanghai',
  ROTATION_FORCE_STOP: 'true',
  ROTATION_LOCK_TTL_SECONDS: String(LOCK_TTL_SECONDS),
  ROTATION_VERIFY_TIMEOUT_SECONDS: '10',
};

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

function scaledClock(emu: Emulator): Clock {
  return {
    now: () => emu.state.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms / SCALE))),
    scale: SCALE,
  };
}

type Outcome =
  | { kind: 'report'; report: RunReport; lines: string[] }
  | { kind: 'error'; error: unknown; lines: string[] };

/** One invocation of the handler, bounded in real time. */
async function run(emu: Emulator, scope: 'group' | 'instance'): Promise<Outcome> {
  const lines: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the run did not end within ${RUN_BOUND_MS} ms (a hang?)`)),
      RUN_BOUND_MS,
    );
  });
  try {
    const report = await Promise.race([
      runFromEvent({ reason: 'fuzz' }, context(), {
        env: envFor(emu, { ...ENV, ROTATION_PASSWORD_SCOPE: scope }),
        clock: scaledClock(emu),
        write: (line) => lines.push(line),
      }),
      bound,
    ]);
    return { kind: 'report', report, lines };
  } catch (error) {
    if (error instanceof Error && error.message.includes('did not end within')) throw error;
    return { kind: 'error', error, lines };
  } finally {
    clearTimeout(timer);
  }
}

/** Every password and SecretString the emulator received, and the passwords inside them. */
function secretsOf(emu: Emulator): string[] {
  const out = new Set<string>();
  for (const value of emu.state.receivedSecrets()) {
    out.add(value);
    try {
      const parsed = JSON.parse(value) as unknown;
      if (typeof parsed === 'object' && parsed !== null) {
        const password = (parsed as Record<string, unknown>).password;
        if (typeof password === 'string') out.add(password);
      }
    } catch {
      // Not JSON: the value itself is checked.
    }
  }
  return [...out].filter((s) => s.length >= 6);
}

/** Everything a run let out: log lines, the report, or the error with its cause chain. */
function outputOf(outcome: Outcome): string {
  const parts = [...outcome.lines];
  if (outcome.kind === 'report') parts.push(JSON.stringify(outcome.report));
  else {
    let e: unknown = outcome.error;
    for (let depth = 0; e !== undefined && depth < 10; depth++) {
      if (e instanceof Error) {
        parts.push(e.message, e.stack ?? '', JSON.stringify(e));
        e = e.cause;
      } else {
        parts.push(String(e));
        e = undefined;
      }
    }
  }
  return parts.join('\n');
}

function expectNoLeak(emu: Emulator, outcome: Outcome, label: string): void {
  const output = outputOf(outcome);
  const leaked = secretsOf(emu).filter(
    (s) => output.includes(s) || output.includes(JSON.stringify(s).slice(1, -1)),
  );
  // The count only: never print a password, not even in a failing assertion.
  expect(leaked.length, `passwords in the output of the ${label}`).toBe(0);
}

/** One line per case for FUZZ_DEBUG=1: what chaos did and how the run ended (no values). */
function summary(emu: Emulator, outcome: Outcome): string {
  const applied = [
    ...new Set(emu.state.chaosApplied().map((a) => `${a.action} ${a.kind} ${a.detail}`)),
  ];
  const result =
    outcome.kind === 'report'
      ? `${outcome.report.status} ${JSON.stringify(outcome.report.counts)} reasons=${[
          ...new Set(outcome.report.instances.map((i) => i.reason).filter(Boolean)),
        ].join('; ')} errors=${outcome.report.errors.map((e) => e.code).join(',')}`
      : `rejected: ${outcome.error instanceof Error ? outcome.error.message.slice(0, 200) : ''}`;
  return `chaos case: ${emu.state.chaosApplied().length} corruptions [${applied.slice(0, 5).join(' | ')}] -> ${result}`;
}

/** Waits until no reset or restart is in flight in the emulator. */
async function settle(emu: Emulator): Promise<void> {
  await emu.state.cvm.settle();
}

function actualPasswords(emu: Emulator): Map<string, string | undefined> {
  return new Map(IDS.map((id) => [id, emu.state.cvm.actualPassword(id, userOf(emu, id))]));
}

/** The account the rotator manages on an instance (the one its secret names). */
function userOf(emu: Emulator, id: string): string | undefined {
  const record = emu.state.cvm.instance(id);
  const newest = record ? versionsOf(emu, record.region, id)[0] : undefined;
  return newest?.content.userName as string | undefined;
}

// ------------------------------------------------------------------ generators

/** Field paths the rotator reads, per action, for the path mutations. */
const PATHS: Record<string, readonly string[]> = {
  DescribeInstances: [
    'TotalCount',
    'InstanceSet',
    'InstanceSet[?]',
    'InstanceSet[?].InstanceId',
    'InstanceSet[?].InstanceState',
    'InstanceSet[*].InstanceState',
    'InstanceSet[?].OsName',
    'InstanceSet[?].ImageId',
    'InstanceSet[?].Tags',
    'InstanceSet[*].Tags',
    'InstanceSet[?].Tags[?]',
    'InstanceSet[?].Tags[?].Key',
    'InstanceSet[?].StopChargingMode',
    'InstanceSet[?].LatestOperation',
    'InstanceSet[?].LatestOperationState',
    'InstanceSet[*].LatestOperationState',
    'InstanceSet[?].LatestOperationRequestId',
    'InstanceSet[*].LatestOperationRequestId',
    'InstanceSet[?].LatestOperationErrorMsg',
    'RequestId',
  ],
  DescribeImages: [
    'TotalCount',
    'ImageSet',
    'ImageSet[?]',
    'ImageSet[?].Platform',
    'ImageSet[?].ImageId',
  ],
  ResetInstancesPassword: ['RequestId'],
  ListSecrets: [
    'TotalCount',
    'SecretMetadatas',
    'SecretMetadatas[?]',
    'SecretMetadatas[?].SecretName',
    'SecretMetadatas[?].Status',
  ],
  ListSecretVersionIds: [
    'Versions',
    'Versions[?]',
    'Versions[?].VersionId',
    'Versions[?].CreateTime',
    'Versions[*].CreateTime',
    'SecretName',
  ],
  GetSecretValue: ['SecretString', 'VersionId', 'SecretName', 'RequestId'],
  CreateSecret: ['RequestId', 'SecretName', 'VersionId'],
  PutSecretValue: ['RequestId', 'SecretName', 'VersionId'],
  UpdateSecret: ['RequestId', 'SecretName', 'VersionId'],
  DeleteSecretVersion: ['RequestId', 'SecretName', 'VersionId'],
};
const LIST_ACTIONS = new Set([
  'DescribeInstances',
  'DescribeImages',
  'ListSecrets',
  'ListSecretVersionIds',
]);
const COUNTED_ACTIONS = new Set(['DescribeInstances', 'DescribeImages', 'ListSecrets']);

/** Unknown enum values and values of the wrong kind, for `set`. */
const ODD_VALUES: readonly unknown[] = [
  'WEIRD',
  'MAYBE',
  'SomethingElse',
  '',
  ' ',
  0,
  -1,
  1e15,
  true,
  {},
  [],
  [null],
  { Key: 1 },
  'ins-NOTVALID',
];

function mutationArb(action: string): fc.Arbitrary<ChaosMutation> {
  const paths = PATHS[action] ?? ['RequestId'];
  const path = fc.constantFrom(...paths);
  const options: fc.Arbitrary<ChaosMutation>[] = [
    path.map((p): ChaosMutation => ({ kind: 'drop', path: p })),
    path.map((p): ChaosMutation => ({ kind: 'null', path: p })),
    path.map((p): ChaosMutation => ({ kind: 'retype', path: p })),
    fc
      .tuple(path, fc.constantFrom(...ODD_VALUES))
      .map(([p, value]): ChaosMutation => ({ kind: 'set', path: p, value })),
    fc
      .constantFrom(
        'empty',
        'truncated',
        'junk',
        'html',
        'emptyObject',
        'nullResponse',
        'arrayResponse',
        'primitiveResponse',
      )
      .map((mode): ChaosMutation => ({ kind: 'body', mode })),
    fc.constantFrom(500, 502, 503).map((status): ChaosMutation => ({ kind: 'http', status })),
    fc.integer({ min: 20, max: 1_500 }).map((ms): ChaosMutation => ({ kind: 'slow', ms })),
  ];
  if (COUNTED_ACTIONS.has(action)) {
    options.push(
      fc
        .constantFrom('high', 'low', 'zero', 'negative', 'huge', 'fractional', 'string')
        .map((mode): ChaosMutation => ({ kind: 'totalCount', mode })),
    );
  }
  if (LIST_ACTIONS.has(action)) {
    options.push(
      fc.integer({ min: 101, max: 600 }).map((size): ChaosMutation => ({ kind: 'hugePage', size })),
      fc.constant<ChaosMutation>({ kind: 'duplicate' }),
    );
  }
  return fc.oneof(...options);
}

const ruleArb: fc.Arbitrary<ChaosRule> = fc
  .constantFrom(...Object.keys(PATHS), '*')
  .chain((action) =>
    fc.record({
      action: fc.constant(action),
      mutation:
        action === '*'
          ? fc.oneof(
              fc.constantFrom<ChaosMutation>(
                { kind: 'body', mode: 'truncated' },
                { kind: 'body', mode: 'empty' },
                { kind: 'http', status: 500 },
              ),
              fc.integer({ min: 20, max: 800 }).map((ms): ChaosMutation => ({ kind: 'slow', ms })),
            )
          : mutationArb(action),
      probability: fc.constantFrom(0.1, 0.3, 0.6, 1),
    }),
  );

const chaosArb: fc.Arbitrary<ChaosOptions> = fc.record({
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  rules: fc.array(ruleArb, { minLength: 1, maxLength: 4 }),
});

/**
 * Always run, before the random cases: one example of each corruption issue [5] names, aimed at
 * the answers the safety protocol depends on.
 */
const rule = (action: string, mutation: ChaosMutation, probability = 1): ChaosRule => ({
  action,
  mutation,
  probability,
});
const TARGETED: ReadonlyArray<readonly [string, ChaosOptions]> = [
  [
    'Tags missing',
    { seed: 1, rules: [rule('DescribeInstances', { kind: 'drop', path: 'InstanceSet[*].Tags' })] },
  ],
  [
    'Tags null',
    { seed: 2, rules: [rule('DescribeInstances', { kind: 'null', path: 'InstanceSet[*].Tags' })] },
  ],
  [
    'Tags an object',
    {
      seed: 3,
      rules: [rule('DescribeInstances', { kind: 'retype', path: 'InstanceSet[?].Tags' })],
    },
  ],
  [
    'InstanceState WEIRD',
    {
      seed: 4,
      rules: [
        rule('DescribeInstances', {
          kind: 'set',
          path: 'InstanceSet[*].InstanceState',
          value: 'WEIRD',
        }),
      ],
    },
  ],
  [
    'InstanceState missing',
    {
      seed: 5,
      rules: [
        rule('DescribeInstances', { kind: 'drop', path: 'InstanceSet[?].InstanceState' }, 0.5),
      ],
    },
  ],
  [
    'LatestOperationState MAYBE',
    {
      seed: 6,
      rules: [
        rule(
          'DescribeInstances',
          { kind: 'set', path: 'InstanceSet[*].LatestOperationState', value: 'MAYBE' },
          0.6,
        ),
      ],
    },
  ],
  [
    'LatestOperationState missing',
    {
      seed: 7,
      rules: [
        rule(
          'DescribeInstances',
          { kind: 'drop', path: 'InstanceSet[*].LatestOperationState' },
          0.6,
        ),
      ],
    },
  ],
  [
    'LatestOperationRequestId missing',
    {
      seed: 8,
      rules: [
        rule(
          'DescribeInstances',
          { kind: 'drop', path: 'InstanceSet[*].LatestOperationRequestId' },
          0.6,
        ),
      ],
    },
  ],
  [
    'LatestOperationRequestId a number',
    {
      seed: 9,
      rules: [
        rule(
          'DescribeInstances',
          { kind: 'retype', path: 'InstanceSet[*].LatestOperationRequestId' },
          0.6,
        ),
      ],
    },
  ],
  [
    'StopChargingMode missing',
    {
      seed: 10,
      rules: [rule('DescribeInstances', { kind: 'drop', path: 'InstanceSet[*].StopChargingMode' })],
    },
  ],
  [
    'TotalCount too low',
    { seed: 11, rules: [rule('DescribeInstances', { kind: 'totalCount', mode: 'low' })] },
  ],
  [
    'TotalCount too high',
    { seed: 12, rules: [rule('DescribeInstances', { kind: 'totalCount', mode: 'huge' })] },
  ],
  [
    'TotalCount negative',
    { seed: 13, rules: [rule('DescribeInstances', { kind: 'totalCount', mode: 'negative' }, 0.5)] },
  ],
  [
    'a huge page with duplicates',
    { seed: 14, rules: [rule('DescribeInstances', { kind: 'hugePage', size: 400 }, 0.5)] },
  ],
  [
    'a duplicate in a page',
    { seed: 15, rules: [rule('DescribeInstances', { kind: 'duplicate' }, 0.5)] },
  ],
  [
    'RequestId missing from resets',
    { seed: 16, rules: [rule('ResetInstancesPassword', { kind: 'drop', path: 'RequestId' }, 0.6)] },
  ],
  [
    'HTTP 500 after resets',
    { seed: 17, rules: [rule('ResetInstancesPassword', { kind: 'http', status: 500 }, 0.6)] },
  ],
  [
    'Versions missing',
    { seed: 18, rules: [rule('ListSecretVersionIds', { kind: 'drop', path: 'Versions' }, 0.5)] },
  ],
  [
    'Versions with malformed entries',
    {
      seed: 19,
      rules: [
        rule('ListSecretVersionIds', { kind: 'retype', path: 'Versions[?].CreateTime' }, 0.5),
        rule('ListSecretVersionIds', { kind: 'null', path: 'Versions[?]' }, 0.3),
      ],
    },
  ],
  [
    'SecretString missing',
    { seed: 20, rules: [rule('GetSecretValue', { kind: 'drop', path: 'SecretString' }, 0.4)] },
  ],
  [
    'SecretMetadatas TotalCount too low',
    { seed: 21, rules: [rule('ListSecrets', { kind: 'totalCount', mode: 'zero' })] },
  ],
  [
    'promotion answers lost',
    { seed: 22, rules: [rule('UpdateSecret', { kind: 'http', status: 502 })] },
  ],
  [
    'empty and non-JSON bodies anywhere',
    {
      seed: 23,
      rules: [
        rule('*', { kind: 'body', mode: 'truncated' }, 0.15),
        rule('*', { kind: 'body', mode: 'empty' }, 0.1),
        rule('*', { kind: 'body', mode: 'html' }, 0.1),
      ],
    },
  ],
  [
    'slow answers',
    {
      seed: 24,
      rules: [
        rule('DescribeInstances', { kind: 'slow', ms: 1_500 }, 0.3),
        rule('PutSecretValue', { kind: 'slow', ms: 800 }, 0.5),
      ],
    },
  ],
];

// ------------------------------------------------------------------ the property

async function chaosCase(chaos: ChaosOptions, scope: 'group' | 'instance', seed: number) {
  emulator = await startTestEmulator({
    fleet: FLEET,
    seed,
    timeScale: SCALE,
  });
  const emu = emulator;
  try {
    // A clean first rotation: every eligible instance gets a secret and a known password.
    const first = await run(emu, scope);
    expect(first.kind, 'the first, clean run').toBe('report');
    await settle(emu);
    for (const id of ELIGIBLE) expectNewestIsActual(emu, id);
    const before = actualPasswords(emu);

    // Under chaos.
    emu.state.chaos = chaos;
    const outcome = await run(emu, scope);
    emu.state.chaos = undefined;
    if (process.env.FUZZ_DEBUG) process.stderr.write(`${summary(emu, outcome)}\n`);
    if (outcome.kind === 'error') {
      // Never a TypeError or another crash: only the rotator's own, known failures.
      expect(isRotatorError(outcome.error), `rejected with ${String(outcome.error)}`).toBe(true);
    }
    expectNoLeak(emu, outcome, 'run under chaos');
    await settle(emu);
    if (outcome.kind === 'report') {
      // What the report calls rotated is stored as the newest version, even under chaos.
      for (const entry of outcome.report.instances.filter((i) => i.result === 'rotated')) {
        expectNewestIsActual(emu, entry.instanceId);
      }
    }

    // The safety invariant: every actual password, changed or not, is stored somewhere.
    const after = actualPasswords(emu);
    for (const id of IDS) {
      if (EXCLUDED.has(id)) {
        expect(after.get(id) === before.get(id), `excluded ${id} untouched`).toBe(true);
        continue;
      }
      expectSomeVersionIsActual(emu, id);
    }

    // Chaos off: one clean run converges.
    const clean = await run(emu, scope);
    expect(clean.kind, 'the clean run after chaos resolves').toBe('report');
    expectNoLeak(emu, clean, 'clean run');
    await settle(emu);
    for (const id of ELIGIBLE) expectNewestIsActual(emu, id);
    for (const id of IDS) {
      const record = emu.state.cvm.instance(id);
      expect(versionsOf(emu, record?.region ?? '', id).length).toBeLessThanOrEqual(10);
    }
  } finally {
    emu.state.chaos = undefined;
    await emu.close();
    emulator = undefined;
  }
}

describe('fuzz: API answers from a misbehaving emulator', () => {
  it('resolves or fails cleanly under random chaos, never loses a password, then converges', async () => {
    const examples = (process.env.FUZZ_TARGETED === '0' ? [] : TARGETED).map(
      ([, chaos], i): [ChaosOptions, 'group' | 'instance', number] => [
        chaos,
        i % 2 === 0 ? 'group' : 'instance',
        i + 1,
      ],
    );
    await fc.assert(
      fc.asyncProperty(
        chaosArb,
        fc.constantFrom<'group' | 'instance'>('group', 'instance'),
        fc.integer({ min: 1, max: 1_000_000 }),
        (chaos, scope, seed) => chaosCase(chaos, scope, seed),
      ),
      {
        // Examples count towards numRuns: the targeted cases, then NUM_RUNS random ones.
        numRuns: examples.length + NUM_RUNS,
        endOnFailure: true,
        examples,
        ...REPLAY,
      },
    );
  }, 300_000);
});

describe('the chaos engine', () => {
  const fields = () => ({
    TotalCount: 3,
    InstanceSet: [
      { InstanceId: 'ins-00000001', InstanceState: 'STOPPED', Tags: [{ Key: 'a', Value: 'b' }] },
      { InstanceId: 'ins-00000002', InstanceState: 'RUNNING', Tags: [] },
      { InstanceId: 'ins-00000003', InstanceState: 'STOPPED', Tags: [] },
    ],
  });

  it('is reproducible from its seed and never changes the action result it corrupts', () => {
    // Prepare
    const options: ChaosOptions = {
      seed: 42,
      rules: [
        {
          action: 'DescribeInstances',
          probability: 0.5,
          mutation: { kind: 'drop', path: 'InstanceSet[?].InstanceState' },
        },
        {
          action: 'DescribeInstances',
          probability: 0.5,
          mutation: { kind: 'body', mode: 'truncated' },
        },
        { action: '*', probability: 0.5, mutation: { kind: 'totalCount', mode: 'high' } },
      ],
    };
    const original = fields();
    const snapshot = JSON.stringify(original);

    // Act
    const answers = (engine: ChaosEngine) =>
      Array.from({ length: 50 }, (_, i) =>
        engine.corrupt('DescribeInstances', `req-${i}`, original),
      );
    const a = answers(new ChaosEngine(options));
    const b = answers(new ChaosEngine(options));
    const c = answers(new ChaosEngine({ ...options, seed: 43 }));

    // Assess
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(JSON.stringify(original)).toBe(snapshot);
    expect(a.some((x) => x === undefined)).toBe(true);
    expect(a.some((x) => x !== undefined)).toBe(true);
  });

  it('applies each kind of corruption as documented', () => {
    // Prepare
    const one = (mutation: ChaosMutation) => {
      const engine = new ChaosEngine({
        seed: 1,
        rules: [{ action: 'DescribeInstances', mutation }],
      });
      const answer = engine.corrupt('DescribeInstances', 'req-1', fields());
      return { answer, applied: engine.applied() };
    };
    const response = (mutation: ChaosMutation) => {
      const { answer } = one(mutation);
      return (JSON.parse(answer?.body ?? 'null') as { Response: Record<string, unknown> }).Response;
    };
    const instances = (r: Record<string, unknown>) =>
      r.InstanceSet as Array<Record<string, unknown>>;

    // Act + Assess
    expect(
      instances(response({ kind: 'drop', path: 'InstanceSet[*].InstanceState' })).every(
        (i) => !('InstanceState' in i),
      ),
    ).toBe(true);
    expect(instances(response({ kind: 'null', path: 'InstanceSet[0].Tags' }))[0]?.Tags).toBeNull();
    expect(instances(response({ kind: 'retype', path: 'InstanceSet[*].Tags' }))[0]?.Tags).toEqual({
      '0': { Key: 'a', Value: 'b' },
    });
    expect(response({ kind: 'retype', path: 'TotalCount' }).TotalCount).toBe('3');
    expect(
      instances(response({ kind: 'set', path: 'InstanceSet[1].InstanceState', value: 'WEIRD' }))[1]
        ?.InstanceState,
    ).toBe('WEIRD');
    expect(response({ kind: 'drop', path: 'RequestId' })).not.toHaveProperty('RequestId');
    expect(response({ kind: 'totalCount', mode: 'negative' }).TotalCount as number).toBeLessThan(0);
    expect(response({ kind: 'totalCount', mode: 'low' }).TotalCount as number).toBeLessThan(3);
    expect(response({ kind: 'totalCount', mode: 'high' }).TotalCount as number).toBeGreaterThan(3);
    const huge = instances(response({ kind: 'hugePage', size: 300 }));
    expect(huge).toHaveLength(300);
    expect(new Set(huge.map((i) => i.InstanceId)).size).toBe(3);
    expect(instances(response({ kind: 'duplicate' }))).toHaveLength(4);
    expect(one({ kind: 'body', mode: 'empty' }).answer?.body).toBe('');
    expect(() => JSON.parse(one({ kind: 'body', mode: 'truncated' }).answer?.body ?? '')).toThrow();
    expect(one({ kind: 'http', status: 503 }).answer).toMatchObject({
      status: 503,
      contentType: 'text/html',
    });
    const slow = one({ kind: 'slow', ms: 60_000 });
    expect(slow.answer?.delayMs).toBe(10_000);
    expect(JSON.parse(slow.answer?.body ?? '{}')).toEqual({
      Response: { ...fields(), RequestId: 'req-1' },
    });
    expect(one({ kind: 'drop', path: 'NoSuchField' }).answer).toBeUndefined();
    expect(one({ kind: 'drop', path: 'InstanceSet[0].InstanceId' }).applied[0]).toMatchObject({
      action: 'DescribeInstances',
      kind: 'drop',
      rule: 0,
    });
  });

  it('reaches the SDK through the emulator and is recorded in state.chaosApplied()', async () => {
    // Prepare
    emulator = await startTestEmulator({
      fleet: testFleet({ count: 2, regions: ['ap-guangzhou'] }),
    });
    emulator.state.chaos = {
      rules: [{ action: 'DescribeInstances', times: 1, mutation: { kind: 'http', status: 500 } }],
    };

    // Act
    const { cvmClient } = await import('../helpers/sdk');
    const client = cvmClient(emulator);
    const first = await client.DescribeInstances({}).then(
      () => 'answered',
      (error: unknown) => (error as { httpCode?: number }).httpCode,
    );
    const second = await client.DescribeInstances({});

    // Assess
    expect(first).toBe(500);
    expect(second.TotalCount).toBe(2);
    expect(emulator.state.chaosApplied()).toHaveLength(1);
    // The action ran both times: chaos changes answers, never the emulator's state.
    expect(emulator.state.calls().filter((c) => c.action === 'DescribeInstances')).toHaveLength(2);
  });
});
