/** The secret layout (src/secrets/layout.ts): VersionIds, version content, and "newest". */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeContent,
  encodeContent,
  instanceIdOf,
  newestFirst,
  type SecretContent,
  secretName,
  versionIdFor,
} from '../../../src/secrets/layout';

/** SSM's VersionId rule (facts §3.1). */
const VERSION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const T0 = Date.UTC(2026, 10, 29, 3, 0, 0);

const content: SecretContent = {
  schema: 1,
  password: 'Not-a-real-Pw1',
  userName: 'root',
  instanceId: 'ins-00000001',
  region: 'ap-guangzhou',
  osFamily: 'linux',
  status: 'pending',
  runId: '20261129T030000Z-1a2b3c4d',
  createdAt: '2026-11-29T03:00:00.000Z',
};

describe('versionIdFor', () => {
  it('builds a VersionId SSM accepts, from the time and the run tag', () => {
    // Act
    const id = versionIdFor(T0 + 123, 'Z1a2b3c4d');

    // Assess
    expect(id).toBe('20261129T030000123Z-Z1a2b3c4d');
    expect(id).toMatch(VERSION_ID);
  });

  it('sorts like time, whatever the run tags', () => {
    // Prepare: times from 2000 to 2099, tags as the protocol makes them (alphanumeric, ≤ 12).
    const time = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 11, 31) });
    const tag = fc.stringMatching(/^[A-Za-z0-9]{1,12}$/);

    // Act / Assess
    fc.assert(
      fc.property(time, time, tag, tag, (a, b, tagA, tagB) => {
        const idA = versionIdFor(a, tagA);
        const idB = versionIdFor(b, tagB);
        expect(idA).toMatch(VERSION_ID);
        if (a < b) expect(idA < idB).toBe(true);
        if (a > b) expect(idA > idB).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('orders two versions of the same millisecond by run tag only', () => {
    // Act / Assess
    expect(versionIdFor(T0, 'aaa') < versionIdFor(T0, 'bbb')).toBe(true);
    expect(versionIdFor(T0, 'zzz') < versionIdFor(T0 + 1, 'aaa')).toBe(true);
  });
});

describe('decodeContent', () => {
  it('reads back what encodeContent wrote, optional fields included', () => {
    // Prepare
    const full: SecretContent = {
      ...content,
      status: 'current',
      requestId: 'req-1',
      verifiedAt: '2026-11-29T03:01:00.000Z',
    };

    // Act / Assess
    expect(decodeContent(encodeContent(content))).toEqual(content);
    expect(decodeContent(encodeContent(full))).toEqual(full);
  });

  const without = (key: keyof SecretContent) => {
    const copy: Record<string, unknown> = { ...content };
    delete copy[key];
    return JSON.stringify(copy);
  };
  const withValue = (key: string, value: unknown) => JSON.stringify({ ...content, [key]: value });

  it.each([
    ['not JSON', 'password=Not-a-real-Pw1'],
    ['an empty string', ''],
    ['JSON null', 'null'],
    ['a JSON string', '"Not-a-real-Pw1"'],
    ['a JSON number', '42'],
    ['a JSON array', '[1,2]'],
    ['a hand-written secret', JSON.stringify({ password: 'Not-a-real-Pw1', userName: 'root' })],
    ['another schema', withValue('schema', 2)],
    ['no password', without('password')],
    ['a password that is not a string', withValue('password', 12345678)],
    ['no userName', without('userName')],
    ['no instanceId', without('instanceId')],
    ['no region', without('region')],
    ['an unknown OS family', withValue('osFamily', 'macos')],
    ['an unknown status', withValue('status', 'AWSCURRENT')],
    ['a status that is not a string', withValue('status', 1)],
    ['no runId', without('runId')],
    ['no createdAt', without('createdAt')],
    ['a requestId that is not a string', withValue('requestId', 7)],
  ])('refuses %s', (_name, text) => {
    // Act / Assess
    expect(decodeContent(text)).toBeUndefined();
  });
});

describe('newestFirst', () => {
  it('puts the greatest CreateTime first', () => {
    // Prepare: SSM lists versions in no particular order (facts §3.1).
    const versions = [
      { versionId: 'b', createTime: 100 },
      { versionId: 'a', createTime: 300 },
      { versionId: 'c', createTime: 200 },
    ];

    // Act / Assess
    expect(newestFirst(versions).map((v) => v.versionId)).toEqual(['a', 'c', 'b']);
  });

  it('breaks CreateTime ties by the greatest VersionId', () => {
    // Prepare: CreateTime has whole seconds; two versions of one second.
    const older = versionIdFor(T0 + 100, 'run1');
    const newer = versionIdFor(T0 + 900, 'run1');
    const versions = [
      { versionId: newer, createTime: 1_700_000_000 },
      { versionId: older, createTime: 1_700_000_000 },
      { versionId: 'lock-0000000001', createTime: 1_699_999_999 },
    ];

    // Act
    const forward = newestFirst(versions).map((v) => v.versionId);
    const backward = newestFirst([...versions].reverse()).map((v) => v.versionId);

    // Assess
    expect(forward).toEqual([newer, older, 'lock-0000000001']);
    expect(backward).toEqual(forward);
  });

  it('returns a sorted copy and leaves its input alone', () => {
    // Prepare
    const versions = [
      { versionId: 'a', createTime: 1 },
      { versionId: 'b', createTime: 2 },
    ];

    // Act
    const sorted = newestFirst(versions);

    // Assess
    expect(sorted.map((v) => v.versionId)).toEqual(['b', 'a']);
    expect(versions.map((v) => v.versionId)).toEqual(['a', 'b']);
  });
});

describe('secret names', () => {
  it('names one secret per instance and reads the instance back', () => {
    // Act / Assess
    expect(secretName('cvm-password', 'ins-0a1b2c3d')).toBe('cvm-password-ins-0a1b2c3d');
    expect(instanceIdOf('cvm-password', 'cvm-password-ins-0a1b2c3d')).toBe('ins-0a1b2c3d');
    expect(instanceIdOf('cvm-password', 'cvm-password-lock')).toBeUndefined();
    expect(instanceIdOf('cvm-password', 'other-ins-0a1b2c3d')).toBeUndefined();
    expect(instanceIdOf('cvm-password', 'cvm-password-ins-0A1B2C3D')).toBeUndefined();
  });
});
