import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator';
import {
  DEMO_FLEET,
  describeFleet,
  type FleetSpec,
  generateFleet,
  loadFleet,
  summarizeFleet,
} from '../../src/emulator/cvm/fleet';
import { familyOf } from '../../src/emulator/cvm/images';
import { cvmClient } from '../helpers/sdk';

// Fleets: the seeded generator, the demo fleet's composition, and fleet files
// (facts/tencent-cloud-api.md §2.2–2.5 for the shapes of IDs, states and OS names).

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cvm-fleet-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function fleetFile(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const tagsOf = (seed: { Tags?: Array<{ Key: string; Value: string }> | Record<string, string> }) =>
  Array.isArray(seed.Tags)
    ? seed.Tags
    : Object.entries(seed.Tags ?? {}).map(([Key, Value]) => ({ Key, Value }));

describe('generateFleet', () => {
  const spec: FleetSpec = {
    count: 50,
    regions: { 'ap-guangzhou': 1, 'ap-beijing': 1 },
    os: { 'CentOS 7.9 64bit': 1, 'Windows Server 2022 DataCenter 64bit': 1 },
    states: { STOPPED: 3, RUNNING: 1 },
    untaggedFraction: 0.2,
    excludedFraction: 0.1,
    stopChargingFraction: 0.1,
    operatingFraction: 0.1,
    emptyOsNameFraction: 0.1,
  };

  it('makes the same fleet from the same seed', () => {
    expect(generateFleet(spec, 7)).toEqual(generateFleet(spec, 7));
  });

  it('makes another fleet from another seed, of the same composition', () => {
    // Act
    const a = generateFleet(spec, 7);
    const b = generateFleet(spec, 8);

    // Assess
    expect(a.map((s) => s.InstanceId)).not.toEqual(b.map((s) => s.InstanceId));
    expect(summarizeFleet(a).byRegion).toEqual(summarizeFleet(b).byRegion);
    expect(summarizeFleet(a).byState).toEqual(summarizeFleet(b).byState);
  });

  it('allots the fractions exactly', () => {
    // Act
    const summary = summarizeFleet(generateFleet(spec, 1));

    // Assess
    expect(summary).toMatchObject({
      total: 50,
      byRegion: { 'ap-beijing': 25, 'ap-guangzhou': 25 },
      byFamily: { linux: 25, windows: 25 },
      untagged: 10,
      stopCharging: 5,
      operating: 5,
      emptyOsName: 5,
    });
    expect(summary.byTag['rotation-exclude=true']).toBe(5);
    expect(summary.byTag['rotation=enabled']).toBe(40);
    expect(summary.byState).toEqual({ RUNNING: 11, STOPPED: 39 });
  });

  it('gives well-formed, unique instance and image IDs', () => {
    // Act
    const fleet = generateFleet({ ...spec, count: 2000 }, 3);

    // Assess
    const ids = fleet.map((s) => s.InstanceId ?? '');
    expect(new Set(ids).size).toBe(2000);
    expect(ids.every((id) => /^ins-[a-z0-9]{8}$/.test(id))).toBe(true);
    expect(fleet.every((s) => /^img-[a-z0-9]{8}$/.test(s.ImageId ?? ''))).toBe(true);
  });

  it('refuses fractions that add up to more than the fleet', () => {
    expect(() =>
      generateFleet({ count: 10, untaggedFraction: 0.7, otherTagsFraction: 0.5 }, 1),
    ).toThrow(/exceed/);
  });
});

describe('The demo fleet', () => {
  const demo = generateFleet(DEMO_FLEET, 1);
  const summary = summarizeFleet(demo);

  it('has 320 instances over Guangzhou and Shanghai', () => {
    expect(summary.total).toBe(320);
    expect(Object.keys(summary.byRegion)).toEqual(['ap-guangzhou', 'ap-shanghai']);
  });

  it('tags about 90 % rotation=enabled, 5 % of the fleet also rotation-exclude=true', () => {
    expect(summary.byTag['rotation=enabled']).toBe(288);
    expect(summary.byTag['rotation-exclude=true']).toBe(16);
    const excluded = demo.filter((s) => tagsOf(s).some((t) => t.Key === 'rotation-exclude'));
    expect(
      excluded.every((s) => tagsOf(s).some((t) => t.Key === 'rotation' && t.Value === 'enabled')),
    ).toBe(true);
    expect(summary.untagged).toBeGreaterThan(0);
    expect(summary.byTag['rotation=disabled']).toBeGreaterThan(0);
  });

  it('mixes CentOS, Ubuntu, Debian, TencentOS and Windows under realistic OS names', () => {
    const names = Object.keys(summary.byOs);
    for (const name of [
      'CentOS 7.9 64bit',
      'Ubuntu Server 22.04 LTS 64bit',
      'Debian 12.0 64bit',
      'TencentOS Server 3.1 (TK4)',
      'Windows Server 2022 DataCenter 64bit',
    ]) {
      expect(names).toContain(name);
    }
    expect(summary.byFamily.windows).toBeGreaterThan(30);
  });

  it('is mostly STOPPED and RUNNING, with a few instances a rotator must skip', () => {
    const { byState } = summary;
    expect((byState.STOPPED ?? 0) + (byState.RUNNING ?? 0)).toBeGreaterThan(290);
    for (const state of ['PENDING', 'REBOOTING', 'SHUTDOWN'])
      expect(byState[state]).toBeGreaterThan(0);
    expect(summary.stopCharging).toBeGreaterThan(0);
    expect(
      demo
        .filter((s) => s.StopChargingMode === 'STOP_CHARGING')
        .every((s) => s.InstanceState === 'STOPPED'),
    ).toBe(true);
    expect(
      demo.filter(
        (s) =>
          s.LatestOperationState === 'OPERATING' &&
          (s.InstanceState === 'RUNNING' || s.InstanceState === 'STOPPED'),
      ).length,
    ).toBe(10);
  });

  it('has instances with an empty OsName whose image tells the OS', () => {
    const empty = demo.filter((s) => s.OsName === '');
    expect(empty.length).toBe(10);
    expect(empty.every((s) => s.ImageOsName !== undefined && s.ImageId !== undefined)).toBe(true);
  });

  it('is served by the emulator in both regions, every instance with its default user', async () => {
    // Prepare
    const emulator = await startEmulator({ fleet: 'demo', rateLimits: false });
    try {
      // Act
      const totals: number[] = [];
      for (const region of ['ap-guangzhou', 'ap-shanghai']) {
        const response = await cvmClient(emulator, { region }).DescribeInstances({ Limit: 1 });
        totals.push(response.TotalCount ?? 0);
      }

      // Assess
      expect(totals.reduce((a, b) => a + b, 0)).toBe(320);
      for (const record of emulator.state.cvm.instances()) {
        const family = record.OsName !== '' ? familyOf(record.OsName) : undefined;
        if (family === 'windows') expect(record.DefaultLoginUser).toBe('Administrator');
        if (/ubuntu/i.test(record.OsName)) expect(record.DefaultLoginUser).toBe('ubuntu');
      }
      expect(summarizeFleet(emulator.state.cvm)).toEqual(summary);
    } finally {
      await emulator.close();
    }
  });

  it('is described in numbers for the standalone emulator', () => {
    // Act
    const text = describeFleet(demo);

    // Assess
    expect(text).toMatch(/^320 instances/);
    expect(text).toContain('ap-guangzhou 192');
    expect(text).toContain('rotation=enabled 288');
  });
});

describe('loadFleet', () => {
  const instance = {
    InstanceId: 'ins-file0001',
    region: 'ap-guangzhou',
    OsName: 'Debian 12.0 64bit',
  };

  it('loads nothing for none and the demo fleet for demo', async () => {
    expect(await loadFleet('none', 1)).toEqual([]);
    expect(await loadFleet('demo', 1)).toHaveLength(320);
  });

  it('loads {"instances":[…]} with tags as a list or as an object', async () => {
    // Prepare
    const path = await fleetFile('instances.json', {
      instances: [
        { ...instance, Tags: [{ Key: 'rotation', Value: 'enabled' }] },
        {
          ...instance,
          InstanceId: 'ins-file0002',
          Tags: { rotation: 'enabled' },
          InstanceState: 'RUNNING',
        },
      ],
    });

    // Act
    const fleet = await loadFleet(path, 1);

    // Assess
    expect(fleet.map((s) => s.InstanceId)).toEqual(['ins-file0001', 'ins-file0002']);
    expect(fleet.map((s) => tagsOf(s))).toEqual([
      [{ Key: 'rotation', Value: 'enabled' }],
      [{ Key: 'rotation', Value: 'enabled' }],
    ]);
  });

  it('loads a bare array of instances', async () => {
    const path = await fleetFile('array.json', [instance]);
    expect(await loadFleet(path, 1)).toEqual([instance]);
  });

  it('generates from {"generate":{…}}, with the file’s seed when it gives one', async () => {
    // Prepare
    const spec = { count: 12, states: { RUNNING: 1 } };
    const withSeed = await fleetFile('generate-seeded.json', { generate: spec, seed: 42 });
    const withoutSeed = await fleetFile('generate.json', { generate: spec });

    // Act + Assess
    expect(await loadFleet(withSeed, 1)).toEqual(generateFleet(spec, 42));
    expect(await loadFleet(withoutSeed, 5)).toEqual(generateFleet(spec, 5));
  });

  it('names the file and the problem when the file is missing', async () => {
    const path = join(dir, 'missing.json');
    await expect(loadFleet(path, 1)).rejects.toThrow(`fleet file ${path}: cannot be read (ENOENT)`);
  });

  it('names the file and the problem when the JSON is broken', async () => {
    const path = await fleetFile('broken.json', '{"instances": [');
    await expect(loadFleet(path, 1)).rejects.toThrow(
      new RegExp(`fleet file ${path}: not valid JSON`),
    );
  });

  it('names the file and the field when an instance lacks its region', async () => {
    const path = await fleetFile('no-region.json', {
      instances: [{ InstanceId: 'ins-file0001', OsName: 'x' }],
    });
    await expect(loadFleet(path, 1)).rejects.toThrow(/no-region\.json[\s\S]*region/);
  });

  it('names the file and the field for an unknown field or state', async () => {
    const typo = await fleetFile('typo.json', [{ ...instance, Instanceid: 'ins-file0009' }]);
    const state = await fleetFile('state.json', [{ ...instance, InstanceState: 'ASLEEP' }]);
    await expect(loadFleet(typo, 1)).rejects.toThrow(/typo\.json[\s\S]*Instanceid/);
    await expect(loadFleet(state, 1)).rejects.toThrow(/state\.json[\s\S]*InstanceState/);
  });

  it('names the file and the instance for a malformed or repeated instance ID', async () => {
    const malformed = await fleetFile('malformed.json', [{ ...instance, InstanceId: 'ins-1122' }]);
    const repeated = await fleetFile('repeated.json', [instance, instance]);
    await expect(loadFleet(malformed, 1)).rejects.toThrow(
      /malformed\.json: instances\[0\].*ins- followed by 8/,
    );
    await expect(loadFleet(repeated, 1)).rejects.toThrow(
      /repeated\.json: instances\[1\].*already exists/,
    );
  });

  it('names the file when an empty OsName leaves the OS unknown', async () => {
    const path = await fleetFile('no-os.json', [{ ...instance, OsName: '' }]);
    await expect(loadFleet(path, 1)).rejects.toThrow(
      /no-os\.json: instances\[0\].*OsName is empty/,
    );
  });

  it('names the file for a generator spec out of range', async () => {
    const path = await fleetFile('bad-spec.json', { generate: { count: 10, untaggedFraction: 2 } });
    await expect(loadFleet(path, 1)).rejects.toThrow(/bad-spec\.json[\s\S]*untaggedFraction/);
  });
});

describe('A large fleet', () => {
  it('serves 10,000 instances from a modest heap and pages a filtered region quickly', async () => {
    // Prepare
    const before = process.memoryUsage().heapUsed;
    const emulator = await startEmulator({
      fleet: { ...DEMO_FLEET, count: 10_000 },
      rateLimits: false,
    });
    try {
      const client = cvmClient(emulator);

      // Act
      const started = performance.now();
      const response = await client.DescribeInstances({
        Filters: [{ Name: 'tag:rotation', Values: ['enabled'] }],
        Offset: 5000,
        Limit: 100,
      });
      const elapsed = performance.now() - started;
      const grown = process.memoryUsage().heapUsed - before;

      // Assess
      expect(response.InstanceSet).toHaveLength(100);
      expect(elapsed).toBeLessThan(500);
      expect(grown).toBeLessThan(200 * 1024 * 1024);
    } finally {
      await emulator.close();
    }
  });
});
