/**
 * Invalid input (issue [2], fixed interface): every bad configuration, event or credential makes
 * the handler's promise reject with an error that names the problem, and no mutating call is
 * made. Configuration and event errors are found before any cloud call at all; credential errors
 * surface on the first (read-only) call. No error or log line carries the secret key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CREDENTIAL, type Emulator } from '../../src/emulator';
import { runFromEvent } from '../../src/handler';
import { testFleet } from '../helpers/fleet';
import { context, envFor, mutatingCalls, startTestEmulator, timerEvent } from '../helpers/world';

interface BadInput {
  readonly name: string;
  readonly env?: Record<string, string>;
  readonly event?: unknown;
  /** Each must appear in the error message (the variable or field at fault). */
  readonly names: readonly string[];
}

/** Blank counts as unset (the SCF console can leave variables empty). */
const UNSET = '';

const BAD_CONFIG: readonly BadInput[] = [
  {
    name: 'no credentials at all',
    env: { TENCENTCLOUD_SECRETID: UNSET, TENCENTCLOUD_SECRETKEY: UNSET },
    names: ['TENCENTCLOUD_SECRETID', 'TENCENTCLOUD_SECRETKEY'],
  },
  {
    name: 'a SecretKey without its SecretId',
    env: { TENCENTCLOUD_SECRETID: UNSET },
    names: ['TENCENTCLOUD_SECRETKEY is set without TENCENTCLOUD_SECRETID'],
  },
  {
    name: 'a SecretId without its SecretKey',
    env: { TENCENTCLOUD_SECRETKEY: UNSET },
    names: ['TENCENTCLOUD_SECRETID is set without TENCENTCLOUD_SECRETKEY'],
  },
  {
    name: 'ROTATION_TAGS missing and no instanceIds',
    env: { ROTATION_TAGS: UNSET },
    event: {},
    names: ['ROTATION_TAGS'],
  },
  {
    name: 'ROTATION_TAGS with an empty value',
    env: { ROTATION_TAGS: 'rotation=' },
    names: ['ROTATION_TAGS'],
  },
  {
    name: 'ROTATION_TAGS with an empty entry',
    env: { ROTATION_TAGS: 'rotation=enabled,,team=ops' },
    names: ['ROTATION_TAGS'],
  },
  {
    name: 'ROTATION_TAGS selecting on the exclusion tag',
    env: { ROTATION_TAGS: 'rotation-exclude' },
    names: ['ROTATION_TAGS', 'ROTATION_EXCLUDE_TAG'],
  },
  {
    name: 'a malformed TENCENTCLOUD_REGION',
    env: { TENCENTCLOUD_REGION: 'Guangzhou' },
    names: ['TENCENTCLOUD_REGION'],
  },
  {
    name: 'a malformed region in ROTATION_REGIONS',
    env: { ROTATION_REGIONS: 'ap-guangzhou,ap_shanghai' },
    names: ['ROTATION_REGIONS'],
  },
  { name: 'no region anywhere', env: { TENCENTCLOUD_REGION: UNSET }, names: ['ROTATION_REGIONS'] },
  {
    name: 'ROTATION_FORCE_STOP=yes',
    env: { ROTATION_FORCE_STOP: 'yes' },
    names: ['ROTATION_FORCE_STOP'],
  },
  { name: 'ROTATION_DRY_RUN=1', env: { ROTATION_DRY_RUN: '1' }, names: ['ROTATION_DRY_RUN'] },
  {
    name: 'ROTATION_PASSWORD_SCOPE=cluster',
    env: { ROTATION_PASSWORD_SCOPE: 'cluster' },
    names: ['ROTATION_PASSWORD_SCOPE'],
  },
  {
    name: 'a ROTATION_SECRET_PREFIX starting with "-"',
    env: { ROTATION_SECRET_PREFIX: '-cvm' },
    names: ['ROTATION_SECRET_PREFIX'],
  },
  {
    name: 'a ROTATION_SECRET_PREFIX with a space',
    env: { ROTATION_SECRET_PREFIX: 'cvm password' },
    names: ['ROTATION_SECRET_PREFIX'],
  },
  {
    name: 'a ROTATION_SECRET_PREFIX over 64 characters',
    env: { ROTATION_SECRET_PREFIX: 'p'.repeat(65) },
    names: ['ROTATION_SECRET_PREFIX'],
  },
  {
    name: 'a ROTATION_CVM_ENDPOINT that is no URL',
    env: { ROTATION_CVM_ENDPOINT: 'not a url' },
    names: ['ROTATION_CVM_ENDPOINT'],
  },
  {
    name: 'a ROTATION_SSM_ENDPOINT with another scheme',
    env: { ROTATION_SSM_ENDPOINT: 'ftp://127.0.0.1:9000' },
    names: ['ROTATION_SSM_ENDPOINT'],
  },
  {
    name: 'a ROTATION_CVM_ENDPOINT with a path',
    env: { ROTATION_CVM_ENDPOINT: 'http://127.0.0.1:9000/v3' },
    names: ['ROTATION_CVM_ENDPOINT'],
  },
  {
    name: 'a ROTATION_SSM_ENDPOINT with user info',
    env: { ROTATION_SSM_ENDPOINT: 'http://admin:hunter2secret@127.0.0.1:9000' },
    names: ['ROTATION_SSM_ENDPOINT'],
  },
  {
    name: 'ROTATION_PASSWORD_LENGTH below the range',
    env: { ROTATION_PASSWORD_LENGTH: '11' },
    names: ['ROTATION_PASSWORD_LENGTH'],
  },
  {
    name: 'ROTATION_PASSWORD_LENGTH above the range',
    env: { ROTATION_PASSWORD_LENGTH: '31' },
    names: ['ROTATION_PASSWORD_LENGTH'],
  },
  {
    name: 'ROTATION_PASSWORD_LENGTH not a number',
    env: { ROTATION_PASSWORD_LENGTH: 'sixteen' },
    names: ['ROTATION_PASSWORD_LENGTH'],
  },
  {
    name: 'ROTATION_KEEP_VERSIONS=0',
    env: { ROTATION_KEEP_VERSIONS: '0' },
    names: ['ROTATION_KEEP_VERSIONS'],
  },
  {
    name: 'ROTATION_KEEP_VERSIONS=10 (no room for an 11th version)',
    env: { ROTATION_KEEP_VERSIONS: '10' },
    names: ['ROTATION_KEEP_VERSIONS'],
  },
  {
    name: 'ROTATION_VERIFY_TIMEOUT_SECONDS below the range',
    env: { ROTATION_VERIFY_TIMEOUT_SECONDS: '1' },
    names: ['ROTATION_VERIFY_TIMEOUT_SECONDS'],
  },
  {
    name: 'ROTATION_DEADLINE_MARGIN_SECONDS negative',
    env: { ROTATION_DEADLINE_MARGIN_SECONDS: '-5' },
    names: ['ROTATION_DEADLINE_MARGIN_SECONDS'],
  },
  {
    name: 'ROTATION_MAX_INSTANCES not a whole number',
    env: { ROTATION_MAX_INSTANCES: '1.5' },
    names: ['ROTATION_MAX_INSTANCES'],
  },
  { name: 'an unknown ROTATION_FOO variable', env: { ROTATION_FOO: '1' }, names: ['ROTATION_FOO'] },
  {
    name: 'a misspelt ROTATION_DRYRUN variable',
    env: { ROTATION_DRYRUN: 'true' },
    names: ['ROTATION_DRYRUN', 'ROTATION_DRY_RUN'],
  },
];

const BAD_EVENTS: readonly BadInput[] = [
  { name: 'a string event', event: 'rotate everything', names: ['event'] },
  { name: 'a number event', event: 42, names: ['event'] },
  { name: 'an array event', event: [{ instanceIds: ['ins-00000000'] }], names: ['event'] },
  { name: 'a boolean event', event: true, names: ['event'] },
  { name: 'a manual event with an unknown key', event: { dryrun: true }, names: ['dryrun'] },
  { name: 'a malformed instance id', event: { instanceIds: ['ins-123'] }, names: ['instanceIds'] },
  {
    name: 'an instance id of another product',
    event: { instanceIds: ['ins-00000000', 'i-abcdefgh'] },
    names: ['instanceIds[1]'],
  },
  { name: 'an empty instanceIds array', event: { instanceIds: [] }, names: ['instanceIds'] },
  {
    name: 'instanceIds as a string',
    event: { instanceIds: 'ins-00000000' },
    names: ['instanceIds'],
  },
  { name: 'forceStop as a string', event: { forceStop: 'true' }, names: ['forceStop'] },
  { name: 'dryRun as a number', event: { dryRun: 1 }, names: ['dryRun'] },
  {
    name: 'an unknown passwordScope',
    event: { passwordScope: 'cluster' },
    names: ['passwordScope'],
  },
  { name: 'reason as a number', event: { reason: 42 }, names: ['reason'] },
  { name: 'a blank reason', event: { reason: '   ' }, names: ['reason'] },
  { name: 'regions as a string', event: { regions: 'ap-guangzhou' }, names: ['regions'] },
  {
    name: 'a malformed region in the event',
    event: { regions: ['Guangzhou'] },
    names: ['regions'],
  },
  {
    name: 'a timer Message that is not JSON',
    event: timerEvent('dryRun=true'),
    names: ['Message'],
  },
  {
    name: 'a timer Message that is a JSON array',
    event: timerEvent('["ins-00000000"]'),
    names: ['Message'],
  },
  {
    name: 'a timer Message with an unknown key',
    event: timerEvent('{"dryrun":true}'),
    names: ['Message', 'dryrun'],
  },
  {
    name: 'a timer Message with a wrong type',
    event: timerEvent('{"forceStop":"yes"}'),
    names: ['Message.forceStop'],
  },
  {
    name: 'an override next to Type in a timer event',
    event: { ...timerEvent(), dryRun: true },
    names: ['dryRun', 'Message'],
  },
  {
    name: 'a timer Message that is not a string',
    event: { ...timerEvent(), Message: { dryRun: true } },
    names: ['Message'],
  },
];

/** Runs the handler with the base environment (pointing at `emulator`) plus `env`, expecting a rejection. */
async function rejected(
  emulator: Emulator,
  input: { env?: Record<string, string>; event?: unknown },
) {
  const lines: string[] = [];
  const event = 'event' in input ? input.event : timerEvent();
  const outcome = await runFromEvent(event, context(), {
    env: envFor(emulator, input.env ?? {}),
    write: (l) => lines.push(l),
  }).then(
    (report) => ({ report, error: undefined }),
    (error: unknown) => ({ report: undefined, error: error as Error }),
  );
  expect(outcome.report, 'the handler resolved instead of rejecting').toBeUndefined();
  return { error: outcome.error as Error, lines };
}

/** Everything an error exposes: message, stack, and its own properties (cause included). */
function everythingIn(error: Error): string {
  return [
    String(error),
    String(error.stack),
    JSON.stringify(error, Object.getOwnPropertyNames(error)),
  ].join('\n');
}

describe('Invalid configuration and events', () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startTestEmulator({
      fleet: testFleet({ count: 4, runningEvery: 2 }),
      rateLimits: false,
    });
  });
  afterAll(async () => {
    await emulator.close();
  });

  it.each([...BAD_CONFIG, ...BAD_EVENTS])(
    'rejects $name, naming it, before any cloud call',
    async (input) => {
      // Prepare
      const callsBefore = emulator.state.calls().length;

      // Act
      const { error, lines } = await rejected(emulator, input);

      // Assess
      expect(error).toBeInstanceOf(Error);
      for (const name of input.names) expect(error.message).toContain(name);
      expect(emulator.state.calls()).toHaveLength(callsBefore);
      expect(mutatingCalls(emulator)).toBe(0);
      const output = [everythingIn(error), ...lines].join('\n');
      expect(output).not.toContain(DEFAULT_CREDENTIAL.secretKey);
      expect(output).not.toContain('hunter2secret');
      expect(lines.map((l) => (JSON.parse(l) as { event?: string }).event)).toEqual([
        'run.rejected',
      ]);
    },
  );

  it('lists every problem of a run at once, configuration and event together', async () => {
    // Prepare
    const input = {
      env: { ROTATION_DRY_RUN: 'maybe', ROTATION_KEEP_VERSIONS: '99' },
      event: { forceStop: 'yes', colour: 'red' },
    };

    // Act
    const { error } = await rejected(emulator, input);

    // Assess
    for (const name of ['ROTATION_DRY_RUN', 'ROTATION_KEEP_VERSIONS', 'forceStop', 'colour'])
      expect(error.message).toContain(name);
    expect(mutatingCalls(emulator)).toBe(0);
  });

  it('accepts the same base configuration and event when nothing is wrong (control)', async () => {
    // Act
    const report = await runFromEvent({ dryRun: true }, context(), {
      env: envFor(emulator),
      write: () => undefined,
    });

    // Assess: the table above fails for its own reasons, not the base.
    expect(report.status).toBe('succeeded');
    expect(report.counts.planned).toBeGreaterThan(0);
    expect(mutatingCalls(emulator)).toBe(0);
  });
});

describe('Invalid credentials', () => {
  const WRONG_KEY = 'wrong-secret-key-but-valid-format-000';
  const TOKEN = 'session-token-of-the-execution-role-0001';
  let emulator: Emulator | undefined;
  afterAll(async () => {
    await emulator?.close();
  });

  async function start(token?: string): Promise<Emulator> {
    await emulator?.close();
    emulator = await startTestEmulator({
      fleet: testFleet({ count: 4 }),
      rateLimits: false,
      credentials: [{ ...DEFAULT_CREDENTIAL, ...(token ? { token } : {}) }],
    });
    return emulator;
  }

  it.each<{ name: string; env: Record<string, string>; code: string }>([
    {
      name: 'a wrong SecretKey',
      env: { TENCENTCLOUD_SECRETKEY: WRONG_KEY },
      code: 'AuthFailure.SignatureFailure',
    },
    {
      name: 'an unknown SecretId',
      env: { TENCENTCLOUD_SECRETID: 'AKIDunknown000000000000000000000000' },
      code: 'AuthFailure.SecretIdNotFound',
    },
  ])(
    'rejects $name naming AuthFailure, without any mutating call or the key in any output',
    async ({ env, code }) => {
      // Prepare
      const emu = await start();

      // Act
      const { error, lines } = await rejected(emu, { env, event: {} });

      // Assess
      expect(error.message).toContain('AuthFailure');
      expect(error.message).toContain(code);
      expect(emu.state.calls().length).toBeGreaterThan(0);
      expect(emu.state.calls().every((c) => c.error?.startsWith('AuthFailure'))).toBe(true);
      expect(mutatingCalls(emu)).toBe(0);
      const output = [everythingIn(error), ...lines].join('\n');
      expect(output).not.toContain(WRONG_KEY);
      expect(output).not.toContain(DEFAULT_CREDENTIAL.secretKey);
    },
  );

  it('rejects a temporary credential whose session token is missing with AuthFailure.TokenFailure', async () => {
    // Prepare: the keys require a token (as SCF's execution-role keys do); none is configured.
    const emu = await start(TOKEN);

    // Act
    const { error, lines } = await rejected(emu, { event: {} });

    // Assess
    expect(error.message).toContain('AuthFailure.TokenFailure');
    expect(mutatingCalls(emu)).toBe(0);
    expect([everythingIn(error), ...lines].join('\n')).not.toContain(DEFAULT_CREDENTIAL.secretKey);
  });

  it('rejects a wrong session token with AuthFailure.TokenFailure and never shows the token', async () => {
    // Prepare
    const emu = await start(TOKEN);
    const wrongToken = 'session-token-of-another-role-000000002';

    // Act
    const { error, lines } = await rejected(emu, {
      env: { TENCENTCLOUD_SESSIONTOKEN: wrongToken },
      event: {},
    });

    // Assess
    expect(error.message).toContain('AuthFailure.TokenFailure');
    expect(mutatingCalls(emu)).toBe(0);
    const output = [everythingIn(error), ...lines].join('\n');
    expect(output).not.toContain(wrongToken);
    expect(output).not.toContain(DEFAULT_CREDENTIAL.secretKey);
  });

  it('rotates with the same temporary credential once SCF passes its token (control)', async () => {
    // Prepare
    const emu = await start(TOKEN);
    const lines: string[] = [];

    // Act
    const report = await runFromEvent({}, context(), {
      env: envFor(emu, { TENCENTCLOUD_SESSIONTOKEN: TOKEN }),
      write: (l) => lines.push(l),
    });

    // Assess
    expect(report.status).toBe('succeeded');
    expect(report.counts.rotated).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(TOKEN);
  });
});
