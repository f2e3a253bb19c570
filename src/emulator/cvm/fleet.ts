import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { createRandom, type Random } from '../random';
import { familyOf, publicImageId } from './images';
import type { CvmState, InstanceSeed, InstanceStateName, OperationState, Tag } from './model';
import type { OsFamily } from './passwordRules';
import { CvmStore } from './store';

/** Where a fleet comes from: nothing, the demo, a JSON file path, a generator spec or a list. */
export type FleetInput = 'none' | 'demo' | string | FleetSpec | InstanceSeed[];

/**
 * A generator spec. Weights need not add up to 1; fractions are of the whole fleet and are
 * allotted exactly (rounded), not drawn, so a spec always yields the same composition.
 */
export interface FleetSpec {
  count: number;
  /** Region → weight. Default `{ 'ap-guangzhou': 1 }`. */
  regions?: Record<string, number>;
  /** Region → its zones; the known regions have realistic defaults. */
  zones?: Record<string, string[]>;
  /** OsName → weight. Default: an even mix of the built-in public images. */
  os?: Record<string, number>;
  /** InstanceState → weight, for the instances not taken by `stopChargingFraction`. Default all STOPPED. */
  states?: Partial<Record<InstanceStateName, number>>;
  /** The tag that opts an instance into rotation. Default `rotation=enabled`. */
  rotationTag?: Tag;
  /** Tag key → possible values; every tagged instance carries one value of each. */
  extraTags?: Record<string, string[]>;
  /** Instances with no tag at all. */
  untaggedFraction?: number;
  /** Instances with tags but without the rotation tag (half of them `<rotation key>=disabled`). */
  otherTagsFraction?: number;
  /** Rotation-tagged instances that also carry `rotation-exclude=true`. */
  excludedFraction?: number;
  /** Instances STOPPED with StopChargingMode STOP_CHARGING (they cannot be reset). */
  stopChargingFraction?: number;
  /** RUNNING or STOPPED instances with some other operation in progress (OPERATING forever). */
  operatingFraction?: number;
  /** Instances whose OsName is empty, so a client must ask DescribeImages for the platform. */
  emptyOsNameFraction?: number;
  /** ISO 8601 creation time of the oldest instance. Default `2022-01-01T00:00:00Z`. */
  createdFrom?: string;
}

export const INSTANCE_STATES: readonly InstanceStateName[] = [
  'PENDING',
  'LAUNCH_FAILED',
  'RUNNING',
  'STOPPED',
  'STARTING',
  'STOPPING',
  'REBOOTING',
  'SHUTDOWN',
  'TERMINATING',
  'ENTER_RESCUE_MODE',
  'RESCUE_MODE',
  'EXIT_RESCUE_MODE',
  'ENTER_SERVICE_LIVE_MIGRATE',
  'SERVICE_LIVE_MIGRATE',
  'EXIT_SERVICE_LIVE_MIGRATE',
];

export const ROTATION_EXCLUDE_TAG: Tag = { Key: 'rotation-exclude', Value: 'true' };

/**
 * The demo fleet: 320 instances over Guangzhou and Shanghai; 90 % tagged `rotation=enabled`
 * (5 % of the fleet also `rotation-exclude=true`), the rest untagged or otherwise tagged; a
 * realistic OS mix; mostly STOPPED and RUNNING, plus the awkward cases a rotator must skip.
 */
export const DEMO_FLEET: FleetSpec = {
  count: 320,
  regions: { 'ap-guangzhou': 0.6, 'ap-shanghai': 0.4 },
  os: {
    'CentOS 7.9 64bit': 0.2,
    'CentOS 7.6 64bit': 0.05,
    'Ubuntu Server 22.04 LTS 64bit': 0.2,
    'Ubuntu Server 20.04 LTS 64bit': 0.05,
    'Debian 12.0 64bit': 0.1,
    'TencentOS Server 3.1 (TK4)': 0.15,
    'TencentOS Server 2.4': 0.05,
    'Windows Server 2022 DataCenter 64bit': 0.12,
    'Windows Server 2019 DataCenter 64bit': 0.08,
  },
  states: {
    STOPPED: 0.5,
    RUNNING: 0.42,
    PENDING: 0.02,
    REBOOTING: 0.02,
    SHUTDOWN: 0.02,
    STARTING: 0.01,
    STOPPING: 0.01,
  },
  rotationTag: { Key: 'rotation', Value: 'enabled' },
  extraTags: { env: ['prod', 'staging', 'dev'], team: ['payments', 'data', 'platform', 'web'] },
  untaggedFraction: 0.06,
  otherTagsFraction: 0.04,
  excludedFraction: 0.05,
  stopChargingFraction: 0.03,
  operatingFraction: 0.03,
  emptyOsNameFraction: 0.03,
  createdFrom: '2022-01-01T00:00:00Z',
};

const DEFAULT_ZONES: Record<string, string[]> = {
  'ap-guangzhou': ['ap-guangzhou-3', 'ap-guangzhou-4', 'ap-guangzhou-6', 'ap-guangzhou-7'],
  'ap-shanghai': ['ap-shanghai-2', 'ap-shanghai-4', 'ap-shanghai-5', 'ap-shanghai-8'],
  'ap-beijing': ['ap-beijing-3', 'ap-beijing-5', 'ap-beijing-6', 'ap-beijing-7'],
  'ap-chengdu': ['ap-chengdu-1', 'ap-chengdu-2'],
  'ap-nanjing': ['ap-nanjing-1', 'ap-nanjing-2', 'ap-nanjing-3'],
};

const REGION_SHORT: Record<string, string> = {
  'ap-guangzhou': 'gz',
  'ap-shanghai': 'sh',
  'ap-beijing': 'bj',
  'ap-chengdu': 'cd',
  'ap-nanjing': 'nj',
};

/** The OS mix of a spec that names none: one of each family the rotator must handle. */
const PUBLIC_OS_DEFAULT = [
  'CentOS 7.9 64bit',
  'Ubuntu Server 22.04 LTS 64bit',
  'Debian 12.0 64bit',
  'TencentOS Server 3.1 (TK4)',
  'Windows Server 2022 DataCenter 64bit',
];

const LINUX_ROLES = ['web', 'api', 'db', 'cache', 'worker', 'batch', 'bastion', 'ci'];
const WINDOWS_ROLES = ['win-app', 'win-ad', 'sqlserver', 'iis'];

/** Largest-remainder allotment of `n` slots by weight, shuffled: exact counts, seeded order. */
function allot<T>(weights: ReadonlyArray<readonly [T, number]>, n: number, random: Random): T[] {
  const positive = weights.filter(([, w]) => w > 0);
  const sum = positive.reduce((acc, [, w]) => acc + w, 0);
  if (positive.length === 0 || sum <= 0) throw new Error('a weight table needs a positive weight');
  const shares = positive.map(([value, w]) => {
    const exact = (w / sum) * n;
    return { value, count: Math.floor(exact), remainder: exact - Math.floor(exact) };
  });
  let left = n - shares.reduce((acc, s) => acc + s.count, 0);
  for (const share of [...shares].sort((a, b) => b.remainder - a.remainder)) {
    if (left <= 0) break;
    share.count++;
    left--;
  }
  const out: T[] = [];
  for (const share of shares) for (let i = 0; i < share.count; i++) out.push(share.value);
  return shuffle(out, random);
}

function shuffle<T>(items: T[], random: Random): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    const a = items[i] as T;
    items[i] = items[j] as T;
    items[j] = a;
  }
  return items;
}

function fraction(value: number | undefined, n: number): number {
  return Math.round((value ?? 0) * n);
}

function randomId(prefix: string, random: Random, taken: Set<string>): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  for (;;) {
    let id = `${prefix}-`;
    for (let i = 0; i < 8; i++) id += alphabet[random.int(0, alphabet.length - 1)];
    if (!taken.has(id)) {
      taken.add(id);
      return id;
    }
  }
}

function randomUuid(random: Random): string {
  let hex = '';
  for (let i = 0; i < 32; i++) hex += random.int(0, 15).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** The operation a transitional state is in the middle of (real instances show it OPERATING). */
const TRANSITION_OPERATION: Partial<Record<InstanceStateName, string>> = {
  PENDING: 'RunInstances',
  STARTING: 'StartInstances',
  STOPPING: 'StopInstances',
  REBOOTING: 'RebootInstances',
  TERMINATING: 'TerminateInstances',
};

type TagKind = 'enabled' | 'excluded' | 'other' | 'untagged';

/** A deterministic fleet from a spec and a seed. */
export function generateFleet(spec: FleetSpec, seed: number): InstanceSeed[] {
  const parsed = fleetSpecSchema.safeParse(spec);
  if (!parsed.success) throw new Error(`invalid fleet spec: ${z.prettifyError(parsed.error)}`);
  const random = createRandom(seed);
  const n = spec.count;
  const regions = allot(Object.entries(spec.regions ?? { 'ap-guangzhou': 1 }), n, random);
  const osWeights = spec.os ?? Object.fromEntries(PUBLIC_OS_DEFAULT.map((name) => [name, 1]));
  const osNames = allot(Object.entries(osWeights), n, random);

  const stopCharging = fraction(spec.stopChargingFraction, n);
  if (stopCharging > n) throw new Error('invalid fleet spec: stopChargingFraction exceeds 1');
  const states: Array<InstanceStateName | 'STOP_CHARGING'> = [
    ...Array<'STOP_CHARGING'>(stopCharging).fill('STOP_CHARGING'),
    ...allot(
      Object.entries(spec.states ?? { STOPPED: 1 }) as Array<[InstanceStateName, number]>,
      n - stopCharging,
      random,
    ),
  ];
  shuffle(states, random);

  const untagged = fraction(spec.untaggedFraction, n);
  const other = fraction(spec.otherTagsFraction, n);
  const excluded = fraction(spec.excludedFraction, n);
  if (untagged + other + excluded > n) {
    throw new Error('invalid fleet spec: untagged + otherTags + excluded fractions exceed 1');
  }
  const tagKinds = shuffle<TagKind>(
    [
      ...Array<TagKind>(untagged).fill('untagged'),
      ...Array<TagKind>(other).fill('other'),
      ...Array<TagKind>(excluded).fill('excluded'),
      ...Array<TagKind>(n - untagged - other - excluded).fill('enabled'),
    ],
    random,
  );

  // Only instances that could otherwise be reset are given an unrelated operation in progress,
  // so the fraction measures exactly the instances a client must skip for that reason.
  const candidates = shuffle(
    states.flatMap((s, i) => (s === 'RUNNING' || s === 'STOPPED' ? [i] : [])),
    random,
  );
  const operating = new Set(candidates.slice(0, fraction(spec.operatingFraction, n)));
  const emptyOs = new Set(
    shuffle([...Array(n).keys()], random).slice(0, fraction(spec.emptyOsNameFraction, n)),
  );

  const rotationTag = spec.rotationTag ?? { Key: 'rotation', Value: 'enabled' };
  const extraTags = Object.entries(spec.extraTags ?? {});
  const ids = new Set<string>();
  let created = Date.parse(spec.createdFrom ?? '2022-01-01T00:00:00Z');
  let others = 0;
  const out: InstanceSeed[] = [];
  for (let i = 0; i < n; i++) {
    const region = regions[i] as string;
    const osName = osNames[i] as string;
    const drawn = states[i] as InstanceStateName | 'STOP_CHARGING';
    const state: InstanceStateName = drawn === 'STOP_CHARGING' ? 'STOPPED' : drawn;
    const windows = familyOf(osName) === 'windows';
    const zones = spec.zones?.[region] ?? DEFAULT_ZONES[region] ?? [`${region}-1`, `${region}-2`];
    const role = random.pick(windows ? WINDOWS_ROLES : LINUX_ROLES);
    const short = REGION_SHORT[region] ?? region.split('-').pop() ?? region;

    const tags: Tag[] = [];
    const kind = tagKinds[i] as TagKind;
    if (kind === 'enabled' || kind === 'excluded') tags.push({ ...rotationTag });
    if (kind === 'excluded') tags.push({ ...ROTATION_EXCLUDE_TAG });
    if (kind === 'other' && others++ % 2 === 0)
      tags.push({ Key: rotationTag.Key, Value: 'disabled' });
    if (kind !== 'untagged') {
      for (const [key, values] of extraTags) tags.push({ Key: key, Value: random.pick(values) });
    }

    let latestOperation: string | null = null;
    let latestState: OperationState | null = null;
    if (operating.has(i)) {
      latestOperation = state === 'RUNNING' ? 'ResizeInstanceDisks' : 'ResetInstancesType';
      latestState = 'OPERATING';
    } else if (TRANSITION_OPERATION[state]) {
      latestOperation = TRANSITION_OPERATION[state] ?? null;
      latestState = 'OPERATING';
    } else if (state === 'RUNNING' || state === 'STOPPED') {
      latestOperation = state === 'RUNNING' ? 'StartInstances' : 'StopInstances';
      latestState = 'SUCCESS';
    }

    created += random.int(1, 72) * 3_600_000 + random.int(0, 3_599) * 1_000;
    const seedOut: InstanceSeed = {
      InstanceId: randomId('ins', random, ids),
      InstanceName: `${role}-${short}-${String(i + 1).padStart(3, '0')}`,
      region,
      Zone: random.pick(zones),
      InstanceState: state,
      OsName: emptyOs.has(i) ? '' : osName,
      ImageId: publicImageId(osName),
      Tags: tags,
      StopChargingMode:
        drawn === 'STOP_CHARGING'
          ? 'STOP_CHARGING'
          : state === 'STOPPED'
            ? 'KEEP_CHARGING'
            : 'NOT_APPLICABLE',
      LatestOperation: latestOperation,
      LatestOperationState: latestState,
      LatestOperationRequestId: latestOperation ? randomUuid(random) : null,
      LatestOperationErrorMsg: latestOperation ? '' : null,
      CreatedTime: `${new Date(created).toISOString().slice(0, 19)}Z`,
    };
    if (emptyOs.has(i)) seedOut.ImageOsName = osName;
    out.push(seedOut);
  }
  return out;
}

// ---- validation of fleet files and specs ----------------------------------------------------

const fractionSchema = z.number().min(0).max(1);
const weightsSchema = z.record(z.string().min(1), z.number().min(0));
const tagSchema = z.object({ Key: z.string().min(1), Value: z.string() }).strict();
const stateSchema = z.enum(INSTANCE_STATES as [InstanceStateName, ...InstanceStateName[]]);
const operationStateSchema = z.enum(['SUCCESS', 'OPERATING', 'FAILED']);

const fleetSpecSchema = z
  .object({
    count: z.number().int().min(0).max(1_000_000),
    regions: weightsSchema.optional(),
    zones: z.record(z.string(), z.array(z.string().min(1)).min(1)).optional(),
    os: weightsSchema.optional(),
    states: z.partialRecord(stateSchema, z.number().min(0)).optional(),
    rotationTag: tagSchema.optional(),
    extraTags: z.record(z.string().min(1), z.array(z.string()).min(1)).optional(),
    untaggedFraction: fractionSchema.optional(),
    otherTagsFraction: fractionSchema.optional(),
    excludedFraction: fractionSchema.optional(),
    stopChargingFraction: fractionSchema.optional(),
    operatingFraction: fractionSchema.optional(),
    emptyOsNameFraction: fractionSchema.optional(),
    createdFrom: z.iso.datetime().optional(),
  })
  .strict();

const instanceSeedSchema = z
  .object({
    InstanceId: z.string().optional(),
    InstanceName: z.string().optional(),
    region: z.string(),
    Zone: z.string().optional(),
    InstanceState: stateSchema.optional(),
    OsName: z.string(),
    ImageId: z.string().optional(),
    Tags: z.union([z.array(tagSchema), z.record(z.string().min(1), z.string())]).optional(),
    StopChargingMode: z.enum(['KEEP_CHARGING', 'STOP_CHARGING', 'NOT_APPLICABLE']).optional(),
    password: z.string().optional(),
    LatestOperation: z.string().nullable().optional(),
    LatestOperationState: operationStateSchema.nullable().optional(),
    LatestOperationRequestId: z.string().nullable().optional(),
    LatestOperationErrorMsg: z.string().nullable().optional(),
    ImageOsName: z.string().optional(),
    CreatedTime: z.iso.datetime().optional(),
  })
  .strict();

const instancesFileSchema = z.object({ instances: z.array(instanceSeedSchema) }).strict();
const generateFileSchema = z
  .object({ generate: fleetSpecSchema, seed: z.number().int().optional() })
  .strict();

/**
 * Picks the schema by the file's shape first, so that a mistake is reported against the shape the
 * author meant (a union would only say that nothing matched).
 */
function parseFleetFile(
  json: unknown,
): InstanceSeed[] | { generate: FleetSpec; seed?: number | undefined } {
  const fail = (error: z.ZodError): never => {
    throw new Error(z.prettifyError(error));
  };
  if (Array.isArray(json)) {
    const parsed = z.array(instanceSeedSchema).safeParse(json);
    return parsed.success ? parsed.data : fail(parsed.error);
  }
  if (typeof json === 'object' && json !== null && 'instances' in json) {
    const parsed = instancesFileSchema.safeParse(json);
    return parsed.success ? parsed.data.instances : fail(parsed.error);
  }
  if (typeof json === 'object' && json !== null && 'generate' in json) {
    const parsed = generateFileSchema.safeParse(json);
    return parsed.success ? parsed.data : fail(parsed.error);
  }
  throw new Error('expected {"instances":[…]}, {"generate":{…}} or an array of instances');
}

/**
 * Adds every seed to a scratch store, so a fleet file is rejected at load time, with its name,
 * for anything the emulator would refuse later (bad or duplicate IDs, unknown images…).
 */
function checkSeeds(seeds: readonly InstanceSeed[]): void {
  const scratch = new CvmStore({
    clock: { now: () => 0, schedule: () => {}, timeScale: 1, cancelAll: () => {} },
    random: createRandom(0),
    faults: () => ({}),
    resetTiming: { stopped: [0, 0], running: [0, 0], restartAfterForceStop: true },
  });
  seeds.forEach((seed, index) => {
    try {
      scratch.addInstance(seed);
    } catch (error) {
      throw new Error(
        `instances[${index}]: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  });
}

async function loadFleetFile(path: string, seed: number): Promise<InstanceSeed[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new Error(
      `fleet file ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `fleet file ${path}: not valid JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  try {
    const data = parseFleetFile(json);
    if (Array.isArray(data)) {
      checkSeeds(data);
      return data;
    }
    return generateFleet(data.generate, data.seed ?? seed);
  } catch (error) {
    throw new Error(
      `fleet file ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Resolves any FleetInput to a list of instances; a file is validated, with its name in errors. */
export async function loadFleet(input: FleetInput, seed: number): Promise<InstanceSeed[]> {
  if (input === 'none') return [];
  if (input === 'demo') return generateFleet(DEMO_FLEET, seed);
  if (typeof input === 'string') return loadFleetFile(input, seed);
  if (Array.isArray(input)) {
    checkSeeds(input);
    return input;
  }
  return generateFleet(input, seed);
}

// ---- describing a fleet ---------------------------------------------------------------------

export interface FleetSummary {
  total: number;
  byRegion: Record<string, number>;
  byOs: Record<string, number>;
  /** linux / windows, counting an empty OsName by its image's OS. */
  byFamily: Record<string, number>;
  byState: Record<string, number>;
  /** `key=value` → instances carrying it. */
  byTag: Record<string, number>;
  untagged: number;
  stopCharging: number;
  /** LatestOperationState OPERATING, whatever the operation (transitional states included). */
  operating: number;
  emptyOsName: number;
}

/** What a summary reads: the fields seeds and live records share. */
type Member = Pick<
  InstanceSeed,
  'region' | 'OsName' | 'InstanceState' | 'Tags' | 'StopChargingMode' | 'LatestOperationState'
>;

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function sorted(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** The fleet in numbers: of seeds (before start) or of a running emulator's live instances. */
export function summarizeFleet(source: readonly InstanceSeed[] | CvmState): FleetSummary {
  const members: Array<[Member, OsFamily]> = Array.isArray(source)
    ? source.map((seed) => [
        seed,
        familyOf(seed.OsName !== '' ? seed.OsName : (seed.ImageOsName ?? '')),
      ])
    : (source as CvmState)
        .instances()
        .map((record) => [
          record,
          source instanceof CvmStore
            ? source.osFamily(record)
            : record.DefaultLoginUser === 'Administrator'
              ? 'windows'
              : 'linux',
        ]);
  const summary: FleetSummary = {
    total: members.length,
    byRegion: {},
    byOs: {},
    byFamily: {},
    byState: {},
    byTag: {},
    untagged: 0,
    stopCharging: 0,
    operating: 0,
    emptyOsName: 0,
  };
  for (const [member, family] of members) {
    bump(summary.byRegion, member.region);
    bump(summary.byOs, member.OsName === '' ? '(empty OsName)' : member.OsName);
    bump(summary.byFamily, family);
    bump(summary.byState, member.InstanceState ?? 'STOPPED');
    const tags: Tag[] = Array.isArray(member.Tags)
      ? member.Tags
      : Object.entries(member.Tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
    if (tags.length === 0) summary.untagged++;
    for (const tag of tags) bump(summary.byTag, `${tag.Key}=${tag.Value}`);
    if (member.StopChargingMode === 'STOP_CHARGING') summary.stopCharging++;
    if (member.LatestOperationState === 'OPERATING') summary.operating++;
    if (member.OsName === '') summary.emptyOsName++;
  }
  summary.byRegion = sorted(summary.byRegion);
  summary.byOs = sorted(summary.byOs);
  summary.byFamily = sorted(summary.byFamily);
  summary.byState = sorted(summary.byState);
  summary.byTag = sorted(summary.byTag);
  return summary;
}

/** A few human-readable lines (never a password). */
export function formatFleetSummary(summary: FleetSummary): string {
  const list = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([key, n]) => `${key} ${n}`)
      .join(', ') || 'none';
  return [
    `${summary.total} instances`,
    `  regions: ${list(summary.byRegion)}`,
    `  OS: ${list(summary.byFamily)} (${list(summary.byOs)})`,
    `  states: ${list(summary.byState)}`,
    `  tags: ${list(summary.byTag)}; untagged ${summary.untagged}`,
    `  STOP_CHARGING ${summary.stopCharging}; an operation in progress ${summary.operating}; empty OsName ${summary.emptyOsName}`,
  ].join('\n');
}

/** The fleet described in numbers, as the standalone emulator prints it. */
export function describeFleet(source: readonly InstanceSeed[] | CvmState): string {
  return formatFleetSummary(summarizeFleet(source));
}
