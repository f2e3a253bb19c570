import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, type InstanceSeed, startEmulator } from '../../src/emulator';
import { publicImageId } from '../../src/emulator/cvm/images';
import { cvmClient, expectTencentError } from '../helpers/sdk';

// Contract tests of the CVM 2017-03-12 emulator's read actions, DescribeInstances and
// DescribeImages, driven through the real tencentcloud-sdk-nodejs-cvm client
// (facts/tencent-cloud-api.md §2). Passwords are fixtures and are never printed.

type CvmClient = ReturnType<typeof cvmClient>;

const FIXTURE_PASSWORD = 'Fixture-Pw-0001';
const CENTOS = 'CentOS 7.9 64bit';
const UBUNTU = 'Ubuntu Server 22.04 LTS 64bit';
const WINDOWS = 'Windows Server 2022 DataCenter 64bit';

/** `ins-gz000007`: readable, and matches ^ins-[a-z0-9]{8}$. */
const gz = (n: number) => `ins-gz${String(n).padStart(6, '0')}`;
const sh = (n: number) => `ins-sh${String(n).padStart(6, '0')}`;

/**
 * 45 instances in Guangzhou (more than two default pages) and 3 in Shanghai. Every third
 * Guangzhou instance runs Ubuntu and is RUNNING; every fifth is tagged team=data; instances
 * 1–30 carry rotation=enabled, 31–40 rotation=disabled, 41–45 no tag.
 */
function fleet(): InstanceSeed[] {
  const out: InstanceSeed[] = [];
  for (let n = 1; n <= 45; n++) {
    const tags: Record<string, string> = {};
    if (n <= 30) tags.rotation = 'enabled';
    else if (n <= 40) tags.rotation = 'disabled';
    if (n % 5 === 0) tags.team = 'data';
    out.push({
      InstanceId: gz(n),
      InstanceName: n % 3 === 0 ? `web-${n}` : `db-${n}`,
      region: 'ap-guangzhou',
      Zone: n % 2 === 0 ? 'ap-guangzhou-3' : 'ap-guangzhou-4',
      InstanceState: n % 3 === 0 ? 'RUNNING' : 'STOPPED',
      OsName: n % 3 === 0 ? UBUNTU : CENTOS,
      Tags: tags,
      password: FIXTURE_PASSWORD,
      CreatedTime: new Date(Date.UTC(2023, 0, 1) + n * 86_400_000)
        .toISOString()
        .replace('.000', ''),
    });
  }
  for (let n = 1; n <= 3; n++) {
    out.push({
      InstanceId: sh(n),
      region: 'ap-shanghai',
      OsName: WINDOWS,
      Tags: { rotation: 'enabled' },
    });
  }
  // Empty OsName: only DescribeImages tells the OS (facts §2.2, §2.4).
  out.push({
    InstanceId: 'ins-noosname',
    region: 'ap-shanghai',
    OsName: '',
    ImageId: publicImageId(WINDOWS),
    ImageOsName: WINDOWS,
  });
  return out;
}

let emulator: Emulator;
let client: CvmClient;

beforeAll(async () => {
  emulator = await startEmulator({ fleet: fleet(), rateLimits: false });
  client = cvmClient(emulator);
});

afterAll(async () => {
  await emulator.close();
});

const idsOf = (set: ReadonlyArray<{ InstanceId?: string }> | undefined) =>
  (set ?? []).map((i) => i.InstanceId);

describe('Action: DescribeInstances — pagination', () => {
  it('answers 20 instances by default and counts every match in TotalCount', async () => {
    // Act
    const response = await client.DescribeInstances({});

    // Assess
    expect(response.TotalCount).toBe(45);
    expect(idsOf(response.InstanceSet)).toEqual(Array.from({ length: 20 }, (_, i) => gz(i + 1)));
  });

  it('answers the page that Offset and Limit select, in creation order', async () => {
    // Act
    const response = await client.DescribeInstances({ Offset: 40, Limit: 10 });

    // Assess
    expect(response.TotalCount).toBe(45);
    expect(idsOf(response.InstanceSet)).toEqual([gz(41), gz(42), gz(43), gz(44), gz(45)]);
  });

  it('answers an empty page past the end with the same TotalCount', async () => {
    // Act
    const response = await client.DescribeInstances({ Offset: 100, Limit: 100 });

    // Assess
    expect(response.TotalCount).toBe(45);
    expect(response.InstanceSet).toEqual([]);
  });

  it('accepts Limit 100 and refuses Limit 101 with InvalidParameterValue.LimitExceeded', async () => {
    // Act
    const hundred = await client.DescribeInstances({ Limit: 100 });

    // Assess
    expect(hundred.InstanceSet).toHaveLength(45);
    await expectTencentError(
      client.DescribeInstances({ Limit: 101 }),
      'InvalidParameterValue.LimitExceeded',
    );
  });

  it('refuses a negative Limit or Offset with InvalidParameterValue', async () => {
    await expectTencentError(client.DescribeInstances({ Limit: -1 }), 'InvalidParameterValue');
    await expectTencentError(client.DescribeInstances({ Offset: -1 }), 'InvalidParameterValue');
  });

  it('pages a filtered listing with TotalCount counting all matches', async () => {
    // Act
    const first = await client.DescribeInstances({
      Filters: [{ Name: 'tag:rotation', Values: ['enabled'] }],
      Limit: 25,
    });
    const second = await client.DescribeInstances({
      Filters: [{ Name: 'tag:rotation', Values: ['enabled'] }],
      Offset: 25,
      Limit: 25,
    });

    // Assess
    expect(first.TotalCount).toBe(30);
    expect(second.TotalCount).toBe(30);
    expect([...idsOf(first.InstanceSet), ...idsOf(second.InstanceSet)]).toEqual(
      Array.from({ length: 30 }, (_, i) => gz(i + 1)),
    );
  });
});

describe('Action: DescribeInstances — regions and InstanceIds', () => {
  it('shows only the instances of the region the request names', async () => {
    // Prepare
    const shanghai = cvmClient(emulator, { region: 'ap-shanghai' });

    // Act
    const response = await shanghai.DescribeInstances({ Limit: 100 });
    const crossRegion = await client.DescribeInstances({ InstanceIds: [sh(1)] });

    // Assess
    expect(idsOf(response.InstanceSet)).toEqual([sh(1), sh(2), sh(3), 'ins-noosname']);
    expect(crossRegion.TotalCount).toBe(0);
  });

  it('answers the requested instances in creation order and omits well-formed unknown IDs', async () => {
    // Act
    const response = await client.DescribeInstances({
      InstanceIds: [gz(7), 'ins-zzzzzzzz', gz(2), gz(7)],
    });

    // Assess
    expect(response.TotalCount).toBe(2);
    expect(idsOf(response.InstanceSet)).toEqual([gz(2), gz(7)]);
  });

  it('refuses a malformed instance ID with InvalidInstanceId.Malformed', async () => {
    await expectTencentError(
      client.DescribeInstances({ InstanceIds: ['ins-1122'] }),
      'InvalidInstanceId.Malformed',
    );
    await expectTencentError(
      client.DescribeInstances({ InstanceIds: ['ins-ABCDEFGH'] }),
      'InvalidInstanceId.Malformed',
    );
  });

  it('accepts 100 InstanceIds and refuses 101 with InvalidParameterValue.LimitExceeded', async () => {
    // Prepare
    const ids = Array.from({ length: 101 }, (_, i) => `ins-x${String(i).padStart(7, '0')}`);

    // Act
    const hundred = await client.DescribeInstances({ InstanceIds: ids.slice(0, 100) });

    // Assess
    expect(hundred.TotalCount).toBe(0);
    await expectTencentError(
      client.DescribeInstances({ InstanceIds: ids }),
      'InvalidParameterValue.LimitExceeded',
    );
  });

  it('refuses InstanceIds together with Filters with InvalidParameter', async () => {
    await expectTencentError(
      client.DescribeInstances({
        InstanceIds: [gz(1)],
        Filters: [{ Name: 'instance-state', Values: ['STOPPED'] }],
      }),
      'InvalidParameter',
    );
  });

  it('refuses a parameter the action does not have with UnknownParameter', async () => {
    await expectTencentError(
      client.DescribeInstances({ InstanceId: gz(1) } as unknown as Record<string, never>),
      'UnknownParameter',
    );
  });
});

describe('Action: DescribeInstances — filters', () => {
  const filtered = async (Filters: Array<{ Name: string; Values: string[] }>) => {
    const response = await client.DescribeInstances({ Filters, Limit: 100 });
    return { total: response.TotalCount, ids: idsOf(response.InstanceSet) };
  };

  it('filters by instance-id', async () => {
    expect(
      await filtered([{ Name: 'instance-id', Values: [gz(3), gz(9), 'ins-zzzzzzzz'] }]),
    ).toEqual({
      total: 2,
      ids: [gz(3), gz(9)],
    });
  });

  it('refuses a malformed value of the instance-id filter with InvalidParameterValue.InstanceIdMalformed', async () => {
    await expectTencentError(
      client.DescribeInstances({ Filters: [{ Name: 'instance-id', Values: ['i-123'] }] }),
      'InvalidParameterValue.InstanceIdMalformed',
    );
  });

  it('filters by instance-name, matching part of the name', async () => {
    const result = await filtered([{ Name: 'instance-name', Values: ['web-4'] }]);
    expect(result.ids).toEqual([gz(42), gz(45)]);
  });

  it('filters by instance-state', async () => {
    const result = await filtered([{ Name: 'instance-state', Values: ['RUNNING'] }]);
    expect(result.total).toBe(15);
    expect(result.ids.every((id) => Number(id?.slice(6)) % 3 === 0)).toBe(true);
  });

  it('filters by zone and refuses a zone of another region with InvalidZone.MismatchRegion', async () => {
    const result = await filtered([{ Name: 'zone', Values: ['ap-guangzhou-3'] }]);
    expect(result.total).toBe(22);
    await expectTencentError(
      client.DescribeInstances({ Filters: [{ Name: 'zone', Values: ['ap-shanghai-2'] }] }),
      'InvalidZone.MismatchRegion',
    );
  });

  it('filters by tag-key: instances that carry the key, whatever its value', async () => {
    expect((await filtered([{ Name: 'tag-key', Values: ['rotation'] }])).total).toBe(40);
    expect((await filtered([{ Name: 'tag-key', Values: ['team'] }])).total).toBe(9);
  });

  it('filters by tag-value: instances carrying the value under any key', async () => {
    expect((await filtered([{ Name: 'tag-value', Values: ['disabled'] }])).ids).toEqual(
      Array.from({ length: 10 }, (_, i) => gz(31 + i)),
    );
  });

  it('filters by tag:<key> on the key and value together', async () => {
    expect((await filtered([{ Name: 'tag:rotation', Values: ['enabled'] }])).total).toBe(30);
    expect((await filtered([{ Name: 'tag:rotation', Values: ['data'] }])).total).toBe(0);
    expect((await filtered([{ Name: 'tag:team', Values: ['data'] }])).total).toBe(9);
  });

  it('ORs the values within one filter', async () => {
    const result = await filtered([{ Name: 'tag:rotation', Values: ['enabled', 'disabled'] }]);
    expect(result.total).toBe(40);
  });

  it('ANDs separate filters', async () => {
    // Prepare: rotation=enabled (1–30) ∧ team=data (multiples of 5) ∧ RUNNING (multiples of 3)
    const result = await filtered([
      { Name: 'tag:rotation', Values: ['enabled'] },
      { Name: 'tag:team', Values: ['data'] },
      { Name: 'instance-state', Values: ['RUNNING'] },
    ]);

    // Assess
    expect(result.ids).toEqual([gz(15), gz(30)]);
  });

  it('filters by creation time, in Beijing time, and refuses another time format', async () => {
    // Prepare: instance n was created at 2023-01-01 + n days, 00:00 UTC = 08:00 Beijing.
    const result = await filtered([
      { Name: 'creation-start-time', Values: ['2023-01-11 08:00:00'] },
      { Name: 'creation-end-time', Values: ['2023-01-12 08:00:00'] },
    ]);

    // Assess
    expect(result.ids).toEqual([gz(10), gz(11)]);
    await expectTencentError(
      client.DescribeInstances({
        Filters: [{ Name: 'creation-start-time', Values: ['2023-01-11'] }],
      }),
      'InvalidParameterValue.InvalidTimeFormat',
    );
  });

  it('accepts 10 filters of 5 values and refuses 11 filters or 6 values with InvalidFilterValue.LimitExceeded', async () => {
    // Prepare
    const five = ['STOPPED', 'RUNNING', 'PENDING', 'STARTING', 'STOPPING'];
    const ten = Array.from({ length: 10 }, () => ({ Name: 'instance-state', Values: five }));

    // Act
    const accepted = await filtered(ten);

    // Assess
    expect(accepted.total).toBe(45);
    await expectTencentError(
      client.DescribeInstances({
        Filters: [...ten, { Name: 'instance-state', Values: ['STOPPED'] }],
      }),
      'InvalidFilterValue.LimitExceeded',
    );
    await expectTencentError(
      client.DescribeInstances({
        Filters: [{ Name: 'instance-state', Values: [...five, 'REBOOTING'] }],
      }),
      'InvalidFilterValue.LimitExceeded',
    );
  });

  it('refuses an unknown filter name with InvalidFilter', async () => {
    await expectTencentError(
      client.DescribeInstances({ Filters: [{ Name: 'os-name', Values: ['CentOS'] }] }),
      'InvalidFilter',
    );
  });

  it('reads Filters sent in the GET form, with arrays flattened into the query', async () => {
    // Prepare
    const getClient = cvmClient(emulator, { reqMethod: 'GET' });

    // Act
    const response = await getClient.DescribeInstances({
      Filters: [
        { Name: 'tag:rotation', Values: ['enabled'] },
        { Name: 'instance-state', Values: ['RUNNING', 'STOPPING'] },
      ],
      Limit: 100,
    });

    // Assess
    expect(response.TotalCount).toBe(10);
    expect(idsOf(response.InstanceSet)).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27, 30].map(gz));
  });
});

describe('Action: DescribeInstances — the instance it answers', () => {
  it('answers the fields a rotator reads', async () => {
    // Act
    const response = await client.DescribeInstances({ InstanceIds: [gz(3)] });
    const instance = response.InstanceSet?.[0];

    // Assess
    expect(instance).toMatchObject({
      InstanceId: gz(3),
      InstanceName: 'web-3',
      InstanceState: 'RUNNING',
      OsName: UBUNTU,
      ImageId: publicImageId(UBUNTU),
      Tags: [{ Key: 'rotation', Value: 'enabled' }],
      Placement: { Zone: 'ap-guangzhou-4', ProjectId: 0 },
      DefaultLoginUser: 'ubuntu',
      DefaultLoginPort: 22,
      StopChargingMode: 'NOT_APPLICABLE',
      CreatedTime: '2023-01-04T00:00:00Z',
      LatestOperation: null,
      LatestOperationState: null,
      LatestOperationRequestId: null,
      LatestOperationErrorMsg: null,
      RestrictState: 'NORMAL',
    });
    expect(instance?.InstanceType).toMatch(/^[A-Z0-9]+\.[A-Z0-9]+$/);
    expect(instance?.CPU).toBeGreaterThan(0);
    expect(instance?.Memory).toBeGreaterThan(0);
    expect(['PREPAID', 'POSTPAID_BY_HOUR']).toContain(instance?.InstanceChargeType);
    expect(instance?.Uuid).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  it('answers the default login user of each OS: Administrator, ubuntu, root', async () => {
    // Prepare
    const shanghai = cvmClient(emulator, { region: 'ap-shanghai' });

    // Act
    const windows = await shanghai.DescribeInstances({ InstanceIds: [sh(1)] });
    const linux = await client.DescribeInstances({ InstanceIds: [gz(1), gz(3)] });

    // Assess
    expect(windows.InstanceSet?.[0]?.DefaultLoginUser).toBe('Administrator');
    expect(linux.InstanceSet?.map((i) => i.DefaultLoginUser)).toEqual(['root', 'ubuntu']);
  });

  it('stopped instances show KEEP_CHARGING', async () => {
    const response = await client.DescribeInstances({ InstanceIds: [gz(1)] });
    expect(response.InstanceSet?.[0]?.StopChargingMode).toBe('KEEP_CHARGING');
  });

  it('never answers a password', async () => {
    // Act
    const response = await client.DescribeInstances({ Limit: 100 });

    // Assess
    expect(JSON.stringify(response).includes(FIXTURE_PASSWORD)).toBe(false);
  });

  it('answers an empty OsName when the instance has none, its image still telling the platform', async () => {
    // Prepare
    const shanghai = cvmClient(emulator, { region: 'ap-shanghai' });

    // Act
    const instance = (await shanghai.DescribeInstances({ InstanceIds: ['ins-noosname'] }))
      .InstanceSet?.[0];
    const image = (await shanghai.DescribeImages({ ImageIds: [instance?.ImageId ?? ''] }))
      .ImageSet?.[0];

    // Assess
    expect(instance?.OsName).toBe('');
    expect(image?.Platform).toBe('Windows');
  });

  it('answers InternalServerError, CVM’s internal error code, when a fault is injected', async () => {
    // Prepare
    emulator.state.faults = { errorRate: { DescribeInstances: 1 } };

    try {
      // Act + Assess
      await expectTencentError(client.DescribeInstances({}), 'InternalServerError');
    } finally {
      emulator.state.faults = {};
    }
  });
});

describe('Action: DescribeImages', () => {
  it('answers the images of ImageIds with platform, type, state and architecture', async () => {
    // Act
    const response = await client.DescribeImages({
      ImageIds: [publicImageId(CENTOS), publicImageId(WINDOWS)],
    });

    // Assess
    expect(response.TotalCount).toBe(2);
    expect(response.ImageSet).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          ImageId: publicImageId(CENTOS),
          OsName: CENTOS,
          Platform: 'CentOS',
          ImageType: 'PUBLIC_IMAGE',
          ImageState: 'NORMAL',
          Architecture: 'x86_64',
        }),
        expect.objectContaining({ ImageId: publicImageId(WINDOWS), Platform: 'Windows' }),
      ]),
    );
  });

  it('omits well-formed unknown image IDs and refuses malformed ones with InvalidImageId.Malformed', async () => {
    // Act
    const response = await client.DescribeImages({ ImageIds: ['img-zzzzzzzz'] });

    // Assess
    expect(response.TotalCount).toBe(0);
    await expectTencentError(
      client.DescribeImages({ ImageIds: ['img-1'] }),
      'InvalidImageId.Malformed',
    );
  });

  it('refuses more than 100 ImageIds with InvalidParameterValue.LimitExceeded', async () => {
    const ids = Array.from({ length: 101 }, (_, i) => `img-${String(i).padStart(8, '0')}`);
    await expectTencentError(
      client.DescribeImages({ ImageIds: ids }),
      'InvalidParameterValue.LimitExceeded',
    );
  });

  it('refuses ImageIds together with Filters with InvalidParameter.InvalidParameterCoexistImageIdsFilters', async () => {
    await expectTencentError(
      client.DescribeImages({
        ImageIds: [publicImageId(CENTOS)],
        Filters: [{ Name: 'platform', Values: ['CentOS'] }],
      }),
      'InvalidParameter.InvalidParameterCoexistImageIdsFilters',
    );
  });

  it('filters by platform, matching case-insensitively and in part', async () => {
    // Act
    const response = await client.DescribeImages({
      Filters: [{ Name: 'platform', Values: ['window'] }],
    });

    // Assess
    expect(response.TotalCount).toBeGreaterThanOrEqual(1);
    expect(response.ImageSet?.every((i) => i.Platform === 'Windows')).toBe(true);
  });

  it('filters by image-id', async () => {
    const response = await client.DescribeImages({
      Filters: [{ Name: 'image-id', Values: [publicImageId(UBUNTU)] }],
    });
    expect(response.ImageSet?.map((i) => i.OsName)).toEqual([UBUNTU]);
  });

  it('pages with Limit and Offset, TotalCount counting every image', async () => {
    // Act
    const all = await client.DescribeImages({ Limit: 100 });
    const page = await client.DescribeImages({ Offset: 2, Limit: 3 });

    // Assess
    expect(all.TotalCount).toBeGreaterThanOrEqual(10);
    expect(page.TotalCount).toBe(all.TotalCount);
    expect(page.ImageSet?.map((i) => i.ImageId)).toEqual(
      all.ImageSet?.slice(2, 5).map((i) => i.ImageId),
    );
  });

  it('refuses an out-of-range Limit and an unknown filter', async () => {
    await expectTencentError(
      client.DescribeImages({ Limit: 101 }),
      'InvalidParameterValue.InvalidParameterValueLimit',
    );
    await expectTencentError(
      client.DescribeImages({ Filters: [{ Name: 'os-name', Values: ['x'] }] }),
      'InvalidFilter',
    );
  });
});
