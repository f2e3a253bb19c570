import { afterEach, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../../src/emulator';
import { expectTencentError, ssmClient } from '../helpers/sdk';

// SSM quotas (facts/tencent-cloud-api.md §3.2: 1000 secrets per region, 10 versions per secret)
// and scheduled deletion, through the real SDK.

const VALUE = 'fixture-value';

let emulator: Emulator | undefined;

afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** Runs `task(i)` for i in [0, count) with at most `width` in flight. */
async function inParallel(
  count: number,
  width: number,
  task: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
}

describe('Quota: secrets per region', () => {
  it('refuses the secret over an overridden quota with LimitExceeded', async () => {
    // Prepare
    emulator = await startEmulator({ rateLimits: false, ssmLimits: { secretsPerRegion: 5 } });
    const client = ssmClient(emulator);
    for (let i = 0; i < 5; i++)
      await client.CreateSecret({ SecretName: `s${i}`, SecretString: VALUE });

    // Act + Assess
    await expectTencentError(
      client.CreateSecret({ SecretName: 's5', SecretString: VALUE }),
      'LimitExceeded',
    );
    expect(emulator.state.ssm.secrets('ap-guangzhou')).toHaveLength(5);
  });

  it('counts the quota per region', async () => {
    // Prepare
    emulator = await startEmulator({ rateLimits: false, ssmLimits: { secretsPerRegion: 2 } });
    const guangzhou = ssmClient(emulator);
    const shanghai = ssmClient(emulator, { region: 'ap-shanghai' });
    await guangzhou.CreateSecret({ SecretName: 'a', SecretString: VALUE });
    await guangzhou.CreateSecret({ SecretName: 'b', SecretString: VALUE });

    // Act
    const created = await shanghai.CreateSecret({ SecretName: 'a', SecretString: VALUE });

    // Assess
    expect(created.SecretName).toBe('a');
    await expectTencentError(
      guangzhou.CreateSecret({ SecretName: 'c', SecretString: VALUE }),
      'LimitExceeded',
    );
  });

  it('still counts secrets pending deletion, and frees the slot on immediate deletion', async () => {
    // Prepare
    emulator = await startEmulator({ rateLimits: false, ssmLimits: { secretsPerRegion: 2 } });
    const client = ssmClient(emulator);
    await client.CreateSecret({ SecretName: 'keep', SecretString: VALUE });
    await client.CreateSecret({ SecretName: 'doomed', SecretString: VALUE });
    await client.DisableSecret({ SecretName: 'doomed' });
    await client.DeleteSecret({ SecretName: 'doomed', RecoveryWindowInDays: 7 });

    // Act + Assess: a pending deletion still holds its slot
    await expectTencentError(
      client.CreateSecret({ SecretName: 'new', SecretString: VALUE }),
      'LimitExceeded',
    );

    // Act + Assess: restoring and deleting at once frees it
    await client.RestoreSecret({ SecretName: 'doomed' });
    await client.DeleteSecret({ SecretName: 'doomed', RecoveryWindowInDays: 0 });
    const created = await client.CreateSecret({ SecretName: 'new', SecretString: VALUE });
    expect(created.SecretName).toBe('new');
  });

  it('refuses the 1001st secret of a region with LimitExceeded under the real quota', async () => {
    // Prepare
    emulator = await startEmulator({ rateLimits: false });
    const client = ssmClient(emulator);
    await inParallel(1000, 25, (i) =>
      client.CreateSecret({ SecretName: `bulk-${i}`, SecretString: VALUE }),
    );

    // Act + Assess
    await expectTencentError(
      client.CreateSecret({ SecretName: 'bulk-1000', SecretString: VALUE }),
      'LimitExceeded',
    );
    expect((await client.ListSecrets({ Limit: 1 })).TotalCount).toBe(1000);
  });
});

describe('Quota: versions per secret', () => {
  it('refuses the version over an overridden quota with LimitExceeded', async () => {
    // Prepare
    emulator = await startEmulator({ rateLimits: false, ssmLimits: { versionsPerSecret: 2 } });
    const client = ssmClient(emulator);
    await client.CreateSecret({ SecretName: 'app', VersionId: 'v1', SecretString: VALUE });
    await client.PutSecretValue({ SecretName: 'app', VersionId: 'v2', SecretString: VALUE });

    // Act + Assess
    await expectTencentError(
      client.PutSecretValue({ SecretName: 'app', VersionId: 'v3', SecretString: VALUE }),
      'LimitExceeded',
    );
  });

  it('refuses a value over an overridden size limit with InvalidParameterValue', async () => {
    // Prepare
    emulator = await startEmulator({ rateLimits: false, ssmLimits: { valueBytes: 8 } });
    const client = ssmClient(emulator);

    // Act + Assess
    await expectTencentError(
      client.CreateSecret({ SecretName: 'app', SecretString: '123456789' }),
      'InvalidParameterValue',
    );
    const created = await client.CreateSecret({ SecretName: 'app', SecretString: '12345678' });
    expect(created.SecretName).toBe('app');
  });
});

describe('Scheduled deletion', () => {
  it('removes a pending-delete secret for good once its DeleteTime has passed', async () => {
    // Prepare: 1,000,000 emulated ms per real ms, so a 30-day window lasts about 2.6 real seconds
    emulator = await startEmulator({
      rateLimits: false,
      timeScale: 1_000_000,
      ssmLimits: { secretsPerRegion: 1 },
    });
    const client = ssmClient(emulator);
    await client.CreateSecret({ SecretName: 'doomed', SecretString: VALUE });
    await client.DisableSecret({ SecretName: 'doomed' });
    const deleted = await client.DeleteSecret({ SecretName: 'doomed', RecoveryWindowInDays: 30 });
    expect((await client.DescribeSecret({ SecretName: 'doomed' })).Status).toBe('PendingDelete');

    // Act: wait until the emulated clock is past DeleteTime
    const deleteAtMs = (deleted.DeleteTime ?? 0) * 1000;
    while (emulator.state.now() <= deleteAtMs + 1000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // Assess
    await expectTencentError(client.DescribeSecret({ SecretName: 'doomed' }), 'ResourceNotFound');
    const created = await client.CreateSecret({ SecretName: 'next', SecretString: VALUE });
    expect(created.SecretName).toBe('next');
  });
});
