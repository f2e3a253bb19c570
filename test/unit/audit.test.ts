import { afterEach, describe, expect, it, vi } from 'vitest';
import { AUDIT_LEVELS, AuditEvent, audit } from '../../src/audit/events';
import { createLogger, LOG_SCHEMA_VERSION, type LogFields } from '../../src/audit/logger';
import { isSensitiveKey, REDACTED, Redactor } from '../../src/audit/redact';
import { CloudError, ConfigError, isConfigError } from '../../src/errors';

const PASSWORD = 'Xy7!pQ2#vB9$kL4%';
const SECRET_KEY = 'secretKeyValue-ABCDEF123456';
const FIXED_TIME = new Date('2026-11-29T03:00:00.000Z');

function setup(options: { base?: LogFields } = {}) {
  const lines: string[] = [];
  const redactor = new Redactor();
  redactor.register(PASSWORD);
  redactor.register(SECRET_KEY);
  const logger = createLogger({
    redactor,
    write: (line) => lines.push(line),
    now: () => FIXED_TIME,
    ...(options.base ? { base: options.base } : {}),
  });
  const parsed = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { lines, redactor, logger, parsed };
}

function expectClean(lines: readonly string[]): void {
  for (const line of lines) {
    expect(line).not.toContain(PASSWORD);
    expect(line).not.toContain(SECRET_KEY);
    expect(line).not.toContain(encodeURIComponent(PASSWORD));
  }
}

describe('Function: createLogger', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('writes one JSON line per event with the fixed envelope first', () => {
    // Prepare
    const { lines, logger, parsed } = setup({ base: { runId: 'run-1' } });
    // Act
    logger.info('run.started', { trigger: 'timer' });
    logger.warn('batch.reset.failed', { attempt: 2, note: 'multi\nline text' });
    logger.error('run.failed', { durationMs: 5 });
    // Assess
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).not.toContain('\n');
    expect(parsed()).toEqual([
      {
        schemaVersion: 1,
        time: '2026-11-29T03:00:00.000Z',
        level: 'info',
        event: 'run.started',
        runId: 'run-1',
        trigger: 'timer',
      },
      {
        schemaVersion: 1,
        time: '2026-11-29T03:00:00.000Z',
        level: 'warn',
        event: 'batch.reset.failed',
        runId: 'run-1',
        attempt: 2,
        note: 'multi\nline text',
      },
      {
        schemaVersion: 1,
        time: '2026-11-29T03:00:00.000Z',
        level: 'error',
        event: 'run.failed',
        runId: 'run-1',
        durationMs: 5,
      },
    ]);
    expect(Object.keys(parsed()[0] ?? {}).slice(0, 4)).toEqual([
      'schemaVersion',
      'time',
      'level',
      'event',
    ]);
    expect(LOG_SCHEMA_VERSION).toBe(1);
  });

  it('does not let fields override the envelope', () => {
    const { logger, parsed } = setup();
    logger.info('x', {
      level: 'debug',
      time: 'never',
      event: 'y',
      schemaVersion: 2,
      ok: true,
    } as unknown as LogFields);
    expect(parsed()[0]).toEqual({
      schemaVersion: 1,
      time: '2026-11-29T03:00:00.000Z',
      level: 'info',
      event: 'x',
      ok: true,
    });
  });

  it('drops debug lines unless asked for, and honours minLevel', () => {
    const lines: string[] = [];
    const redactor = new Redactor();
    createLogger({ redactor, write: (l) => lines.push(l) }).debug('noise');
    createLogger({ redactor, write: (l) => lines.push(l), minLevel: 'debug' }).debug('detail');
    createLogger({ redactor, write: (l) => lines.push(l), minLevel: 'error' }).warn('dropped');
    expect(lines.map((l) => JSON.parse(l).event)).toEqual(['detail']);
  });

  it('adds a child logger’s base to every line', () => {
    const { logger, parsed } = setup({ base: { runId: 'r' } });
    logger
      .child({ region: 'ap-guangzhou' })
      .info('instance.skipped', { instanceId: 'ins-abcd1234' });
    expect(parsed()[0]).toMatchObject({
      runId: 'r',
      region: 'ap-guangzhou',
      instanceId: 'ins-abcd1234',
    });
  });

  it('writes to stdout, newline-terminated, by default', () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    createLogger({ redactor: new Redactor() }).info('run.finished');
    expect(write).toHaveBeenCalledTimes(1);
    const line = String(write.mock.calls[0]?.[0]);
    expect(line.endsWith('}\n')).toBe(true);
    expect(JSON.parse(line)).toMatchObject({ event: 'run.finished', level: 'info' });
  });

  describe('redaction', () => {
    it('redacts sensitive keys at any depth, whatever the value', () => {
      // Prepare
      const { lines, logger, parsed } = setup();
      // Act
      logger.info('secret.staged', {
        password: 'not-registered-1',
        request: {
          SecretString: 'not-registered-2',
          headers: { Authorization: 'TC3-HMAC-SHA256 Credential=…', 'X-TC-Token': 'tok' },
          items: [{ newPassword: 'np' }, { secret_key: { nested: true } }, { SessionToken: 12345 }],
        },
        Signature: 'sig',
        passwordScope: 'group',
        passwordLength: 16,
        password_state: null,
      });
      // Assess
      expect(parsed()[0]).toMatchObject({
        password: REDACTED,
        request: {
          SecretString: REDACTED,
          headers: { Authorization: REDACTED, 'X-TC-Token': REDACTED },
          items: [{ newPassword: REDACTED }, { secret_key: REDACTED }, { SessionToken: REDACTED }],
        },
        Signature: REDACTED,
        passwordScope: 'group',
        passwordLength: 16,
      });
      expect(lines[0]).not.toContain('not-registered');
    });

    it('redacts registered values inside any string: event, fields, nested, keys', () => {
      const { lines, logger } = setup();
      logger.info(`event ${PASSWORD}`, {
        note: `the password is ${PASSWORD}!`,
        nested: { deeper: [`key=${SECRET_KEY}`] },
        [PASSWORD]: 'as a key',
        url: `https://example.com/?Password=${encodeURIComponent(PASSWORD)}`,
      });
      expectClean(lines);
      const line = JSON.parse(lines[0] ?? '{}');
      expect(line.note).toBe(`the password is ${REDACTED}!`);
      expect(line.event).toBe(`event ${REDACTED}`);
      expect(line.nested.deeper[0]).toBe(`key=${REDACTED}`);
      expect(line[REDACTED]).toBe('as a key');
    });

    it('serialises errors with code, requestId and the cause chain, redacted', () => {
      // Prepare: an SDK-like error whose message quotes the password, wrapped in a CloudError.
      const sdkError = Object.assign(new Error(`InvalidPassword: ${PASSWORD} is weak`), {
        code: 'InvalidParameterValue.InvalidPassword',
        requestId: 'req-1',
        traceId: 'trace-1',
      });
      const cloudError = new CloudError(`password ${PASSWORD} rejected`, {
        code: 'InvalidParameterValue.InvalidPassword',
        action: 'ResetInstancesPassword',
        region: 'ap-guangzhou',
        requestId: 'req-1',
        transient: false,
        cause: sdkError,
      });
      const outer = new Error('rotation failed', { cause: cloudError });
      const { lines, logger, parsed } = setup();
      // Act
      logger.error('instance.failed', { instanceId: 'ins-abcd1234', error: outer });
      // Assess
      expectClean(lines);
      const error = parsed()[0]?.error as Record<string, unknown>;
      expect(error).toMatchObject({
        name: 'Error',
        message: 'rotation failed',
        cause: {
          name: 'CloudError',
          code: 'InvalidParameterValue.InvalidPassword',
          requestId: 'req-1',
          action: 'ResetInstancesPassword',
          region: 'ap-guangzhou',
          transient: false,
          message: expect.stringContaining(`password ${REDACTED} rejected`),
          cause: {
            name: 'Error',
            message: `InvalidPassword: ${REDACTED} is weak`,
            code: 'InvalidParameterValue.InvalidPassword',
            requestId: 'req-1',
            traceId: 'trace-1',
          },
        },
      });
      expect(String(error.stack)).toContain('rotation failed');
    });

    it('handles cycles, BigInt, Dates, Maps, Sets, binary and functions', () => {
      // Prepare
      const cyclic: Record<string, unknown> = { name: 'a' };
      cyclic.self = cyclic;
      const errorCycle = new Error('loop');
      (errorCycle as Error & { cause: unknown }).cause = errorCycle;
      const shared = { id: 1 };
      const { logger, parsed } = setup();
      // Act
      logger.info('x', {
        cyclic,
        errorCycle,
        big: 12345678901234567890n,
        when: new Date('2026-01-01T00:00:00Z'),
        bad: new Date(Number.NaN),
        map: new Map([['k', PASSWORD]]),
        set: new Set([1, 2]),
        bytes: Buffer.from(PASSWORD),
        fn: function named() {},
        infinite: Number.POSITIVE_INFINITY,
        twice: [shared, shared],
        missing: undefined,
      });
      // Assess
      const line = parsed()[0] as Record<string, unknown>;
      expect(line).toMatchObject({
        cyclic: { name: 'a', self: '[Circular]' },
        errorCycle: { message: 'loop', cause: '[Circular]' },
        big: '12345678901234567890',
        when: '2026-01-01T00:00:00.000Z',
        bad: 'Invalid Date',
        map: { k: REDACTED },
        set: [1, 2],
        bytes: `[Binary ${PASSWORD.length} bytes]`,
        fn: '[Function named]',
        infinite: 'Infinity',
        twice: [{ id: 1 }, { id: 1 }],
      });
      expect('missing' in line).toBe(false);
    });

    it('refuses __proto__, constructor and prototype keys', () => {
      const { lines, logger, parsed } = setup();
      const hostile = JSON.parse(
        '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "ok": 1}',
      );
      logger.info('x', { payload: hostile, prototype: 'p' });
      expect(parsed()[0]).toMatchObject({ payload: { ok: 1 } });
      expect(lines[0]).not.toContain('polluted');
      expect(lines[0]).not.toContain('"prototype"');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('never throws', () => {
    it('survives a throwing getter, a throwing toJSON, a hostile proxy and a broken clock', () => {
      // Prepare
      const lines: string[] = [];
      const redactor = new Redactor();
      redactor.register(PASSWORD);
      const logger = createLogger({
        redactor,
        write: (l) => lines.push(l),
        now: () => {
          throw new Error('clock');
        },
      });
      const getter = Object.defineProperty({}, 'boom', {
        enumerable: true,
        get() {
          throw new Error(PASSWORD);
        },
      });
      const proxy = new Proxy(
        {},
        {
          ownKeys() {
            throw new Error(`proxy ${PASSWORD}`);
          },
        },
      );
      // Act
      const act = () => {
        logger.info('getter', { getter });
        logger.info('toJSON', {
          value: {
            toJSON() {
              throw new Error('toJSON');
            },
          },
        });
        logger.info('proxy', { proxy });
        logger.info(`fallback ${PASSWORD}`, { proxy });
      };
      // Assess
      expect(act).not.toThrow();
      expect(lines).toHaveLength(4);
      for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
      expectClean(lines);
      expect(JSON.parse(lines[0] ?? '{}').getter).toEqual({ boom: '[Unreadable]' });
      expect(JSON.parse(lines[1] ?? '{}').value).toBe('[Unserializable]');
      expect(JSON.parse(lines[2] ?? '{}').proxy).toBe('[Unserializable]');
    });

    it('falls back to a minimal line when the fields cannot be serialised at all', () => {
      // Prepare: a redactor whose walk fails outright.
      const redactor = new Redactor();
      redactor.register(PASSWORD);
      vi.spyOn(redactor, 'redact').mockImplementation(() => {
        throw new Error('serialiser bug');
      });
      const lines: string[] = [];
      // Act
      createLogger({ redactor, write: (l) => lines.push(l), now: () => FIXED_TIME }).error(
        `run.failed ${PASSWORD}`,
        {
          error: new Error(PASSWORD),
        },
      );
      // Assess
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
        schemaVersion: 1,
        level: 'error',
        event: `run.failed ${REDACTED}`,
        logError: 'the log fields could not be serialised',
      });
      expectClean(lines);
    });

    it('swallows a failing sink', () => {
      const logger = createLogger({
        redactor: new Redactor(),
        write: () => {
          throw new Error('EPIPE');
        },
      });
      expect(() => logger.error('run.failed', { error: new Error('x') })).not.toThrow();
    });
  });
});

describe('Class: Redactor', () => {
  it('replaces a longer secret whole when a shorter one is inside it', () => {
    const redactor = new Redactor();
    redactor.register('abc');
    redactor.register('abcdef');
    expect(redactor.redactString('xxabcdefyy abc')).toBe(`xx${REDACTED}yy ${REDACTED}`);
  });

  it('escapes regex characters in secrets and ignores empty registrations', () => {
    const redactor = new Redactor();
    redactor.register('a.b*c[d]^$(e)|f?+{1}\\/');
    redactor.register('');
    redactor.register(undefined);
    expect(redactor.redactString('x a.b*c[d]^$(e)|f?+{1}\\/ y axbbc')).toBe(
      `x ${REDACTED} y axbbc`,
    );
  });

  it('also redacts the URL- and JSON-escaped forms', () => {
    const redactor = new Redactor();
    redactor.register('p"w/&=');
    expect(redactor.redactString(`q=${encodeURIComponent('p"w/&=')}`)).toBe(`q=${REDACTED}`);
    expect(redactor.redactString(JSON.stringify({ v: 'p"w/&=' }))).toBe(`{"v":"${REDACTED}"}`);
  });

  it('can omit stacks', () => {
    const redactor = new Redactor({ includeStack: false });
    expect(redactor.redact(new Error('m'))).toEqual({ name: 'Error', message: 'm' });
  });

  it.each([
    ['password', true],
    ['Password', true],
    ['newPassword', true],
    ['SecretString', true],
    ['SecretBinary', true],
    ['secretKey', true],
    ['secret_key', true],
    ['SECRET-KEY', true],
    ['token', true],
    ['X-TC-Token', true],
    ['sessionToken', true],
    ['authorization', true],
    ['Signature', true],
    ['passwordScope', false],
    ['passwordLength', false],
    ['secretName', false],
    ['secretId', false],
    ['tokenCount', false],
  ])('treats the key %s as sensitive: %s', (key, expected) => {
    expect(isSensitiveKey(key)).toBe(expected);
  });

  describe('Method: sanitizeError', () => {
    it('keeps the class, code and problems, and redacts message, stack and cause', () => {
      // Prepare
      const redactor = new Redactor();
      redactor.register(PASSWORD);
      const error = new ConfigError([`ROTATION_X: ${PASSWORD}`], {
        cause: new Error(`inner ${PASSWORD}`),
      });
      // Act
      const safe = redactor.sanitizeError(error);
      // Assess
      expect(safe).not.toBe(error);
      expect(safe).toBeInstanceOf(ConfigError);
      expect(isConfigError(safe)).toBe(true);
      expect((safe as ConfigError).code).toBe('ConfigInvalid');
      expect((safe as ConfigError).problems).toEqual([`ROTATION_X: ${REDACTED}`]);
      expect(safe.message).not.toContain(PASSWORD);
      expect(safe.stack).not.toContain(PASSWORD);
      expect((safe.cause as Error).message).toBe(`inner ${REDACTED}`);
    });

    it('returns the same error when nothing needs redacting', () => {
      const redactor = new Redactor();
      redactor.register(PASSWORD);
      const error = new CloudError('throttled', {
        code: 'RequestLimitExceeded',
        action: 'DescribeInstances',
        region: 'ap-guangzhou',
        transient: true,
      });
      expect(redactor.sanitizeError(error)).toBe(error);
    });

    it('wraps a thrown non-error', () => {
      const redactor = new Redactor();
      redactor.register(PASSWORD);
      const safe = redactor.sanitizeError({ password: 'x', note: PASSWORD });
      expect(safe).toBeInstanceOf(Error);
      expect(safe.message).toBe(
        `non-error thrown: {"password":"${REDACTED}","note":"${REDACTED}"}`,
      );
      expect(redactor.sanitizeError(`oops ${PASSWORD}`).message).toBe(
        `non-error thrown: oops ${REDACTED}`,
      );
    });
  });
});

describe('Audit events', () => {
  it('have unique names, each with a level', () => {
    const names = Object.values(AuditEvent);
    expect(new Set(names).size).toBe(names.length);
    expect(Object.keys(AUDIT_LEVELS).sort()).toEqual([...names].sort());
    for (const name of [
      'run.started',
      'instance.skipped',
      'batch.reset.requested',
      'instance.rotated',
      'instance.failed',
      'secret.pruned',
      'run.finished',
    ]) {
      expect(names).toContain(name);
    }
  });

  it('are logged at their level with their typed fields', () => {
    const { logger, parsed } = setup({ base: { runId: 'r1' } });
    audit(logger, AuditEvent.InstanceRotated, {
      region: 'ap-guangzhou',
      instanceId: 'ins-abcd1234',
      userName: 'root',
      secretName: 'cvm-password-ins-abcd1234',
      versionId: 'v1',
      requestId: 'req-1',
    });
    audit(logger, AuditEvent.InstanceFailed, {
      region: 'ap-guangzhou',
      instanceId: 'ins-abcd1234',
      reason: 'reset-refused',
      passwordState: 'old',
      error: new Error(`refused ${PASSWORD}`),
    });
    const [rotated, failed] = parsed();
    expect(rotated).toMatchObject({
      level: 'info',
      event: 'instance.rotated',
      runId: 'r1',
      instanceId: 'ins-abcd1234',
    });
    expect(failed).toMatchObject({
      level: 'error',
      event: 'instance.failed',
      error: { message: `refused ${REDACTED}` },
    });
  });
});

describe('Class: Redactor, with values of any length', () => {
  it('redacts a registered value of 12,000 characters, and its URL-encoded form, next to ordinary ones', () => {
    // Prepare: a foreign SSM version may hold a "password" that long; one regular expression
    // with it (or its 36,000-character URL-encoded form) is refused by V8.
    const redactor = new Redactor();
    const long = '#'.repeat(12_000);
    redactor.register(long);
    redactor.register('Short-Secret1!');

    // Act
    const out = redactor.redactString(`a ${long} b Short-Secret1! c ${encodeURIComponent(long)}`);

    // Assess
    expect(out).toBe(`a ${REDACTED} b ${REDACTED} c ${REDACTED}`);
  });
});
