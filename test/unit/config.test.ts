import { describe, expect, it } from 'vitest';
import { resolveRunConfig, SUMMARY_MAX_INSTANCE_IDS, summarizeConfig } from '../../src/config';
import { ENV_VARIABLES, loadEnvConfig } from '../../src/config/env';
import { MAX_EVENT_INSTANCE_IDS, parseEvent } from '../../src/config/event';
import {
  ConfigError,
  EventError,
  isConfigError,
  isEventError,
  isInputError,
} from '../../src/errors';

// Distinctive values so that a leak into any message is easy to detect.
const SCF_CREDENTIALS = {
  TENCENTCLOUD_SECRETID: 'AKIDscfSecretIdValue0001',
  TENCENTCLOUD_SECRETKEY: 'scfSecretKeyValue-9f8e7d6c',
  TENCENTCLOUD_SESSIONTOKEN: 'scfSessionTokenValue-1a2b3c4d',
};
const SDK_CREDENTIALS = {
  TENCENTCLOUD_SECRET_ID: 'AKIDsdkSecretIdValue0002',
  TENCENTCLOUD_SECRET_KEY: 'sdkSecretKeyValue-5e4d3c2b',
  TENCENTCLOUD_SESSION_TOKEN: 'sdkSessionTokenValue-7a8b9c',
};
const ALL_SECRET_VALUES = [...Object.values(SCF_CREDENTIALS), ...Object.values(SDK_CREDENTIALS)];

const BASE_ENV = {
  ...SCF_CREDENTIALS,
  TENCENTCLOUD_REGION: 'ap-guangzhou',
  ROTATION_TAGS: 'rotate=true',
};

/** Runs `act` and returns what it threw (failing the test if nothing was thrown). */
function thrown(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function envProblems(env: Record<string, string | undefined>): string[] {
  const error = thrown(() => loadEnvConfig(env));
  expect(error).toBeInstanceOf(ConfigError);
  return [...(error as ConfigError).problems];
}

function eventProblems(event: unknown): string[] {
  const error = thrown(() => parseEvent(event));
  expect(error).toBeInstanceOf(EventError);
  return [...(error as EventError).problems];
}

function expectNoSecrets(error: unknown): void {
  const text = [
    (error as Error).message,
    (error as Error).stack ?? '',
    JSON.stringify((error as ConfigError).problems ?? []),
    JSON.stringify(error),
  ].join('\n');
  for (const secret of ALL_SECRET_VALUES) expect(text).not.toContain(secret);
}

describe('Function: loadEnvConfig', () => {
  describe('defaults', () => {
    it('applies every documented default', () => {
      // Act
      const config = loadEnvConfig(BASE_ENV);
      // Assess
      expect(config).toEqual({
        credentials: {
          secretId: SCF_CREDENTIALS.TENCENTCLOUD_SECRETID,
          secretKey: SCF_CREDENTIALS.TENCENTCLOUD_SECRETKEY,
          token: SCF_CREDENTIALS.TENCENTCLOUD_SESSIONTOKEN,
        },
        region: 'ap-guangzhou',
        regions: ['ap-guangzhou'],
        tags: [{ key: 'rotate', value: 'true' }],
        excludeTag: 'rotation-exclude',
        forceStop: false,
        dryRun: false,
        passwordScope: 'group',
        secretPrefix: 'cvm-password',
        endpoints: {},
        passwordLength: 16,
        keepVersions: 5,
        kmsKeyId: undefined,
        maxInstances: 1000,
        verifyTimeoutMs: 300_000,
        deadlineMarginMs: 30_000,
        lockTtlMs: 120_000,
        secretLayout: 'instance',
        fanout: false,
      });
    });

    it('leaves ROTATION_TAGS and the regions to the merge step when unset', () => {
      const config = loadEnvConfig({ ...SCF_CREDENTIALS });
      expect(config.tags).toBeUndefined();
      expect(config.regions).toEqual([]);
      expect(config.region).toBeUndefined();
    });

    it('treats blank variables as unset', () => {
      const config = loadEnvConfig({
        ...BASE_ENV,
        ROTATION_DRY_RUN: '  ',
        ROTATION_PASSWORD_LENGTH: '',
      });
      expect(config.dryRun).toBe(false);
      expect(config.passwordLength).toBe(16);
    });
  });

  describe('valid values', () => {
    it.each([
      ['ROTATION_FORCE_STOP', 'TRUE', { forceStop: true }],
      ['ROTATION_FORCE_STOP', 'false', { forceStop: false }],
      ['ROTATION_DRY_RUN', 'True', { dryRun: true }],
      ['ROTATION_DRY_RUN', ' FALSE ', { dryRun: false }],
      ['ROTATION_PASSWORD_SCOPE', 'instance', { passwordScope: 'instance' }],
      ['ROTATION_PASSWORD_SCOPE', 'Group', { passwordScope: 'group' }],
      ['ROTATION_EXCLUDE_TAG', 'no-rotate', { excludeTag: 'no-rotate' }],
      ['ROTATION_SECRET_PREFIX', 'prod_cvm-pw', { secretPrefix: 'prod_cvm-pw' }],
      ['ROTATION_SECRET_PREFIX', 'p'.repeat(64), { secretPrefix: 'p'.repeat(64) }],
      ['ROTATION_PASSWORD_LENGTH', '12', { passwordLength: 12 }],
      ['ROTATION_KEEP_VERSIONS', '8', { keepVersions: 8 }],
      ['ROTATION_KEEP_VERSIONS', '1', { keepVersions: 1 }],
      [
        'ROTATION_KMS_KEY_ID',
        '23e80852-1e38-11e9-b129-5cb9019b4b01',
        { kmsKeyId: '23e80852-1e38-11e9-b129-5cb9019b4b01' },
      ],
      ['ROTATION_MAX_INSTANCES', '0', { maxInstances: Number.POSITIVE_INFINITY }],
      ['ROTATION_MAX_INSTANCES', '25', { maxInstances: 25 }],
      ['ROTATION_VERIFY_TIMEOUT_SECONDS', '10', { verifyTimeoutMs: 10_000 }],
      ['ROTATION_VERIFY_TIMEOUT_SECONDS', '3600', { verifyTimeoutMs: 3_600_000 }],
      ['ROTATION_DEADLINE_MARGIN_SECONDS', '0', { deadlineMarginMs: 0 }],
      ['ROTATION_DEADLINE_MARGIN_SECONDS', '600', { deadlineMarginMs: 600_000 }],
      [
        'ROTATION_REGIONS',
        'ap-shanghai, na-siliconvalley,ap-shanghai-fsi',
        { regions: ['ap-shanghai', 'na-siliconvalley', 'ap-shanghai-fsi'] },
      ],
      [
        'ROTATION_CVM_ENDPOINT',
        'http://127.0.0.1:9000',
        { endpoints: { cvm: { protocol: 'http://', endpoint: '127.0.0.1:9000' } } },
      ],
      [
        'ROTATION_SSM_ENDPOINT',
        'https://ssm.ap-guangzhou.tencentcloudapi.com/',
        {
          endpoints: {
            ssm: { protocol: 'https://', endpoint: 'ssm.ap-guangzhou.tencentcloudapi.com' },
          },
        },
      ],
    ])('%s=%s', (name, value, expected) => {
      expect(loadEnvConfig({ ...BASE_ENV, [name]: value })).toMatchObject(expected);
    });

    it.each([
      ['env=prod', [{ key: 'env', value: 'prod' }]],
      [' env = prod , team ', [{ key: 'env', value: 'prod' }, { key: 'team' }]],
      ['formula=a=b', [{ key: 'formula', value: 'a=b' }]],
      ['a,b,c', [{ key: 'a' }, { key: 'b' }, { key: 'c' }]],
      [
        Array.from({ length: 10 }, (_, i) => `k${i}=v`).join(','),
        Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: 'v' })),
      ],
    ])('parses ROTATION_TAGS=%s', (text, tags) => {
      expect(loadEnvConfig({ ...BASE_ENV, ROTATION_TAGS: text }).tags).toEqual(tags);
    });

    it('defaults the regions to TENCENTCLOUD_REGION, and keeps both when both are set', () => {
      expect(loadEnvConfig({ ...BASE_ENV, TENCENTCLOUD_REGION: 'ap-beijing' }).regions).toEqual([
        'ap-beijing',
      ]);
      const both = loadEnvConfig({ ...BASE_ENV, ROTATION_REGIONS: 'ap-shanghai' });
      expect(both.region).toBe('ap-guangzhou');
      expect(both.regions).toEqual(['ap-shanghai']);
    });
  });

  describe('invalid values (one problem each, naming the variable and the rule)', () => {
    it.each([
      [
        'TENCENTCLOUD_REGION',
        'Guangzhou',
        /TENCENTCLOUD_REGION: "Guangzhou" is not a Tencent region id/,
      ],
      [
        'ROTATION_REGIONS',
        'ap-guangzhou,ap guangzhou',
        /ROTATION_REGIONS item 2: "ap guangzhou" is not a Tencent region id/,
      ],
      [
        'ROTATION_REGIONS',
        'ap-guangzhou,ap-guangzhou',
        /ROTATION_REGIONS item 2: duplicate region "ap-guangzhou"/,
      ],
      ['ROTATION_REGIONS', 'ap-guangzhou,', /ROTATION_REGIONS item 2: is empty/],
      ['ROTATION_REGIONS', 'guangzhou', /ROTATION_REGIONS item 1: "guangzhou" is not/],
      ['ROTATION_TAGS', 'env=', /ROTATION_TAGS: entry 1 has an empty value/],
      ['ROTATION_TAGS', '=prod', /ROTATION_TAGS: a tag key is empty/],
      ['ROTATION_TAGS', 'env=a,env=b', /ROTATION_TAGS: duplicate tag key "env"/],
      ['ROTATION_TAGS', 'env=a,,b', /ROTATION_TAGS: entry 2 is empty/],
      [
        'ROTATION_TAGS',
        Array.from({ length: 11 }, (_, i) => `k${i}`).join(','),
        /ROTATION_TAGS: at most 10 tags/,
      ],
      ['ROTATION_TAGS', 'k'.repeat(256), /ROTATION_TAGS: tag key "k+…" is longer than 255/],
      ['ROTATION_EXCLUDE_TAG', 'skip=true', /ROTATION_EXCLUDE_TAG: must be a single tag key/],
      ['ROTATION_FORCE_STOP', 'yes', /ROTATION_FORCE_STOP: must be "true" or "false"/],
      ['ROTATION_FORCE_STOP', '1', /ROTATION_FORCE_STOP: must be "true" or "false"/],
      ['ROTATION_DRY_RUN', 'on', /ROTATION_DRY_RUN: must be "true" or "false"/],
      [
        'ROTATION_PASSWORD_SCOPE',
        'batch',
        /ROTATION_PASSWORD_SCOPE: must be one of "group", "instance"/,
      ],
      [
        'ROTATION_SECRET_PREFIX',
        '-cvm',
        /ROTATION_SECRET_PREFIX: must start with a letter or digit/,
      ],
      [
        'ROTATION_SECRET_PREFIX',
        'cvm.password',
        /ROTATION_SECRET_PREFIX: must start with a letter or digit and contain only/,
      ],
      [
        'ROTATION_SECRET_PREFIX',
        'p'.repeat(65),
        /ROTATION_SECRET_PREFIX: must be at most 64 characters/,
      ],
      [
        'ROTATION_CVM_ENDPOINT',
        'ftp://127.0.0.1:9000',
        /ROTATION_CVM_ENDPOINT: must be an http\(s\) base URL/,
      ],
      [
        'ROTATION_CVM_ENDPOINT',
        '127.0.0.1:9000',
        /ROTATION_CVM_ENDPOINT: must be an http\(s\) base URL/,
      ],
      [
        'ROTATION_CVM_ENDPOINT',
        'not a url',
        /ROTATION_CVM_ENDPOINT: must be an http\(s\) base URL/,
      ],
      [
        'ROTATION_SSM_ENDPOINT',
        'http://127.0.0.1:9000/ssm',
        /ROTATION_SSM_ENDPOINT: must not have a path/,
      ],
      [
        'ROTATION_SSM_ENDPOINT',
        'http://127.0.0.1:9000/?a=b',
        /ROTATION_SSM_ENDPOINT: must not have a query/,
      ],
      [
        'ROTATION_SSM_ENDPOINT',
        'http://127.0.0.1:9000#x',
        /ROTATION_SSM_ENDPOINT: must not have a query or fragment/,
      ],
      [
        'ROTATION_SSM_ENDPOINT',
        'http://user:pw@127.0.0.1:9000',
        /ROTATION_SSM_ENDPOINT: must not contain a user name or password/,
      ],
      [
        'ROTATION_PASSWORD_LENGTH',
        '11',
        /ROTATION_PASSWORD_LENGTH: must be a whole number from 12 to 16/,
      ],
      [
        'ROTATION_PASSWORD_LENGTH',
        '17',
        /ROTATION_PASSWORD_LENGTH: must be a whole number from 12 to 16/,
      ],
      ['ROTATION_PASSWORD_LENGTH', '16.0', /ROTATION_PASSWORD_LENGTH: must be a whole number/],
      ['ROTATION_PASSWORD_LENGTH', 'sixteen', /ROTATION_PASSWORD_LENGTH: must be a whole number/],
      ['ROTATION_KEEP_VERSIONS', '0', /ROTATION_KEEP_VERSIONS: must be a whole number from 1 to 8/],
      ['ROTATION_KEEP_VERSIONS', '9', /ROTATION_KEEP_VERSIONS: must be a whole number from 1 to 8/],
      [
        'ROTATION_KMS_KEY_ID',
        'key with spaces',
        /ROTATION_KMS_KEY_ID: must be 1 to 128 printable ASCII/,
      ],
      ['ROTATION_MAX_INSTANCES', '-1', /ROTATION_MAX_INSTANCES: must be a whole number from 0/],
      ['ROTATION_MAX_INSTANCES', '1e3', /ROTATION_MAX_INSTANCES: must be a whole number/],
      [
        'ROTATION_VERIFY_TIMEOUT_SECONDS',
        '9',
        /ROTATION_VERIFY_TIMEOUT_SECONDS: must be a whole number from 10 to 3600/,
      ],
      [
        'ROTATION_VERIFY_TIMEOUT_SECONDS',
        '3601',
        /ROTATION_VERIFY_TIMEOUT_SECONDS: must be a whole number from 10 to 3600/,
      ],
      [
        'ROTATION_DEADLINE_MARGIN_SECONDS',
        '601',
        /ROTATION_DEADLINE_MARGIN_SECONDS: must be a whole number from 0 to 600/,
      ],
      ['ROTATION_FOO', 'x', /^unknown variable ROTATION_FOO$/],
      [
        'ROTATION_DRYRUN',
        'true',
        /unknown variable ROTATION_DRYRUN; did you mean ROTATION_DRY_RUN\?/,
      ],
      ['ROTATION_TAG', 'env=prod', /unknown variable ROTATION_TAG; did you mean ROTATION_TAGS\?/],
      [
        'rotation_force_stop',
        'true',
        /unknown variable rotation_force_stop; did you mean ROTATION_FORCE_STOP\?/,
      ],
    ])('%s=%s', (name, value, expected) => {
      const problems = envProblems({ ...BASE_ENV, [name]: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(expected);
    });
  });

  it('reports every problem at once', () => {
    // Prepare
    const env = {
      TENCENTCLOUD_REGION: 'bad region',
      ROTATION_DRY_RUN: 'maybe',
      ROTATION_FORCE_STOP: 'sure',
      ROTATION_PASSWORD_LENGTH: '99',
      ROTATION_SECRET_PREFIX: '_x',
      ROTATION_TAGS: 'a=1,a=2',
      ROTATION_CVM_ENDPOINT: 'ftp://x',
      ROTATION_UNKNOWN: '1',
    };
    // Act
    const error = thrown(() => loadEnvConfig(env));
    // Assess
    expect(isConfigError(error)).toBe(true);
    const problems = (error as ConfigError).problems;
    for (const name of [
      'credentials',
      'TENCENTCLOUD_REGION',
      'ROTATION_DRY_RUN',
      'ROTATION_FORCE_STOP',
      'ROTATION_PASSWORD_LENGTH',
      'ROTATION_SECRET_PREFIX',
      'ROTATION_TAGS',
      'ROTATION_CVM_ENDPOINT',
      'unknown variable ROTATION_UNKNOWN',
    ]) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
    expect(problems).toHaveLength(9);
    expect((error as Error).message).toContain('ROTATION_DRY_RUN');
  });

  it('ignores variables outside the ROTATION_ prefix', () => {
    expect(() =>
      loadEnvConfig({ ...BASE_ENV, PATH: '/bin', SCF_NAMESPACE: 'default', ROTATIONS: 'x' }),
    ).not.toThrow();
  });

  it('knows every variable it documents', () => {
    const env = Object.fromEntries(ENV_VARIABLES.map((name) => [name, undefined]));
    expect(() => loadEnvConfig({ ...env, ...BASE_ENV })).not.toThrow();
  });

  describe('credentials', () => {
    it('reads the names SCF injects', () => {
      expect(loadEnvConfig(BASE_ENV).credentials).toEqual({
        secretId: SCF_CREDENTIALS.TENCENTCLOUD_SECRETID,
        secretKey: SCF_CREDENTIALS.TENCENTCLOUD_SECRETKEY,
        token: SCF_CREDENTIALS.TENCENTCLOUD_SESSIONTOKEN,
      });
    });

    it("reads the SDK's names", () => {
      const env = { ...SDK_CREDENTIALS, TENCENTCLOUD_REGION: 'ap-guangzhou' };
      expect(loadEnvConfig(env).credentials).toEqual({
        secretId: SDK_CREDENTIALS.TENCENTCLOUD_SECRET_ID,
        secretKey: SDK_CREDENTIALS.TENCENTCLOUD_SECRET_KEY,
        token: SDK_CREDENTIALS.TENCENTCLOUD_SESSION_TOKEN,
      });
    });

    it("prefers SCF's names when both sets are present, never mixing them", () => {
      const config = loadEnvConfig({
        ...SDK_CREDENTIALS,
        ...BASE_ENV,
        TENCENTCLOUD_SESSIONTOKEN: undefined,
      });
      expect(config.credentials).toEqual({
        secretId: SCF_CREDENTIALS.TENCENTCLOUD_SECRETID,
        secretKey: SCF_CREDENTIALS.TENCENTCLOUD_SECRETKEY,
      });
    });

    it('names both sets of variables when none is complete', () => {
      const problems = envProblems({ TENCENTCLOUD_REGION: 'ap-guangzhou' });
      expect(problems).toHaveLength(1);
      for (const name of [
        'TENCENTCLOUD_SECRETID',
        'TENCENTCLOUD_SECRETKEY',
        'TENCENTCLOUD_SECRET_ID',
        'TENCENTCLOUD_SECRET_KEY',
      ]) {
        expect(problems[0]).toContain(name);
      }
    });

    it('says which half of a set is missing, without its value', () => {
      const problems = envProblems({
        TENCENTCLOUD_SECRETKEY: SCF_CREDENTIALS.TENCENTCLOUD_SECRETKEY,
      });
      expect(problems[0]).toContain('TENCENTCLOUD_SECRETKEY is set without TENCENTCLOUD_SECRETID');
      expect(problems[0]).not.toContain(SCF_CREDENTIALS.TENCENTCLOUD_SECRETKEY);
    });
  });

  it('never puts a credential value in an error, wherever it was pasted', () => {
    // Prepare: credentials present but other variables broken, some of them holding secret values.
    const env = {
      ...SCF_CREDENTIALS,
      ...SDK_CREDENTIALS,
      ROTATION_CVM_ENDPOINT: `http://id:${SCF_CREDENTIALS.TENCENTCLOUD_SECRETKEY}@127.0.0.1:9000`,
      ROTATION_SSM_ENDPOINT: SDK_CREDENTIALS.TENCENTCLOUD_SECRET_KEY,
      ROTATION_PASSWORD_LENGTH: SCF_CREDENTIALS.TENCENTCLOUD_SESSIONTOKEN,
      ROTATION_DRY_RUN: SDK_CREDENTIALS.TENCENTCLOUD_SESSION_TOKEN,
      ROTATION_SECRET_PREFIX: `-${SCF_CREDENTIALS.TENCENTCLOUD_SECRETID}`,
      ROTATION_KMS_KEY_ID: `${SDK_CREDENTIALS.TENCENTCLOUD_SECRET_ID} x`,
      ROTATION_SECRET: SCF_CREDENTIALS.TENCENTCLOUD_SECRETKEY,
    };
    // Act
    const error = thrown(() => resolveRunConfig(env, { reason: 'x', bogus: 1 }));
    // Assess
    expect((error as ConfigError).problems.length).toBeGreaterThanOrEqual(8);
    expectNoSecrets(error);
  });
});

describe('Function: parseEvent', () => {
  describe('manual events', () => {
    it.each([null, undefined, {}])('treats %j as a manual run with no overrides', (event) => {
      expect(parseEvent(event)).toEqual({ trigger: 'manual' });
    });

    it.each([
      ['a string', 'rotate'],
      ['a number', 42],
      ['an array', [{ dryRun: true }]],
      ['true', true],
    ])('rejects %s', (_name, event) => {
      expect(eventProblems(event)).toEqual([
        'event: must be a JSON object (a timer trigger event or manual overrides)',
      ]);
    });

    it.each([
      [{ instanceIds: ['ins-abcd1234'] }, { instanceIds: ['ins-abcd1234'] }],
      [
        { instanceIds: ['ins-abcd1234', 'ins-0000zzzz', 'ins-abcd1234'] },
        { instanceIds: ['ins-abcd1234', 'ins-0000zzzz'] },
      ],
      [{ regions: ['ap-shanghai', 'ap-beijing'] }, { regions: ['ap-shanghai', 'ap-beijing'] }],
      [{ tags: 'env=prod,team' }, { tags: [{ key: 'env', value: 'prod' }, { key: 'team' }] }],
      [
        { tags: { env: 'prod', team: '' } },
        { tags: [{ key: 'env', value: 'prod' }, { key: 'team' }] },
      ],
      [{ forceStop: true }, { forceStop: true }],
      [{ dryRun: false }, { dryRun: false }],
      [{ passwordScope: 'instance' }, { passwordScope: 'instance' }],
      [{ reason: 'CHG-1234: quarterly rotation' }, { reason: 'CHG-1234: quarterly rotation' }],
    ])('accepts %j', (event, expected) => {
      expect(parseEvent(event)).toEqual({ trigger: 'manual', ...expected });
    });

    it('rejects unknown keys and names them', () => {
      const problems = eventProblems({ dryrun: true, instanceIDs: ['ins-abcd1234'] });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(
        /^event: unknown keys "dryrun", "instanceIDs"; allowed keys: instanceIds, regions/,
      );
    });

    it.each([
      [
        { instanceIds: ['ins-abcd1234', 'ins-1122'] },
        'event.instanceIds[1]: "ins-1122" is not a CVM instance id',
      ],
      [
        { instanceIds: ['INS-ABCD1234'] },
        'event.instanceIds[0]: "INS-ABCD1234" is not a CVM instance id',
      ],
      [{ instanceIds: ['ins-abcd12345'] }, 'event.instanceIds[0]: "ins-abcd12345" is not'],
      [{ instanceIds: [42] }, 'event.instanceIds[0]: must be a string'],
      [{ instanceIds: [] }, 'event.instanceIds: must name at least one instance'],
      [{ instanceIds: 'ins-abcd1234' }, 'event.instanceIds: must be an array'],
      [
        { regions: ['ap guangzhou'] },
        'event.regions[0]: "ap guangzhou" is not a Tencent region id',
      ],
      [
        { regions: ['ap-beijing', 'ap-beijing'] },
        'event.regions[1]: duplicate region "ap-beijing"',
      ],
      [{ regions: [] }, 'event.regions: must name at least one region'],
      [{ tags: 'env=' }, 'event.tags: entry 1 has an empty value'],
      [{ tags: {} }, 'event.tags: must name at least one tag'],
      [{ tags: { ' ': 'x' } }, 'event.tags: a tag key is empty'],
      [{ tags: { env: 1 } }, 'event.tags'],
      [{ tags: ['env=prod'] }, 'event.tags: must be a "k=v,k2" string or an object'],
      [{ forceStop: 'true' }, 'event.forceStop: must be true or false'],
      [{ dryRun: 1 }, 'event.dryRun: must be true or false'],
      [{ dryRun: null }, 'event.dryRun: must be true or false'],
      [{ passwordScope: 'batch' }, 'event.passwordScope: must be one of "group", "instance"'],
      [{ reason: '' }, 'event.reason: must be 1 to 256 characters'],
      [{ reason: '   ' }, 'event.reason: must be 1 to 256 characters'],
      [{ reason: 'x'.repeat(257) }, 'event.reason: must be 1 to 256 characters'],
      [{ reason: 'two\nlines' }, 'event.reason: must not contain control characters'],
      [{ reason: 7 }, 'event.reason: must be a string'],
    ])('rejects %j', (event, expected) => {
      const problems = eventProblems(event);
      expect(problems.length).toBeGreaterThanOrEqual(1);
      expect(problems[0]).toContain(expected);
    });

    it(`accepts ${MAX_EVENT_INSTANCE_IDS} instance ids and refuses one more`, () => {
      const ids = (n: number) =>
        Array.from({ length: n }, (_, i) => `ins-${i.toString(36).padStart(8, '0')}`);
      expect(parseEvent({ instanceIds: ids(1000) }).instanceIds).toHaveLength(1000);
      expect(eventProblems({ instanceIds: ids(1001) })).toEqual([
        'event.instanceIds: must name at most 1000 instances',
      ]);
    });

    it('accepts a 256-character reason, counting characters rather than UTF-16 units', () => {
      expect(parseEvent({ reason: '😀'.repeat(256) }).reason).toHaveLength(512);
    });

    it('reports every problem of an event at once', () => {
      const problems = eventProblems({
        instanceIds: ['bad'],
        dryRun: 'yes',
        passwordScope: 'x',
        extra: 1,
      });
      expect(problems).toHaveLength(4);
    });
  });

  describe('timer events', () => {
    const timer = { Type: 'Timer', TriggerName: 'nightly', Time: '2026-11-29T03:00:00Z' };

    it.each([
      ['absent', {}],
      ['empty', { Message: '' }],
      ['blank', { Message: '  ' }],
      ['null', { Message: null }],
    ])('has no overrides when Message is %s', (_name, message) => {
      expect(parseEvent({ ...timer, ...message })).toEqual({
        trigger: 'timer',
        triggerName: 'nightly',
        time: '2026-11-29T03:00:00Z',
      });
    });

    it('reads overrides from a JSON Message', () => {
      const event = {
        ...timer,
        Message: JSON.stringify({ dryRun: true, tags: { env: 'prod' }, reason: 'nightly' }),
      };
      expect(parseEvent(event)).toEqual({
        trigger: 'timer',
        triggerName: 'nightly',
        time: '2026-11-29T03:00:00Z',
        dryRun: true,
        tags: [{ key: 'env', value: 'prod' }],
        reason: 'nightly',
      });
    });

    it('ignores envelope keys it does not know (the platform owns that shape)', () => {
      expect(parseEvent({ ...timer, Extra: 'x' }).trigger).toBe('timer');
    });

    it.each([
      [
        'not JSON',
        'user define msg body',
        /^Message: the timer trigger argument must be empty or a JSON object/,
      ],
      ['broken JSON', '{"dryRun": tru', /^Message: .* is not valid JSON/],
      ['a JSON array', '[1,2]', /^Message: the timer trigger argument must be a JSON object/],
      ['a JSON string', '"dryRun"', /^Message: the timer trigger argument must be a JSON object/],
      ['an unknown key', '{"dryrun":true}', /^Message: unknown key "dryrun"/],
      [
        'a bad instance id',
        '{"instanceIds":["ins-1"]}',
        /^Message\.instanceIds\[0\]: "ins-1" is not a CVM instance id/,
      ],
      ['a bad type', '{"forceStop":"true"}', /^Message\.forceStop: must be true or false/],
    ])('rejects a Message that is %s, naming Message', (_name, message, expected) => {
      const problems = eventProblems({ ...timer, Message: message });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(expected);
    });

    it('does not quote a Message that is not JSON', () => {
      const problems = eventProblems({ ...timer, Message: 'my free text' });
      expect(problems.join('')).not.toContain('my free text');
    });

    it('rejects overrides placed next to Type instead of inside Message', () => {
      const problems = eventProblems({ ...timer, dryRun: true });
      expect(problems).toEqual([
        'event: "dryRun" must go inside Message (the timer trigger argument) as JSON, not next to Type',
      ]);
    });

    it('rejects a non-string Message or TriggerName', () => {
      expect(eventProblems({ ...timer, Message: { dryRun: true } })[0]).toMatch(
        /^event\.Message: must be a string/,
      );
      expect(eventProblems({ ...timer, TriggerName: 7 })[0]).toMatch(
        /^event\.TriggerName: must be a string/,
      );
    });
  });
});

describe('Function: resolveRunConfig', () => {
  it('merges the environment and the event, the event winning', () => {
    // Prepare
    const env = {
      ...BASE_ENV,
      ROTATION_FORCE_STOP: 'true',
      ROTATION_DRY_RUN: 'false',
      ROTATION_PASSWORD_SCOPE: 'group',
    };
    const event = {
      regions: ['ap-shanghai'],
      tags: 'env=staging',
      forceStop: false,
      dryRun: true,
      passwordScope: 'instance',
      reason: 'test',
    };
    // Act
    const config = resolveRunConfig(env, event);
    // Assess
    expect(config).toMatchObject({
      region: 'ap-guangzhou',
      regions: ['ap-shanghai'],
      tags: [{ key: 'env', value: 'staging' }],
      forceStop: false,
      dryRun: true,
      passwordScope: 'instance',
      reason: 'test',
      trigger: 'manual',
    });
    expect(config.instanceIds).toBeUndefined();
  });

  it('keeps the environment where the event is silent, and records the timer', () => {
    const config = resolveRunConfig(
      { ...BASE_ENV, ROTATION_DRY_RUN: 'TRUE' },
      { Type: 'Timer', TriggerName: 'nightly', Time: '2026-11-29T03:00:00Z', Message: '' },
    );
    expect(config).toMatchObject({
      dryRun: true,
      tags: [{ key: 'rotate', value: 'true' }],
      trigger: 'timer',
      triggerName: 'nightly',
      time: '2026-11-29T03:00:00Z',
    });
  });

  it('requires ROTATION_TAGS unless the event names tags or instance ids', () => {
    const env = { ...SCF_CREDENTIALS, TENCENTCLOUD_REGION: 'ap-guangzhou' };
    const error = thrown(() => resolveRunConfig(env, {}));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^ROTATION_TAGS: required unless the event names instanceIds/),
    ]);
    expect(resolveRunConfig(env, { tags: { env: 'prod' } }).tags).toEqual([
      { key: 'env', value: 'prod' },
    ]);
    const byId = resolveRunConfig(env, { instanceIds: ['ins-abcd1234'] });
    expect(byId.instanceIds).toEqual(['ins-abcd1234']);
    expect(byId.tags).toEqual([]);
  });

  it('keeps ROTATION_TAGS as a scope when the event names instance ids', () => {
    const config = resolveRunConfig(BASE_ENV, { instanceIds: ['ins-abcd1234'] });
    expect(config.tags).toEqual([{ key: 'rotate', value: 'true' }]);
  });

  it('requires a region from somewhere', () => {
    const env = { ...SCF_CREDENTIALS, ROTATION_TAGS: 'rotate' };
    expect(thrown(() => resolveRunConfig(env, {}))).toMatchObject({
      problems: [expect.stringMatching(/^ROTATION_REGIONS: no region to rotate in/)],
    });
    const config = resolveRunConfig(env, { regions: ['ap-singapore'] });
    expect(config.region).toBe('ap-singapore');
    expect(config.regions).toEqual(['ap-singapore']);
  });

  it('still validates regions from the event', () => {
    const error = thrown(() => resolveRunConfig(BASE_ENV, { regions: ['AP-GUANGZHOU'] }));
    expect(isEventError(error)).toBe(true);
    expect((error as EventError).problems[0]).toMatch(
      /^event\.regions\[0\]: "AP-GUANGZHOU" is not a Tencent region id/,
    );
  });

  it('refuses tags that select on the exclude tag', () => {
    expect(
      thrown(() => resolveRunConfig({ ...BASE_ENV, ROTATION_TAGS: 'rotation-exclude' }, {})),
    ).toMatchObject({
      problems: [expect.stringMatching(/^ROTATION_TAGS: must not select on the exclude tag/)],
    });
    expect(
      thrown(() => resolveRunConfig(BASE_ENV, { tags: { 'rotation-exclude': '' } })),
    ).toMatchObject({
      problems: [expect.stringMatching(/^event\.tags: must not select on the exclude tag/)],
    });
  });

  it('reports environment and event problems together', () => {
    const error = thrown(() =>
      resolveRunConfig({ ...BASE_ENV, ROTATION_DRY_RUN: 'maybe' }, { dryRun: 'yes' }),
    );
    expect(isConfigError(error)).toBe(true);
    expect(isInputError(error)).toBe(true);
    expect((error as ConfigError).problems).toEqual([
      'ROTATION_DRY_RUN: must be "true" or "false" (any case)',
      'event.dryRun: must be true or false',
    ]);
    expect((error as Error).cause).toBeInstanceOf(EventError);
  });

  it('throws an EventError when only the event is wrong', () => {
    const error = thrown(() => resolveRunConfig(BASE_ENV, { dryRun: 'yes' }));
    expect(error).toBeInstanceOf(EventError);
    expect(isInputError(error)).toBe(true);
  });

  it('returns a frozen configuration', () => {
    const config = resolveRunConfig(BASE_ENV, { instanceIds: ['ins-abcd1234'] });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.regions)).toBe(true);
    expect(Object.isFrozen(config.tags)).toBe(true);
    expect(Object.isFrozen(config.instanceIds)).toBe(true);
    expect(Object.isFrozen(config.credentials)).toBe(true);
  });
});

describe('Function: summarizeConfig', () => {
  it('contains no credential at all, not even the SecretId', () => {
    // Prepare
    const config = resolveRunConfig(
      { ...BASE_ENV, ROTATION_CVM_ENDPOINT: 'http://127.0.0.1:9000', ROTATION_KMS_KEY_ID: 'kms-1' },
      { reason: 'audit' },
    );
    // Act
    const text = JSON.stringify(summarizeConfig(config));
    // Assess
    for (const secret of ALL_SECRET_VALUES) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/credential|secretId|secretKey|token/i);
    expect(JSON.parse(text)).toMatchObject({
      region: 'ap-guangzhou',
      regions: ['ap-guangzhou'],
      tags: [{ key: 'rotate', value: 'true' }],
      endpoints: { cvm: 'http://127.0.0.1:9000' },
      kmsKeyId: 'kms-1',
      maxInstances: 1000,
      reason: 'audit',
    });
  });

  it('shows "no limit" as null and lists only the first instance ids', () => {
    const ids = Array.from({ length: 60 }, (_, i) => `ins-${i.toString().padStart(8, '0')}`);
    const config = resolveRunConfig(
      { ...BASE_ENV, ROTATION_MAX_INSTANCES: '0' },
      { instanceIds: ids },
    );
    const summary = summarizeConfig(config);
    expect(summary.maxInstances).toBeNull();
    expect(summary.instanceIdCount).toBe(60);
    expect(summary.instanceIds).toHaveLength(SUMMARY_MAX_INSTANCE_IDS);
  });
});
