import { describe, expect, it, vi } from 'vitest';
import {
  CloudError,
  ConfigError,
  EventError,
  isCloudError,
  isConfigError,
  isEventError,
  isInputError,
  isPasswordPolicyError,
  isRotatorError,
  PasswordPolicyError,
  RotatorError,
} from '../../src/errors';

describe('Error hierarchy', () => {
  it('names each class, sets its code and passes the cause through', () => {
    const cause = new Error('root');
    const cases = [
      [new ConfigError(['A: bad'], { cause }), 'ConfigError', 'ConfigInvalid'],
      [new EventError(['event.x: bad'], { cause }), 'EventError', 'EventInvalid'],
      [
        new PasswordPolicyError('PasswordPolicyViolation', ['too short'], { cause }),
        'PasswordPolicyError',
        'PasswordPolicyViolation',
      ],
    ] as const;
    for (const [error, name, code] of cases) {
      expect(error).toBeInstanceOf(RotatorError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(name);
      expect(error.code).toBe(code);
      expect(error.cause).toBe(cause);
    }
  });

  it('lists the problems in the message and keeps them as data', () => {
    const error = new ConfigError(['A: one', 'B: two']);
    expect(error.message).toBe('Invalid configuration: A: one; B: two');
    expect(error.problems).toEqual(['A: one', 'B: two']);
  });

  it('keeps what a CloudError needs to find the call in Tencent logs', () => {
    const cause = Object.assign(new Error('throttled'), { code: 'RequestLimitExceeded' });
    const error = new CloudError('Request limit exceeded.', {
      code: 'RequestLimitExceeded',
      action: 'ResetInstancesPassword',
      region: 'ap-guangzhou',
      requestId: '6ef60bec-0242-43af-bb20-270359fb54a7',
      transient: true,
      cause,
    });
    expect(error).toMatchObject({
      name: 'CloudError',
      code: 'RequestLimitExceeded',
      action: 'ResetInstancesPassword',
      region: 'ap-guangzhou',
      requestId: '6ef60bec-0242-43af-bb20-270359fb54a7',
      transient: true,
    });
    expect(error.cause).toBe(cause);
    expect(error.message).toBe(
      'ResetInstancesPassword in ap-guangzhou failed: RequestLimitExceeded: Request limit exceeded. (RequestId 6ef60bec-0242-43af-bb20-270359fb54a7)',
    );
    const network = new CloudError('socket hang up', {
      code: 'NetworkError',
      action: 'DescribeInstances',
      region: 'ap-beijing',
      transient: true,
    });
    expect(network.requestId).toBeUndefined();
    expect('cause' in network).toBe(false);
  });

  it('has guards that tell the classes apart', () => {
    const config = new ConfigError([]);
    const event = new EventError([]);
    const cloud = new CloudError('x', {
      code: 'InternalError',
      action: 'A',
      region: 'r',
      transient: false,
    });
    const policy = new PasswordPolicyError('PasswordGenerationFailed', []);
    expect([config, event, cloud, policy].map(isRotatorError)).toEqual([true, true, true, true]);
    expect([config, event, cloud, policy].map(isConfigError)).toEqual([true, false, false, false]);
    expect([config, event, cloud, policy].map(isEventError)).toEqual([false, true, false, false]);
    expect([config, event, cloud, policy].map(isInputError)).toEqual([true, true, false, false]);
    expect([config, event, cloud, policy].map(isCloudError)).toEqual([false, false, true, false]);
    expect([config, event, cloud, policy].map(isPasswordPolicyError)).toEqual([
      false,
      false,
      false,
      true,
    ]);
    for (const other of [new Error('x'), { name: 'CloudError' }, 'CloudError', null, undefined]) {
      expect(isRotatorError(other)).toBe(false);
      expect(isCloudError(other)).toBe(false);
    }
  });

  it('recognises errors from another copy of the module (a bundle with duplicates)', async () => {
    vi.resetModules();
    const copy = await import('../../src/errors');
    const foreign = new copy.CloudError('x', {
      code: 'InternalError',
      action: 'A',
      region: 'r',
      transient: false,
    });
    expect(foreign).not.toBeInstanceOf(CloudError);
    expect(isRotatorError(foreign)).toBe(true);
    expect(isCloudError(foreign)).toBe(true);
    expect(isConfigError(foreign)).toBe(false);
  });
});
