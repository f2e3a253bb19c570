import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator';
import { expectTencentError, ssmClient } from '../helpers/sdk';

// ListSecrets, regions and the GET encoding of the SSM emulator, through the real SDK.

type SsmClient = ReturnType<typeof ssmClient>;

const VALUE = 'fixture-value';

let emulator: Emulator;
let client: SsmClient;

afterEach(async () => {
  await emulator.close();
});

function names(response: {
  SecretMetadatas?: Array<{ SecretName?: string }>;
}): Array<string | undefined> {
  return (response.SecretMetadatas ?? []).map((m) => m.SecretName);
}

describe('Action: ListSecrets', () => {
  beforeEach(async () => {
    // 100,000 emulated ms per real ms: consecutive creates get distinct CreateTime seconds.
    emulator = await startEmulator({ rateLimits: false, timeScale: 100_000 });
    client = ssmClient(emulator);
  });

  async function createMany(count: number, prefix = 's'): Promise<string[]> {
    const created: string[] = [];
    for (let i = 0; i < count; i++) {
      const name = `${prefix}${String(i).padStart(2, '0')}`;
      await client.CreateSecret({ SecretName: name, SecretString: VALUE });
      created.push(name);
    }
    return created;
  }

  it('answers 20 secrets newest first by default, with the total count', async () => {
    // Prepare
    const created = await createMany(25);

    // Act
    const listed = await client.ListSecrets({});

    // Assess
    expect(listed.TotalCount).toBe(25);
    expect(names(listed)).toEqual([...created].reverse().slice(0, 20));
  });

  it('answers oldest first with OrderType 1', async () => {
    // Prepare
    const created = await createMany(5);

    // Act
    const listed = await client.ListSecrets({ OrderType: 1 });

    // Assess
    expect(names(listed)).toEqual(created);
  });

  it('treats Limit 0 as the default of 20', async () => {
    // Prepare
    await createMany(21);

    // Act
    const listed = await client.ListSecrets({ Limit: 0 });

    // Assess
    expect(listed.SecretMetadatas).toHaveLength(20);
  });

  it('pages with Offset and Limit without overlap or gaps', async () => {
    // Prepare
    const created = await createMany(7);

    // Act
    const pages: Array<string | undefined> = [];
    for (let offset = 0; offset < 7; offset += 3) {
      pages.push(...names(await client.ListSecrets({ Offset: offset, Limit: 3, OrderType: 1 })));
    }

    // Assess
    expect(pages).toEqual(created);
  });

  it('breaks CreateTime ties by name, so that pages of same-second secrets are stable', async () => {
    // Prepare: time frozen-ish (1 emulated ms per real ms), so these share a second or two
    await emulator.close();
    emulator = await startEmulator({ rateLimits: false });
    client = ssmClient(emulator);
    for (const name of ['c', 'a', 'b'])
      await client.CreateSecret({ SecretName: name, SecretString: VALUE });

    // Act
    const ascending = await client.ListSecrets({ OrderType: 1 });
    const descending = await client.ListSecrets({ OrderType: 0 });

    // Assess
    expect(names(descending)).toEqual([...names(ascending)].reverse());
    const metadatas = ascending.SecretMetadatas ?? [];
    for (let i = 1; i < metadatas.length; i++) {
      const [prev, next] = [metadatas[i - 1], metadatas[i]];
      if (prev?.CreateTime === next?.CreateTime) {
        expect((prev?.SecretName ?? '') < (next?.SecretName ?? '')).toBe(true);
      }
    }
  });

  it('answers an empty page past the end with the total count', async () => {
    // Prepare
    await createMany(3);

    // Act
    const listed = await client.ListSecrets({ Offset: 10, Limit: 5 });

    // Assess
    expect(listed).toMatchObject({ TotalCount: 3, SecretMetadatas: [] });
  });

  it.each([
    ['Limit 101', { Limit: 101 }],
    ['a negative Limit', { Limit: -1 }],
    ['a negative Offset', { Offset: -1 }],
    ['OrderType 2', { OrderType: 2 }],
    ['State 6', { State: 6 }],
    ['SecretType 9', { SecretType: 9 }],
  ])('refuses %s with InvalidParameterValue', async (_label, request) => {
    await expectTencentError(client.ListSecrets(request), 'InvalidParameterValue');
  });

  it('accepts Limit 100', async () => {
    // Prepare
    await createMany(2);

    // Act
    const listed = await client.ListSecrets({ Limit: 100 });

    // Assess
    expect(listed.TotalCount).toBe(2);
  });

  it('filters by State: 1 Enabled, 2 Disabled, 3 PendingDelete, 0 all', async () => {
    // Prepare
    await createMany(3);
    await client.DisableSecret({ SecretName: 's01' });
    await client.DisableSecret({ SecretName: 's02' });
    await client.DeleteSecret({ SecretName: 's02', RecoveryWindowInDays: 30 });

    // Act
    const [all, enabled, disabled, pending] = await Promise.all(
      [0, 1, 2, 3].map((State) => client.ListSecrets({ State, OrderType: 1 })),
    );

    // Assess
    expect(all && names(all)).toEqual(['s00', 's01', 's02']);
    expect(enabled && names(enabled)).toEqual(['s00']);
    expect(disabled && names(disabled)).toEqual(['s01']);
    expect(pending && names(pending)).toEqual(['s02']);
    expect(pending?.SecretMetadatas?.[0]).toMatchObject({ Status: 'PendingDelete' });
    expect(pending?.SecretMetadatas?.[0]?.DeleteTime).toBeGreaterThan(0);
  });

  it('finds nothing for the product-secret states 4 and 5', async () => {
    // Prepare
    await createMany(2);

    // Act
    const listed = await client.ListSecrets({ State: 4 });

    // Assess
    expect(listed).toMatchObject({ TotalCount: 0, SecretMetadatas: [] });
  });

  it('filters by a substring of the name with SearchSecretName', async () => {
    // Prepare
    for (const name of ['cvm-ins-aaa', 'cvm-ins-bbb', 'db-main']) {
      await client.CreateSecret({ SecretName: name, SecretString: VALUE });
    }

    // Act
    const listed = await client.ListSecrets({ SearchSecretName: 'ins-', OrderType: 1 });

    // Assess
    expect(names(listed)).toEqual(['cvm-ins-aaa', 'cvm-ins-bbb']);
  });

  it('filters by tags: filters AND, values OR, no values means the key is present', async () => {
    // Prepare
    await client.CreateSecret({
      SecretName: 'a',
      SecretString: VALUE,
      Tags: [
        { TagKey: 'app', TagValue: 'rotator' },
        { TagKey: 'env', TagValue: 'prod' },
      ],
    });
    await client.CreateSecret({
      SecretName: 'b',
      SecretString: VALUE,
      Tags: [
        { TagKey: 'app', TagValue: 'rotator' },
        { TagKey: 'env', TagValue: 'test' },
      ],
    });
    await client.CreateSecret({
      SecretName: 'c',
      SecretString: VALUE,
      Tags: [{ TagKey: 'app', TagValue: 'other' }],
    });

    // Act
    const both = await client.ListSecrets({
      OrderType: 1,
      TagFilters: [
        { TagKey: 'app', TagValue: ['rotator'] },
        { TagKey: 'env', TagValue: ['prod', 'test'] },
      ],
    });
    const prodOnly = await client.ListSecrets({
      TagFilters: [{ TagKey: 'env', TagValue: ['prod'] }],
    });
    const hasApp = await client.ListSecrets({ OrderType: 1, TagFilters: [{ TagKey: 'app' }] });

    // Assess
    expect(names(both)).toEqual(['a', 'b']);
    expect(names(prodOnly)).toEqual(['a']);
    expect(names(hasApp)).toEqual(['a', 'b', 'c']);
  });

  it('lists only custom secrets: other SecretTypes are empty', async () => {
    // Prepare
    await createMany(2);

    // Act
    const custom = await client.ListSecrets({ SecretType: 0 });
    const product = await client.ListSecrets({ SecretType: 1, ProductName: 'Mysql' });

    // Assess
    expect(custom.TotalCount).toBe(2);
    expect(product).toMatchObject({ TotalCount: 0, SecretMetadatas: [] });
  });

  it('answers the SecretMetadata fields, with RotationStatus as an integer', async () => {
    // Prepare
    await client.CreateSecret({ SecretName: 'default-key', SecretString: VALUE, Description: 'd' });
    await client.CreateSecret({ SecretName: 'own-key', SecretString: VALUE, KmsKeyId: 'key-1' });

    // Act
    const listed = await client.ListSecrets({ OrderType: 1 });

    // Assess
    expect(listed.SecretMetadatas?.[0]).toMatchObject({
      SecretName: 'default-key',
      Description: 'd',
      KmsKeyId: '',
      KmsKeyType: 'DEFAULT',
      Status: 'Enabled',
      DeleteTime: 0,
      RotationStatus: 0,
      SecretType: 0,
    });
    expect(listed.SecretMetadatas?.[1]).toMatchObject({
      KmsKeyId: 'key-1',
      KmsKeyType: 'CUSTOMER',
    });
    expect(typeof listed.SecretMetadatas?.[0]?.CreateTime).toBe('number');
  });
});

describe('Regions', () => {
  beforeEach(async () => {
    emulator = await startEmulator({ rateLimits: false });
    client = ssmClient(emulator);
  });

  it('keeps the same name in two regions as two independent secrets', async () => {
    // Prepare
    const shanghai = ssmClient(emulator, { region: 'ap-shanghai' });
    await client.CreateSecret({ SecretName: 'app', VersionId: 'v1', SecretString: 'gz-value' });

    // Act
    await shanghai.CreateSecret({ SecretName: 'app', VersionId: 'v1', SecretString: 'sh-value' });
    await shanghai.PutSecretValue({
      SecretName: 'app',
      VersionId: 'v2',
      SecretString: 'sh-value-2',
    });

    // Assess
    expect((await client.GetSecretValue({ SecretName: 'app', VersionId: 'v1' })).SecretString).toBe(
      'gz-value',
    );
    expect(
      (await shanghai.GetSecretValue({ SecretName: 'app', VersionId: 'v1' })).SecretString,
    ).toBe('sh-value');
    await expectTencentError(
      client.GetSecretValue({ SecretName: 'app', VersionId: 'v2' }),
      'ResourceNotFound',
    );
    expect((await client.ListSecrets({})).TotalCount).toBe(1);
    expect(emulator.state.ssm.secrets()).toHaveLength(2);
  });

  it('does not show a secret of one region in another', async () => {
    // Prepare
    await client.CreateSecret({ SecretName: 'only-gz', SecretString: VALUE });
    const beijing = ssmClient(emulator, { region: 'ap-beijing' });

    // Act + Assess
    await expectTencentError(beijing.DescribeSecret({ SecretName: 'only-gz' }), 'ResourceNotFound');
    expect((await beijing.ListSecrets({})).TotalCount).toBe(0);
  });
});

describe('GET encoding', () => {
  beforeEach(async () => {
    emulator = await startEmulator({ rateLimits: false });
    client = ssmClient(emulator, { reqMethod: 'GET' });
  });

  it('creates a secret with Tags flattened into the query string', async () => {
    // Act
    const created = await client.CreateSecret({
      SecretName: 'via-get',
      VersionId: 'v1',
      SecretString: 'value with spaces & symbols=?',
      Tags: [
        { TagKey: 'app', TagValue: 'rotator' },
        { TagKey: 'env', TagValue: 'prod' },
      ],
    });
    const read = await client.GetSecretValue({ SecretName: 'via-get', VersionId: 'v1' });

    // Assess
    expect(created).toMatchObject({ SecretName: 'via-get', VersionId: 'v1', TagCode: 0 });
    expect(read.SecretString).toBe('value with spaces & symbols=?');
    expect(emulator.state.ssm.secret('ap-guangzhou', 'via-get')?.Tags).toEqual([
      { TagKey: 'app', TagValue: 'rotator' },
      { TagKey: 'env', TagValue: 'prod' },
    ]);
  });

  it('lists secrets with TagFilters and their values flattened into the query string', async () => {
    // Prepare
    await client.CreateSecret({
      SecretName: 'tagged',
      SecretString: VALUE,
      Tags: [{ TagKey: 'env', TagValue: 'prod' }],
    });
    await client.CreateSecret({
      SecretName: 'other',
      SecretString: VALUE,
      Tags: [{ TagKey: 'env', TagValue: 'dev' }],
    });

    // Act
    const listed = await client.ListSecrets({
      Limit: 10,
      OrderType: 1,
      TagFilters: [{ TagKey: 'env', TagValue: ['prod', 'staging'] }],
    });

    // Assess
    expect(names(listed)).toEqual(['tagged']);
  });

  it('deletes with an integer RecoveryWindowInDays from the query string', async () => {
    // Prepare
    await client.CreateSecret({ SecretName: 'app', SecretString: VALUE });
    await client.DisableSecret({ SecretName: 'app' });

    // Act
    const deleted = await client.DeleteSecret({ SecretName: 'app', RecoveryWindowInDays: 3 });

    // Assess
    expect((await client.DescribeSecret({ SecretName: 'app' })).DeleteTime).toBe(
      deleted.DeleteTime,
    );
  });
});
