import type { Clock, CvmPort, InstanceInfo, SsmPort, TagSelector } from '../cloud/ports';
import type { OsFamily } from '../discovery/os';
import type { InstanceSecretStore, SecretState } from '../secrets/store';
import type { RegionLock } from './lock';

/** What one run is asked to do (resolved from the environment and the event). */
export interface RunPlan {
  readonly runId: string;
  readonly regions: readonly string[];
  readonly tags: readonly TagSelector[];
  readonly instanceIds?: readonly string[];
  readonly excludeTag: string;
  readonly forceStop: boolean;
  readonly dryRun: boolean;
  readonly passwordScope: 'group' | 'instance';
  readonly secretPrefix: string;
  readonly passwordLength: number;
  readonly keepVersions: number;
  /** 0 = no limit. */
  readonly maxInstances: number;
  readonly verifyTimeoutMs: number;
  /** Rotator-clock ms after which no new work starts and waiting stops. */
  readonly deadlineAt: number;
  /** Operator rollback: apply this stored version's password again to this one instance. */
  readonly rollback?: { readonly instanceId: string; readonly versionId: string };
  /** Naive mode for the benchmark's baseline: one batch at a time, each awaited. */
  readonly sequential?: boolean;
}

export interface RunLogger {
  info(event: string, fields?: Record<string, unknown>): void;
  warn(event: string, fields?: Record<string, unknown>): void;
  error(event: string, fields?: Record<string, unknown>): void;
}

export interface RunDeps {
  readonly cvm: CvmPort;
  readonly ssm: SsmPort;
  readonly store: InstanceSecretStore;
  readonly clock: Clock;
  readonly log: RunLogger;
  /** Registers a secret value with the redaction layer before it can reach any output. */
  readonly registerSecret: (value: string) => void;
  /** The region lock to take before anything else (undefined: no locking, e.g. unit tests). */
  readonly lockFor?: (region: string) => RegionLock;
  readonly generatePassword: (options: {
    os: OsFamily;
    userName: string;
    length: number;
  }) => string;
  /**
   * Test hook: called at each step boundary of the protocol. The crash-matrix tests throw from
   * it to simulate the process dying there. Never set in production.
   */
  readonly checkpoint?: (step: string, detail: Record<string, unknown>) => void;
}

/** One discovered instance with everything the protocol knows about it. */
export interface Target {
  /** Replaced by fresher DescribeInstances answers as the run goes. */
  instance: InstanceInfo;
  readonly os: OsFamily;
  readonly userName: string;
  readonly secretName: string;
  /** Undefined until read; `versions: []` when the secret does not exist. */
  secret?: SecretState;
  /** Whether the secret exists (from ListSecrets), so persist knows Create vs Put. */
  secretExists: boolean;
  /** Neither OsName nor the image's Platform told the OS: the instance cannot be rotated. */
  readonly unknownOs?: boolean;
  /** Reading the secret failed (code): nothing is done to this instance. */
  readError?: string;
}
