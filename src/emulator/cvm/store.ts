import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Clock } from '../clock';
import { ApiError } from '../errors';
import type { Random } from '../random';
import type { FaultOptions, ResetTiming } from '../types';
import { type CvmImage, defaultUserOf, familyOf, ImageCatalog, stableSuffix } from './images';
import type {
  CvmState,
  InstanceRecord,
  InstanceSeed,
  InstanceStateName,
  StopChargingMode,
  Tag,
} from './model';
import type { OsFamily } from './passwordRules';

export const INSTANCE_ID_PATTERN = /^ins-[a-z0-9]{8}$/;

/** DescribeInstances and ResetInstancesPassword both take at most 100 InstanceIds (facts §1.1, §2.1). */
export const MAX_IDS = 100;

/**
 * The checks both actions make on `InstanceIds`, in the same order and with the same codes:
 * more than 100 → `InvalidParameterValue.LimitExceeded`; a malformed one →
 * `InvalidInstanceId.Malformed` (facts §2.5: `^ins-[a-z0-9]{8}$`).
 */
export function checkInstanceIds(instanceIds: readonly string[]): void {
  if (instanceIds.length > MAX_IDS) {
    throw new ApiError(
      'InvalidParameterValue.LimitExceeded',
      `At most ${MAX_IDS} InstanceIds are allowed per request, got ${instanceIds.length}.`,
    );
  }
  for (const id of instanceIds) {
    if (!INSTANCE_ID_PATTERN.test(id)) {
      throw new ApiError(
        'InvalidInstanceId.Malformed',
        `The instance ID \`${id}\` is malformed; expected ins-xxxxxxxx.`,
      );
    }
  }
}

/** The record plus the plausible, never-changing fields DescribeInstances also answers. */
export interface CvmInstance extends InstanceRecord {
  InstanceType: string;
  CPU: number;
  Memory: number;
  InstanceChargeType: 'PREPAID' | 'POSTPAID_BY_HOUR';
  ProjectId: number;
  Uuid: string;
  PrivateIpAddress: string;
  VpcId: string;
  SubnetId: string;
  /** Order of creation: the stable order of every listing. */
  seq: number;
}

const INSTANCE_TYPES: ReadonlyArray<readonly [string, number, number]> = [
  ['S5.MEDIUM4', 2, 4],
  ['S5.LARGE8', 4, 8],
  ['S5.LARGE16', 4, 16],
  ['SA3.MEDIUM4', 2, 4],
  ['SA3.LARGE8', 4, 8],
  ['S6.2XLARGE16', 8, 16],
];

/** Byte `i` of a hash of the instance ID: the plausible fields are stable per instance. */
function hashBytes(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function uuidFrom(bytes: Buffer): string {
  const hex = bytes.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

function normalizeTags(tags: InstanceSeed['Tags']): Tag[] {
  if (tags === undefined) return [];
  if (Array.isArray(tags)) return tags.map((t) => ({ Key: t.Key, Value: t.Value }));
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** A random admin password for instances whose seed names none. Never used for anything real. */
function initialPassword(): string {
  return `Init-${randomBytes(6).toString('hex')}A`;
}

/** Transitions of the asynchronous work, each a fraction of the total emulated duration. */
const FORCE_STOP_PHASES = { stopped: 0.3, written: 0.45, starting: 0.6 } as const;

export interface StoreDeps {
  clock: Clock;
  random: Random;
  faults: () => FaultOptions;
  resetTiming: ResetTiming;
}

export interface ResetRequest {
  readonly password: string;
  /** Explicit `UserName`, or undefined for each instance's default user. */
  readonly userName: string | undefined;
  readonly requestId: string;
}

/**
 * The emulated CVM fleet: instances indexed by ID and by region (a Map per region keeps the order
 * of addition, which is the stable order DescribeInstances pages through), the image catalogue,
 * and the asynchronous operations (resets, external start/stop/reboot) running on the clock.
 */
export class CvmStore implements CvmState {
  readonly images = new ImageCatalog();
  private readonly byId = new Map<string, CvmInstance>();
  private readonly byRegion = new Map<string, Map<string, CvmInstance>>();
  private pending = 0;
  private waiters: Array<() => void> = [];
  private lastSeq = 0;

  constructor(private readonly deps: StoreDeps) {}

  // ---- CvmState -------------------------------------------------------------------------------

  instance(instanceId: string): CvmInstance | undefined {
    return this.byId.get(instanceId);
  }

  instances(region?: string): CvmInstance[] {
    if (region === undefined) return [...this.byId.values()];
    return [...(this.byRegion.get(region)?.values() ?? [])];
  }

  regions(): string[] {
    return [...this.byRegion.keys()].filter((r) => (this.byRegion.get(r)?.size ?? 0) > 0).sort();
  }

  /** Live view of one region, in order of addition; empty when the region has no instances. */
  regionView(region: string): ReadonlyMap<string, CvmInstance> {
    return this.byRegion.get(region) ?? new Map();
  }

  /**
   * Linux or Windows. The instance has no OS-type field (facts §2.2): the OS name tells, and for
   * an empty OsName the image's Platform, as a client calling DescribeImages would learn.
   */
  osFamily(record: InstanceRecord): OsFamily {
    if (record.OsName !== '') return familyOf(record.OsName);
    return familyOf(this.images.get(record.ImageId)?.Platform ?? '');
  }

  actualPassword(instanceId: string, user?: string): string | undefined {
    const record = this.byId.get(instanceId);
    if (!record) return undefined;
    return record.passwords.get(user ?? record.DefaultLoginUser);
  }

  addInstance(seed: InstanceSeed): CvmInstance {
    const where = `instance ${seed.InstanceId ?? `#${this.byId.size + 1}`}`;
    if (typeof seed.region !== 'string' || !/^[a-z]{2,}-[a-z]+(?:-[a-z0-9]+)*$/.test(seed.region)) {
      throw new Error(
        `${where}: region ${JSON.stringify(seed.region)} is not a region like ap-guangzhou`,
      );
    }
    const id = seed.InstanceId ?? this.newInstanceId();
    if (!INSTANCE_ID_PATTERN.test(id)) {
      throw new Error(`${where}: InstanceId must be ins- followed by 8 of [a-z0-9]`);
    }
    if (this.byId.has(id)) throw new Error(`${where}: InstanceId ${id} already exists`);
    const imageOsName = seed.ImageOsName ?? seed.OsName;
    if (seed.OsName !== '' && imageOsName !== seed.OsName) {
      throw new Error(
        `${where}: ImageOsName differs from OsName; ImageOsName is only for an empty OsName`,
      );
    }
    const image: CvmImage = this.images.resolve(seed.ImageId, imageOsName, where);
    const state: InstanceStateName = seed.InstanceState ?? 'STOPPED';
    const stopCharging: StopChargingMode =
      seed.StopChargingMode ?? (state === 'STOPPED' ? 'KEEP_CHARGING' : 'NOT_APPLICABLE');
    // The default user follows the OS; with an empty OsName only the image's Platform says it.
    const user = defaultUserOf(seed.OsName !== '' ? seed.OsName : image.Platform);
    const hash = hashBytes(id);
    const [instanceType, cpu, memory] = INSTANCE_TYPES[(hash[0] ?? 0) % INSTANCE_TYPES.length] ?? [
      'S5.MEDIUM4',
      2,
      4,
    ];
    const zone = seed.Zone ?? `${seed.region}-3`;
    const seq = ++this.lastSeq;
    const record: CvmInstance = {
      InstanceId: id,
      InstanceName: seed.InstanceName ?? `instance-${id.slice(4)}`,
      region: seed.region,
      Zone: zone,
      InstanceState: state,
      OsName: seed.OsName,
      ImageId: image.ImageId,
      Tags: normalizeTags(seed.Tags),
      StopChargingMode: stopCharging,
      CreatedTime: seed.CreatedTime ?? isoSeconds(this.deps.clock.now()),
      DefaultLoginUser: user,
      LatestOperation: seed.LatestOperation ?? null,
      LatestOperationState: seed.LatestOperationState ?? null,
      LatestOperationRequestId:
        seed.LatestOperationRequestId ??
        (seed.LatestOperation ? uuidFrom(hashBytes(`op:${id}`)) : null),
      LatestOperationErrorMsg: seed.LatestOperationErrorMsg ?? (seed.LatestOperation ? '' : null),
      passwords: new Map([[user, seed.password ?? initialPassword()]]),
      InstanceType: instanceType,
      CPU: cpu,
      Memory: memory,
      // "Stop charging" exists only for pay-as-you-go instances.
      InstanceChargeType:
        stopCharging === 'STOP_CHARGING' || (hash[1] ?? 0) % 3 !== 0
          ? 'POSTPAID_BY_HOUR'
          : 'PREPAID',
      ProjectId: 0,
      Uuid: uuidFrom(hash),
      PrivateIpAddress: `10.${(seq >> 16) & 255}.${(seq >> 8) & 255}.${seq & 255}`,
      VpcId: `vpc-${stableSuffix(`vpc:${seed.region}`)}`,
      SubnetId: `subnet-${stableSuffix(`subnet:${zone}`)}`,
      seq,
    };
    this.byId.set(id, record);
    this.regionMap(record.region).set(id, record);
    return record;
  }

  removeInstance(instanceId: string): void {
    const record = this.byId.get(instanceId);
    if (!record) throw new Error(`removeInstance: no instance ${instanceId}`);
    this.byId.delete(instanceId);
    this.byRegion.get(record.region)?.delete(instanceId);
    // An operation in flight notices the removal at its next step and just ends (see `alive`).
  }

  update(
    instanceId: string,
    patch: Partial<Omit<InstanceRecord, 'InstanceId' | 'passwords'>>,
  ): void {
    const record = this.byId.get(instanceId);
    if (!record) throw new Error(`update: no instance ${instanceId}`);
    const oldRegion = record.region;
    Object.assign(record, patch);
    if (record.region !== oldRegion) {
      this.byRegion.get(oldRegion)?.delete(instanceId);
      this.regionMap(record.region).set(instanceId, record);
    }
  }

  externalOperation(
    instanceId: string,
    operation: 'StartInstances' | 'StopInstances' | 'RebootInstances',
  ): void {
    const record = this.byId.get(instanceId);
    if (!record) throw new Error(`externalOperation: no instance ${instanceId}`);
    if (record.LatestOperationState === 'OPERATING') {
      throw new Error(
        `externalOperation: ${instanceId} is already running ${record.LatestOperation}; the real API would refuse`,
      );
    }
    // The real Start/Stop/Reboot refuse other states; a test asking for one is a test bug.
    const from: Record<typeof operation, InstanceStateName> = {
      StartInstances: 'STOPPED',
      StopInstances: 'RUNNING',
      RebootInstances: 'RUNNING',
    };
    if (record.InstanceState !== from[operation]) {
      throw new Error(
        `externalOperation: ${operation} needs ${from[operation]}, ${instanceId} is ${record.InstanceState}`,
      );
    }
    const requestId = randomUUID();
    this.beginOperation(record, operation, requestId);
    const transitional: Record<typeof operation, InstanceStateName> = {
      StartInstances: 'STARTING',
      StopInstances: 'STOPPING',
      RebootInstances: 'REBOOTING',
    };
    record.InstanceState = transitional[operation];
    this.after(this.duration(this.deps.resetTiming.stopped), record, requestId, () => {
      if (operation === 'StopInstances') {
        record.InstanceState = 'STOPPED';
        // StopInstances' StoppedMode defaults to KEEP_CHARGING.
        record.StopChargingMode = 'KEEP_CHARGING';
      } else {
        record.InstanceState = 'RUNNING';
        record.StopChargingMode = 'NOT_APPLICABLE';
      }
      this.endOperation(record, requestId, 'SUCCESS', '');
    });
  }

  inFlight(): number {
    return this.pending;
  }

  settle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    // Woken by the last operation to finish, so no polling and no CPU spent waiting.
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  // ---- ResetInstancesPassword, after validation ----------------------------------------------

  /**
   * Starts the asynchronous reset of already validated instances. The call itself only records
   * the operation (facts §1.2: success is known from DescribeInstances' LatestOperation*).
   */
  startReset(records: readonly CvmInstance[], request: ResetRequest, forceStop: boolean): void {
    for (const record of records) {
      const user = request.userName ?? record.DefaultLoginUser;
      this.beginOperation(record, 'ResetInstancesPassword', request.requestId);
      if (record.InstanceState === 'RUNNING' && forceStop) {
        this.forceStopReset(record, user, request);
      } else {
        // STOPPED (validation admits nothing else without ForceStop).
        this.after(this.duration(this.deps.resetTiming.stopped), record, request.requestId, () => {
          const failure = this.writePassword(record, user, request.password);
          this.endOperation(
            record,
            request.requestId,
            failure ? 'FAILED' : 'SUCCESS',
            failure ?? '',
          );
        });
      }
    }
  }

  /**
   * RUNNING → STOPPING → STOPPED → (password written) → STARTING → RUNNING, facts §1.2 [I]; the
   * return to RUNNING is configurable because only Terraform's docs promise it.
   */
  private forceStopReset(record: CvmInstance, user: string, request: ResetRequest): void {
    const { requestId } = request;
    const total = this.duration(this.deps.resetTiming.running);
    const restart = this.deps.resetTiming.restartAfterForceStop;
    record.InstanceState = 'STOPPING';
    let failure: string | undefined;
    const atStopped = total * FORCE_STOP_PHASES.stopped;
    const atWritten = total * FORCE_STOP_PHASES.written;
    const atStarting = total * FORCE_STOP_PHASES.starting;
    this.after(atStopped, record, requestId, () => {
      record.InstanceState = 'STOPPED';
      record.StopChargingMode = 'KEEP_CHARGING';
      this.after(atWritten - atStopped, record, requestId, () => {
        failure = this.writePassword(record, user, request.password);
        if (!restart) {
          this.after(total - atWritten, record, requestId, () => {
            this.endOperation(record, requestId, failure ? 'FAILED' : 'SUCCESS', failure ?? '');
          });
          return;
        }
        this.after(atStarting - atWritten, record, requestId, () => {
          record.InstanceState = 'STARTING';
          this.after(total - atStarting, record, requestId, () => {
            // Even a failed reset brings the instance back: the stop/start is independent of it.
            record.InstanceState = 'RUNNING';
            record.StopChargingMode = 'NOT_APPLICABLE';
            this.endOperation(record, requestId, failure ? 'FAILED' : 'SUCCESS', failure ?? '');
          });
        });
      });
    });
  }

  /** Applies the password unless a fault says otherwise; returns the failure message if any. */
  private writePassword(record: CvmInstance, user: string, password: string): string | undefined {
    // Faults are read now, not at call time, so a test can arm them after the call.
    const faults = this.deps.faults();
    const listed = faults.failResetFor?.includes(record.InstanceId) ?? false;
    const rate = faults.resetFailureRate ?? 0;
    if (listed || (rate > 0 && this.deps.random.next() < rate)) {
      return 'Failed to reset the password: the operating system did not confirm the change (injected fault). The previous password is unchanged.';
    }
    record.passwords.set(user, password);
    return undefined;
  }

  // ---- plumbing ---------------------------------------------------------------------------------

  private regionMap(region: string): Map<string, CvmInstance> {
    let map = this.byRegion.get(region);
    if (!map) {
      map = new Map();
      this.byRegion.set(region, map);
    }
    return map;
  }

  private newInstanceId(): string {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    for (;;) {
      let suffix = '';
      for (let i = 0; i < 8; i++) suffix += alphabet[this.deps.random.int(0, alphabet.length - 1)];
      const id = `ins-${suffix}`;
      if (!this.byId.has(id)) return id;
    }
  }

  private duration([min, max]: readonly [number, number]): number {
    return this.deps.random.int(Math.round(min), Math.round(Math.max(min, max)));
  }

  /** Whether the instance still exists (it may have been removed while the operation ran). */
  private alive(record: CvmInstance): boolean {
    return this.byId.get(record.InstanceId) === record;
  }

  private beginOperation(record: CvmInstance, operation: string, requestId: string): void {
    record.LatestOperation = operation;
    record.LatestOperationState = 'OPERATING';
    record.LatestOperationRequestId = requestId;
    record.LatestOperationErrorMsg = '';
    this.pending++;
  }

  /**
   * Runs `step` after `ms` emulated ms unless the instance is gone, in which case the operation
   * just ends (it is still counted until then, so `settle` waits for it).
   */
  private after(ms: number, record: CvmInstance, requestId: string, step: () => void): void {
    this.deps.clock.schedule(ms, () => {
      if (!this.alive(record)) {
        this.finish();
        return;
      }
      try {
        step();
      } catch (error) {
        // A bug here must not leave `settle()` hanging forever.
        process.stderr.write(`emulator: CVM operation ${requestId} failed: ${String(error)}\n`);
        this.finish();
      }
    });
  }

  private endOperation(
    record: CvmInstance,
    requestId: string,
    state: 'SUCCESS' | 'FAILED',
    message: string,
  ): void {
    // Only the operation that owns LatestOperation* may close it (a test's update() could have
    // replaced it meanwhile).
    if (record.LatestOperationRequestId === requestId) {
      record.LatestOperationState = state;
      record.LatestOperationErrorMsg = message;
    }
    this.finish();
  }

  private finish(): void {
    this.pending--;
    if (this.pending === 0) {
      const waiters = this.waiters;
      this.waiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
