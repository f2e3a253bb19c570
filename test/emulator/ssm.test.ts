import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator';
import { expectTencentError, ssmClient } from '../helpers/sdk';

// Contract tests of the SSM 2019-09-23 emulator, driven through the real
// tencentcloud-sdk-nodejs-ssm client (facts/tencent-cloud-api.md §3). Values are fixtures, never
// real secrets, and no test prints them.

type SsmClient = ReturnType<typeof ssmClient>;

let emulator: Emulator;
let client: SsmClient;

beforeEach(async () => {
  emulator = await startEmulator({ rateLimits: false });
  client = ssmClient(emulator);
});

afterEach(async () => {
  await emulator.close();
});

const VALUE = 'fixture-value-1';
const OTHER = 'fixture-value-2';

async function createSecret(name: string, versionId = 'v1'): Promise<void> {
  await client.CreateSecret({ SecretName: name, VersionId: versionId, SecretString: VALUE });
}

async function putVersions(name: string, versionIds: readonly string[]): Promise<void> {
  for (const versionId of versionIds) {
    await client.PutSecretValue({ SecretName: name, VersionId: versionId, SecretString: VALUE });
  }
}

describe('Action: CreateSecret', () => {
  it('answers the name, the version and a successful tagging result', async () => {
    // Act
    const response = await client.CreateSecret({
      SecretName: 'db-admin',
      VersionId: 'v1.0',
      SecretString: VALUE,
      Tags: [{ TagKey: 'rotate', TagValue: 'true' }],
    });

    // Assess
    expect(response).toMatchObject({
      SecretName: 'db-admin',
      VersionId: 'v1.0',
      TagCode: 0,
      TagMsg: 'ok',
    });
    expect(response.RequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(emulator.state.ssm.secret('ap-guangzhou', 'db-admin')?.Tags).toEqual([
      { TagKey: 'rotate', TagValue: 'true' },
    ]);
  });

  it('names the first version SSM_Current when no VersionId is given', async () => {
    // Act
    const created = await client.CreateSecret({ SecretName: 'no-version', SecretString: VALUE });
    const read = await client.GetSecretValue({
      SecretName: 'no-version',
      VersionId: 'SSM_Current',
    });

    // Assess
    expect(created.VersionId).toBe('SSM_Current');
    expect(read.SecretString).toBe(VALUE);
  });

  it('names the first version SSM_Current when the VersionId is empty', async () => {
    // Act
    const created = await client.CreateSecret({
      SecretName: 'empty-version',
      VersionId: '',
      SecretString: VALUE,
    });

    // Assess
    expect(created.VersionId).toBe('SSM_Current');
  });

  it('stores a binary value and answers the unset string as empty', async () => {
    // Prepare
    const binary = Buffer.from([0, 1, 2, 250, 251]).toString('base64');

    // Act
    await client.CreateSecret({ SecretName: 'bin', VersionId: 'v1', SecretBinary: binary });
    const read = await client.GetSecretValue({ SecretName: 'bin', VersionId: 'v1' });

    // Assess
    expect(read).toMatchObject({
      SecretName: 'bin',
      VersionId: 'v1',
      SecretBinary: binary,
      SecretString: '',
    });
  });

  it('refuses a name already used in the region with ResourceInUse.SecretExists', async () => {
    // Prepare
    await createSecret('taken');

    // Act + Assess
    await expectTencentError(
      client.CreateSecret({ SecretName: 'taken', SecretString: OTHER }),
      'ResourceInUse.SecretExists',
    );
  });

  it.each([
    ['an empty name', ''],
    ['a leading hyphen', '-abc'],
    ['a leading underscore', '_abc'],
    ['a dot', 'a.b'],
    ['a space', 'a b'],
    ['a non-ASCII letter', 'café'],
    ['129 characters', 'a'.repeat(129)],
  ])('refuses a SecretName with %s with InvalidParameterValue', async (_label, name) => {
    await expectTencentError(
      client.CreateSecret({ SecretName: name, SecretString: VALUE }),
      'InvalidParameterValue',
    );
  });

  it('accepts a SecretName of 128 letters, digits, hyphens and underscores', async () => {
    // Prepare
    const name = `A1_-${'x'.repeat(124)}`;

    // Act
    const response = await client.CreateSecret({ SecretName: name, SecretString: VALUE });

    // Assess
    expect(response.SecretName).toBe(name);
  });

  it.each([
    ['a leading dot', '.v1'],
    ['a slash', 'v/1'],
    ['a space', 'v 1'],
    ['65 characters', 'v'.repeat(65)],
  ])('refuses a VersionId with %s with InvalidParameterValue', async (_label, versionId) => {
    await expectTencentError(
      client.CreateSecret({ SecretName: 'bad-version', VersionId: versionId, SecretString: VALUE }),
      'InvalidParameterValue',
    );
  });

  it('accepts a VersionId of 64 characters with dots, hyphens and underscores', async () => {
    // Prepare
    const versionId = `2026.11-29_${'x'.repeat(53)}`;

    // Act
    const response = await client.CreateSecret({
      SecretName: 'long-version',
      VersionId: versionId,
      SecretString: VALUE,
    });

    // Assess
    expect(response.VersionId).toBe(versionId);
  });

  it('refuses both SecretString and SecretBinary with InvalidParameterValue', async () => {
    await expectTencentError(
      client.CreateSecret({ SecretName: 'both', SecretString: VALUE, SecretBinary: 'AAAA' }),
      'InvalidParameterValue',
    );
  });

  it('refuses neither SecretString nor SecretBinary with InvalidParameterValue', async () => {
    await expectTencentError(
      client.CreateSecret({ SecretName: 'neither' }),
      'InvalidParameterValue',
    );
  });

  it('refuses an empty SecretString as no value with InvalidParameterValue', async () => {
    await expectTencentError(
      client.CreateSecret({ SecretName: 'empty', SecretString: '' }),
      'InvalidParameterValue',
    );
  });

  it('accepts a SecretString of exactly 32 KB', async () => {
    // Act
    const response = await client.CreateSecret({
      SecretName: 'max',
      SecretString: 'x'.repeat(32 * 1024),
    });

    // Assess
    expect(response.SecretName).toBe('max');
  });

  it('refuses a SecretString one byte over 32 KB with InvalidParameterValue', async () => {
    await expectTencentError(
      client.CreateSecret({ SecretName: 'too-big', SecretString: 'x'.repeat(32 * 1024 + 1) }),
      'InvalidParameterValue',
    );
  });

  it('measures the SecretString limit in UTF-8 bytes, not characters', async () => {
    // Prepare: 11,000 characters of 3 bytes each = 33,000 bytes
    const value = '密'.repeat(11_000);

    // Act + Assess
    await expectTencentError(
      client.CreateSecret({ SecretName: 'utf8', SecretString: value }),
      'InvalidParameterValue',
    );
  });

  it('measures the SecretBinary limit in decoded bytes', async () => {
    // Prepare
    const atLimit = Buffer.alloc(32 * 1024, 7).toString('base64');
    const overLimit = Buffer.alloc(32 * 1024 + 1, 7).toString('base64');

    // Act
    const response = await client.CreateSecret({ SecretName: 'bin-max', SecretBinary: atLimit });

    // Assess
    expect(response.SecretName).toBe('bin-max');
    await expectTencentError(
      client.CreateSecret({ SecretName: 'bin-over', SecretBinary: overLimit }),
      'InvalidParameterValue',
    );
  });

  it('refuses a SecretBinary that is not base64 with InvalidParameterValue', async () => {
    await expectTencentError(
      client.CreateSecret({ SecretName: 'not-b64', SecretBinary: 'not base64!' }),
      'InvalidParameterValue',
    );
  });

  it('refuses a Description over 2048 bytes with InvalidParameterValue', async () => {
    await expectTencentError(
      client.CreateSecret({
        SecretName: 'long-desc',
        SecretString: VALUE,
        Description: 'é'.repeat(1025),
      }),
      'InvalidParameterValue',
    );
  });

  it('refuses a missing SecretName with MissingParameter', async () => {
    await expectTencentError(
      client.CreateSecret({ SecretString: VALUE } as never),
      'MissingParameter',
    );
  });

  it('refuses a parameter the SDK model does not have with UnknownParameter', async () => {
    await expectTencentError(
      client.CreateSecret({ SecretName: 'x', SecretString: VALUE, Bogus: 1 } as never),
      'UnknownParameter',
    );
  });

  it('refuses a tag key given twice with InvalidParameterValue.TagKeysDuplicated', async () => {
    await expectTencentError(
      client.CreateSecret({
        SecretName: 'dup-tags',
        SecretString: VALUE,
        Tags: [
          { TagKey: 'k', TagValue: 'a' },
          { TagKey: 'k', TagValue: 'b' },
        ],
      }),
      'InvalidParameterValue.TagKeysDuplicated',
    );
  });

  it('accepts every optional field of the SDK request model', async () => {
    // Act
    const response = await client.CreateSecret({
      SecretName: 'all-fields',
      VersionId: 'v1',
      Description: 'desc',
      KmsKeyId: 'key-123',
      SecretType: 0,
      SecretString: VALUE,
      AdditionalConfig: '{}',
      Tags: [{ TagKey: 'k', TagValue: 'v' }],
      KmsHsmClusterId: 'cluster-1',
      EncryptType: 1,
    });
    const described = await client.DescribeSecret({ SecretName: 'all-fields' });

    // Assess
    expect(response.SecretName).toBe('all-fields');
    expect(described).toMatchObject({
      KmsKeyId: 'key-123',
      AdditionalConfig: '{}',
      EncryptType: 1,
    });
  });
});

describe('Action: PutSecretValue', () => {
  it('adds a version that GetSecretValue reads back', async () => {
    // Prepare
    await createSecret('app');

    // Act
    const put = await client.PutSecretValue({
      SecretName: 'app',
      VersionId: 'v2',
      SecretString: OTHER,
    });
    const read = await client.GetSecretValue({ SecretName: 'app', VersionId: 'v2' });

    // Assess
    expect(put).toMatchObject({ SecretName: 'app', VersionId: 'v2' });
    expect(read.SecretString).toBe(OTHER);
  });

  it('refuses an existing VersionId with ResourceInUse.VersionIdExists and keeps the old value', async () => {
    // Prepare
    await createSecret('app');

    // Act
    await expectTencentError(
      client.PutSecretValue({ SecretName: 'app', VersionId: 'v1', SecretString: OTHER }),
      'ResourceInUse.VersionIdExists',
    );

    // Assess
    const read = await client.GetSecretValue({ SecretName: 'app', VersionId: 'v1' });
    expect(read.SecretString).toBe(VALUE);
  });

  it('refuses an unknown secret with ResourceNotFound', async () => {
    await expectTencentError(
      client.PutSecretValue({ SecretName: 'ghost', VersionId: 'v1', SecretString: VALUE }),
      'ResourceNotFound',
    );
  });

  it('refuses a missing VersionId with MissingParameter', async () => {
    // Prepare
    await createSecret('app');

    // Act + Assess
    await expectTencentError(
      client.PutSecretValue({ SecretName: 'app', SecretString: VALUE } as never),
      'MissingParameter',
    );
  });

  it('refuses an invalid VersionId with InvalidParameterValue', async () => {
    // Prepare
    await createSecret('app');

    // Act + Assess
    await expectTencentError(
      client.PutSecretValue({ SecretName: 'app', VersionId: '-v2', SecretString: VALUE }),
      'InvalidParameterValue',
    );
  });

  it('refuses neither or both values with InvalidParameterValue', async () => {
    // Prepare
    await createSecret('app');

    // Act + Assess
    await expectTencentError(
      client.PutSecretValue({ SecretName: 'app', VersionId: 'v2' }),
      'InvalidParameterValue',
    );
    await expectTencentError(
      client.PutSecretValue({
        SecretName: 'app',
        VersionId: 'v2',
        SecretString: VALUE,
        SecretBinary: 'AAAA',
      }),
      'InvalidParameterValue',
    );
  });

  it('refuses a value over 32 KB with InvalidParameterValue', async () => {
    // Prepare
    await createSecret('app');

    // Act + Assess
    await expectTencentError(
      client.PutSecretValue({
        SecretName: 'app',
        VersionId: 'v2',
        SecretString: 'x'.repeat(32 * 1024 + 1),
      }),
      'InvalidParameterValue',
    );
  });

  it('refuses the 11th version with LimitExceeded and evicts nothing', async () => {
    // Prepare: v1 from CreateSecret plus v2..v10
    await createSecret('app');
    await putVersions('app', ['v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9', 'v10']);

    // Act
    await expectTencentError(
      client.PutSecretValue({ SecretName: 'app', VersionId: 'v11', SecretString: VALUE }),
      'LimitExceeded',
    );

    // Assess
    const listed = await client.ListSecretVersionIds({ SecretName: 'app' });
    expect(listed.Versions).toHaveLength(10);
    expect((listed.Versions ?? []).map((v) => v.VersionId)).toContain('v1');
  });

  it('accepts a new version again once an old one is deleted', async () => {
    // Prepare
    await createSecret('app');
    await putVersions('app', ['v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8', 'v9', 'v10']);
    await client.DeleteSecretVersion({ SecretName: 'app', VersionId: 'v1' });

    // Act
    const put = await client.PutSecretValue({
      SecretName: 'app',
      VersionId: 'v11',
      SecretString: VALUE,
    });

    // Assess
    expect(put.VersionId).toBe('v11');
  });

  it('stores versions with their CreateTime in unix seconds from the emulated clock', async () => {
    // Prepare
    const before = Math.floor(emulator.state.now() / 1000);

    // Act
    await createSecret('app');
    await putVersions('app', ['v2']);
    const after = Math.floor(emulator.state.now() / 1000);
    const listed = await client.ListSecretVersionIds({ SecretName: 'app' });

    // Assess
    for (const version of listed.Versions ?? []) {
      expect(version.CreateTime).toBeGreaterThanOrEqual(before);
      expect(version.CreateTime).toBeLessThanOrEqual(after);
    }
  });
});

describe('Action: GetSecretValue', () => {
  it('refuses a missing VersionId with MissingParameter, as custom secrets have no current pointer', async () => {
    // Prepare
    await createSecret('app');

    // Act + Assess
    await expectTencentError(
      client.GetSecretValue({ SecretName: 'app' } as never),
      'MissingParameter',
    );
  });

  it('refuses an unknown secret with ResourceNotFound', async () => {
    await expectTencentError(
      client.GetSecretValue({ SecretName: 'ghost', VersionId: 'v1' }),
      'ResourceNotFound',
    );
  });

  it('refuses an unknown version with ResourceNotFound', async () => {
    // Prepare
    await createSecret('app');

    // Act + Assess
    await expectTencentError(
      client.GetSecretValue({ SecretName: 'app', VersionId: 'v9' }),
      'ResourceNotFound',
    );
  });

  it('does not treat SSM_Current as an alias of the latest version', async () => {
    // Prepare
    await createSecret('app', 'v1');

    // Act + Assess
    await expectTencentError(
      client.GetSecretValue({ SecretName: 'app', VersionId: 'SSM_Current' }),
      'ResourceNotFound',
    );
  });

  it('refuses an invalid SecretName with InvalidParameterValue', async () => {
    await expectTencentError(
      client.GetSecretValue({ SecretName: 'bad name', VersionId: 'v1' }),
      'InvalidParameterValue',
    );
  });
});

describe('Action: UpdateSecret', () => {
  it('overwrites the content of a version in place and keeps its CreateTime', async () => {
    // Prepare
    await createSecret('app');
    const before = await client.ListSecretVersionIds({ SecretName: 'app' });

    // Act
    const updated = await client.UpdateSecret({
      SecretName: 'app',
      VersionId: 'v1',
      SecretString: OTHER,
    });
    const read = await client.GetSecretValue({ SecretName: 'app', VersionId: 'v1' });
    const after = await client.ListSecretVersionIds({ SecretName: 'app' });

    // Assess
    expect(updated).toMatchObject({ SecretName: 'app', VersionId: 'v1' });
    expect(read.SecretString).toBe(OTHER);
    expect(after.Versions).toEqual(before.Versions);
  });

  it('switches a version from string to binary content', async () => {
    // Prepare
    await createSecret('app');
    const binary = Buffer.from('bytes').toString('base64');

    // Act
    await client.UpdateSecret({ SecretName: 'app', VersionId: 'v1', SecretBinary: binary });
    const read = await client.GetSecretValue({ SecretName: 'app', VersionId: 'v1' });

    // Assess
    expect(read).toMatchObject({ SecretBinary: binary, SecretString: '' });
  });

  it('refuses an unknown version with ResourceNotFound', async () => {
    // Prepare
    await createSecret('app');

    // Act + Assess
    await expectTencentError(
      client.UpdateSecret({ SecretName: 'app', VersionId: 'v2', SecretString: OTHER }),
      'ResourceNotFound',
    );
  });

  it('refuses an unknown secret with ResourceNotFound', async () => {
    await expectTencentError(
      client.UpdateSecret({ SecretName: 'ghost', VersionId: 'v1', SecretString: OTHER }),
      'ResourceNotFound',
    );
  });

  it('refuses neither value with InvalidParameterValue', async () => {
    // Prepare
    await createSecret('app');

    // Act + Assess
    await expectTencentError(
      client.UpdateSecret({ SecretName: 'app', VersionId: 'v1' }),
      'InvalidParameterValue',
    );
  });
});

describe('Action: ListSecretVersionIds', () => {
  it('lists every version with its CreateTime', async () => {
    // Prepare
    await createSecret('app');
    await putVersions('app', ['v2', 'v3']);

    // Act
    const listed = await client.ListSecretVersionIds({ SecretName: 'app' });

    // Assess
    expect(listed.SecretName).toBe('app');
    expect((listed.Versions ?? []).map((v) => v.VersionId).sort()).toEqual(['v1', 'v2', 'v3']);
    for (const version of listed.Versions ?? []) expect(typeof version.CreateTime).toBe('number');
  });

  it('never answers in insertion order, so clients must sort by CreateTime themselves', async () => {
    // Prepare
    await createSecret('pair');
    await putVersions('pair', ['v2']);
    await createSecret('many');
    const inserted = ['v1', 'v2', 'v3', 'v4', 'v5', 'v6'];
    await putVersions('many', inserted.slice(1));

    // Act
    const pair = await client.ListSecretVersionIds({ SecretName: 'pair' });
    const orders: string[][] = [];
    for (let i = 0; i < 5; i++) {
      const listed = await client.ListSecretVersionIds({ SecretName: 'many' });
      orders.push((listed.Versions ?? []).map((v) => v.VersionId ?? ''));
    }

    // Assess
    expect((pair.Versions ?? []).map((v) => v.VersionId)).toEqual(['v2', 'v1']);
    for (const order of orders) {
      expect(order).not.toEqual(inserted);
      expect(order).not.toEqual([...inserted].reverse());
      expect([...order].sort()).toEqual([...inserted].sort());
    }
  });

  it('refuses an unknown secret with ResourceNotFound', async () => {
    await expectTencentError(
      client.ListSecretVersionIds({ SecretName: 'ghost' }),
      'ResourceNotFound',
    );
  });
});

describe('Action: DeleteSecretVersion', () => {
  it('deletes one version and answers its name and VersionId', async () => {
    // Prepare
    await createSecret('app');
    await putVersions('app', ['v2']);

    // Act
    const deleted = await client.DeleteSecretVersion({ SecretName: 'app', VersionId: 'v1' });

    // Assess
    expect(deleted).toMatchObject({ SecretName: 'app', VersionId: 'v1' });
    await expectTencentError(
      client.GetSecretValue({ SecretName: 'app', VersionId: 'v1' }),
      'ResourceNotFound',
    );
    const read = await client.GetSecretValue({ SecretName: 'app', VersionId: 'v2' });
    expect(read.SecretString).toBe(VALUE);
  });

  it('refuses an unknown version with ResourceNotFound', async () => {
    // Prepare
    await createSecret('app');

    // Act + Assess
    await expectTencentError(
      client.DeleteSecretVersion({ SecretName: 'app', VersionId: 'v7' }),
      'ResourceNotFound',
    );
  });

  it('refuses an unknown secret with ResourceNotFound', async () => {
    await expectTencentError(
      client.DeleteSecretVersion({ SecretName: 'ghost', VersionId: 'v1' }),
      'ResourceNotFound',
    );
  });

  it('deletes versions of disabled and pending-delete secrets', async () => {
    // Prepare
    await createSecret('app');
    await putVersions('app', ['v2']);
    await client.DisableSecret({ SecretName: 'app' });

    // Act
    await client.DeleteSecretVersion({ SecretName: 'app', VersionId: 'v1' });
    await client.DeleteSecret({ SecretName: 'app', RecoveryWindowInDays: 7 });
    await client.DeleteSecretVersion({ SecretName: 'app', VersionId: 'v2' });

    // Assess
    const listed = await client.ListSecretVersionIds({ SecretName: 'app' });
    expect(listed.Versions).toEqual([]);
  });
});

describe('Action: DescribeSecret', () => {
  it('answers the metadata fields of a custom secret', async () => {
    // Prepare
    const before = Math.floor(emulator.state.now() / 1000);
    await client.CreateSecret({
      SecretName: 'app',
      SecretString: VALUE,
      Description: 'admin password',
    });

    // Act
    const described = await client.DescribeSecret({ SecretName: 'app' });

    // Assess
    expect(described).toMatchObject({
      SecretName: 'app',
      Description: 'admin password',
      KmsKeyId: '',
      Status: 'Enabled',
      DeleteTime: 0,
      SecretType: 0,
      ProductName: 'default',
      RotationStatus: false,
      EncryptType: 0,
    });
    expect(typeof described.CreateUin).toBe('number');
    expect(described.CreateUinString).toBe(String(described.CreateUin));
    expect(described.CreateTime).toBeGreaterThanOrEqual(before);
    expect(described.CreateTime).toBeLessThanOrEqual(Math.floor(emulator.state.now() / 1000));
  });

  it('refuses an unknown secret with ResourceNotFound', async () => {
    await expectTencentError(client.DescribeSecret({ SecretName: 'ghost' }), 'ResourceNotFound');
  });
});

describe('Action: UpdateDescription', () => {
  it('replaces the description', async () => {
    // Prepare
    await createSecret('app');

    // Act
    const response = await client.UpdateDescription({ SecretName: 'app', Description: 'new' });
    const described = await client.DescribeSecret({ SecretName: 'app' });

    // Assess
    expect(response.SecretName).toBe('app');
    expect(described.Description).toBe('new');
  });

  it('refuses a description over 2048 bytes with InvalidParameterValue', async () => {
    // Prepare
    await createSecret('app');

    // Act + Assess
    await expectTencentError(
      client.UpdateDescription({ SecretName: 'app', Description: 'd'.repeat(2049) }),
      'InvalidParameterValue',
    );
  });

  it('refuses a missing Description with MissingParameter', async () => {
    // Prepare
    await createSecret('app');

    // Act + Assess
    await expectTencentError(
      client.UpdateDescription({ SecretName: 'app' } as never),
      'MissingParameter',
    );
  });

  it('refuses an unknown secret with ResourceNotFound', async () => {
    await expectTencentError(
      client.UpdateDescription({ SecretName: 'ghost', Description: 'x' }),
      'ResourceNotFound',
    );
  });
});

describe('Secret status transitions', () => {
  it('hides the value of a disabled secret with ResourceUnavailable.ResourceDisabled', async () => {
    // Prepare
    await createSecret('app');

    // Act
    const disabled = await client.DisableSecret({ SecretName: 'app' });

    // Assess
    expect(disabled.SecretName).toBe('app');
    expect((await client.DescribeSecret({ SecretName: 'app' })).Status).toBe('Disabled');
    await expectTencentError(
      client.GetSecretValue({ SecretName: 'app', VersionId: 'v1' }),
      'ResourceUnavailable.ResourceDisabled',
    );
  });

  it('still accepts new and updated versions while disabled', async () => {
    // Prepare
    await createSecret('app');
    await client.DisableSecret({ SecretName: 'app' });

    // Act
    await client.PutSecretValue({ SecretName: 'app', VersionId: 'v2', SecretString: OTHER });
    await client.UpdateSecret({ SecretName: 'app', VersionId: 'v1', SecretString: OTHER });
    await client.UpdateDescription({ SecretName: 'app', Description: 'still editable' });
    const enabled = await client.EnableSecret({ SecretName: 'app' });

    // Assess
    expect(enabled.SecretName).toBe('app');
    expect((await client.GetSecretValue({ SecretName: 'app', VersionId: 'v1' })).SecretString).toBe(
      OTHER,
    );
    expect((await client.GetSecretValue({ SecretName: 'app', VersionId: 'v2' })).SecretString).toBe(
      OTHER,
    );
  });

  it('treats enabling an enabled secret and disabling a disabled one as no-ops', async () => {
    // Prepare
    await createSecret('app');

    // Act
    await client.EnableSecret({ SecretName: 'app' });
    await client.DisableSecret({ SecretName: 'app' });
    await client.DisableSecret({ SecretName: 'app' });

    // Assess
    expect((await client.DescribeSecret({ SecretName: 'app' })).Status).toBe('Disabled');
  });

  it('refuses to delete an enabled secret with FailedOperation', async () => {
    // Prepare
    await createSecret('app');

    // Act + Assess
    await expectTencentError(
      client.DeleteSecret({ SecretName: 'app', RecoveryWindowInDays: 7 }),
      'FailedOperation',
    );
    await expectTencentError(client.DeleteSecret({ SecretName: 'app' }), 'FailedOperation');
    expect((await client.DescribeSecret({ SecretName: 'app' })).Status).toBe('Enabled');
  });

  it.each([-1, 31])('refuses RecoveryWindowInDays %i with InvalidParameterValue', async (days) => {
    // Prepare
    await createSecret('app');
    await client.DisableSecret({ SecretName: 'app' });

    // Act + Assess
    await expectTencentError(
      client.DeleteSecret({ SecretName: 'app', RecoveryWindowInDays: days }),
      'InvalidParameterValue',
    );
  });

  it('removes a disabled secret at once when RecoveryWindowInDays is 0, freeing its name', async () => {
    // Prepare
    await createSecret('app');
    await client.DisableSecret({ SecretName: 'app' });

    // Act
    const deleted = await client.DeleteSecret({ SecretName: 'app', RecoveryWindowInDays: 0 });

    // Assess
    expect(deleted.SecretName).toBe('app');
    await expectTencentError(client.DescribeSecret({ SecretName: 'app' }), 'ResourceNotFound');
    const recreated = await client.CreateSecret({ SecretName: 'app', SecretString: OTHER });
    expect(recreated.SecretName).toBe('app');
  });

  it('schedules the deletion of a disabled secret with DeleteTime = now + the window in unix seconds', async () => {
    // Prepare
    await createSecret('app');
    await client.DisableSecret({ SecretName: 'app' });
    const before = Math.floor(emulator.state.now() / 1000);

    // Act
    const deleted = await client.DeleteSecret({ SecretName: 'app', RecoveryWindowInDays: 7 });
    const after = Math.floor(emulator.state.now() / 1000);
    const described = await client.DescribeSecret({ SecretName: 'app' });

    // Assess
    expect(deleted.DeleteTime).toBeGreaterThanOrEqual(before + 7 * 86_400);
    expect(deleted.DeleteTime).toBeLessThanOrEqual(after + 7 * 86_400);
    expect(described).toMatchObject({ Status: 'PendingDelete', DeleteTime: deleted.DeleteTime });
  });

  it('refuses reads and writes of a pending-delete secret with ResourceUnavailable.ResourcePendingDeleted', async () => {
    // Prepare
    await createSecret('app');
    await client.DisableSecret({ SecretName: 'app' });
    await client.DeleteSecret({ SecretName: 'app', RecoveryWindowInDays: 1 });

    // Act + Assess
    const code = 'ResourceUnavailable.ResourcePendingDeleted';
    await expectTencentError(client.GetSecretValue({ SecretName: 'app', VersionId: 'v1' }), code);
    await expectTencentError(
      client.PutSecretValue({ SecretName: 'app', VersionId: 'v2', SecretString: OTHER }),
      code,
    );
    await expectTencentError(
      client.UpdateSecret({ SecretName: 'app', VersionId: 'v1', SecretString: OTHER }),
      code,
    );
  });

  it('refuses lifecycle changes of a pending-delete secret with FailedOperation', async () => {
    // Prepare
    await createSecret('app');
    await client.DisableSecret({ SecretName: 'app' });
    await client.DeleteSecret({ SecretName: 'app', RecoveryWindowInDays: 1 });

    // Act + Assess
    await expectTencentError(client.EnableSecret({ SecretName: 'app' }), 'FailedOperation');
    await expectTencentError(client.DisableSecret({ SecretName: 'app' }), 'FailedOperation');
    await expectTencentError(
      client.UpdateDescription({ SecretName: 'app', Description: 'x' }),
      'FailedOperation',
    );
    await expectTencentError(
      client.DeleteSecret({ SecretName: 'app', RecoveryWindowInDays: 0 }),
      'FailedOperation',
    );
  });

  it('restores a pending-delete secret to Disabled with no DeleteTime, then lets it be enabled', async () => {
    // Prepare
    await createSecret('app');
    await client.DisableSecret({ SecretName: 'app' });
    await client.DeleteSecret({ SecretName: 'app', RecoveryWindowInDays: 30 });

    // Act
    const restored = await client.RestoreSecret({ SecretName: 'app' });
    const described = await client.DescribeSecret({ SecretName: 'app' });
    await client.EnableSecret({ SecretName: 'app' });

    // Assess
    expect(restored.SecretName).toBe('app');
    expect(described).toMatchObject({ Status: 'Disabled', DeleteTime: 0 });
    expect((await client.GetSecretValue({ SecretName: 'app', VersionId: 'v1' })).SecretString).toBe(
      VALUE,
    );
  });

  it('refuses to restore a secret that is not pending deletion with FailedOperation', async () => {
    // Prepare
    await createSecret('app');

    // Act + Assess
    await expectTencentError(client.RestoreSecret({ SecretName: 'app' }), 'FailedOperation');
  });

  it.each(['EnableSecret', 'DisableSecret', 'RestoreSecret', 'DeleteSecret'] as const)(
    '%s refuses an unknown secret with ResourceNotFound',
    async (action) => {
      await expectTencentError(client[action]({ SecretName: 'ghost' }), 'ResourceNotFound');
    },
  );
});

describe('Action: GetServiceStatus', () => {
  it('reports the service as enabled and normal', async () => {
    // Act
    const status = await client.GetServiceStatus();

    // Assess
    expect(status).toMatchObject({ ServiceEnabled: true, InvalidType: 1 });
  });
});
