/** CVM instance model: the fields of facts/tencent-cloud-api.md §2.2 that the rotator reads. */

export type InstanceStateName =
  | 'PENDING'
  | 'LAUNCH_FAILED'
  | 'RUNNING'
  | 'STOPPED'
  | 'STARTING'
  | 'STOPPING'
  | 'REBOOTING'
  | 'SHUTDOWN'
  | 'TERMINATING'
  | 'ENTER_RESCUE_MODE'
  | 'RESCUE_MODE'
  | 'EXIT_RESCUE_MODE'
  | 'ENTER_SERVICE_LIVE_MIGRATE'
  | 'SERVICE_LIVE_MIGRATE'
  | 'EXIT_SERVICE_LIVE_MIGRATE';

export type StopChargingMode = 'KEEP_CHARGING' | 'STOP_CHARGING' | 'NOT_APPLICABLE';
export type OperationState = 'SUCCESS' | 'OPERATING' | 'FAILED';

export interface Tag {
  Key: string;
  Value: string;
}

export interface InstanceRecord {
  InstanceId: string;
  InstanceName: string;
  /** The region the instance lives in (not an API field: the API answers per region). */
  region: string;
  Zone: string;
  InstanceState: InstanceStateName;
  OsName: string;
  ImageId: string;
  Tags: Tag[];
  StopChargingMode: StopChargingMode;
  /** ISO 8601 UTC, `YYYY-MM-DDThh:mm:ssZ`. */
  CreatedTime: string;
  DefaultLoginUser: string;
  LatestOperation: string | null;
  LatestOperationState: OperationState | null;
  LatestOperationRequestId: string | null;
  LatestOperationErrorMsg: string | null;
  /** The actual OS password per user. Test-only: never exposed by any API action. */
  passwords: Map<string, string>;
}

export interface ImageRecord {
  ImageId: string;
  OsName: string;
  /** Free-form, e.g. `CentOS`, `Ubuntu`, `Windows` (facts §2.4). */
  Platform: string;
}

/** How a fleet file or generator describes one instance; omitted fields get defaults. */
export interface InstanceSeed {
  InstanceId?: string;
  InstanceName?: string;
  region: string;
  Zone?: string;
  InstanceState?: InstanceStateName;
  OsName: string;
  ImageId?: string;
  Tags?: Tag[] | Record<string, string>;
  StopChargingMode?: StopChargingMode;
  /** Initial password of the admin user; a random one is made when omitted. */
  password?: string;
  LatestOperation?: string | null;
  LatestOperationState?: OperationState | null;
  LatestOperationRequestId?: string | null;
  LatestOperationErrorMsg?: string | null;
  /**
   * The OS of the instance's image when `OsName` is left empty (the instance then reports an
   * empty OsName and clients must ask DescribeImages). Defaults to `OsName`.
   */
  ImageOsName?: string;
  /** ISO 8601 UTC; defaults to the emulated time the instance is added. */
  CreatedTime?: string;
}

/** Test-only inspection and manipulation of the emulated CVM fleet. */
export interface CvmState {
  instance(instanceId: string): InstanceRecord | undefined;
  /** All instances, or those of one region. */
  instances(region?: string): InstanceRecord[];
  regions(): string[];
  /** The actual password of `user` (default: the OS's admin user) on the instance. */
  actualPassword(instanceId: string, user?: string): string | undefined;
  addInstance(seed: InstanceSeed): InstanceRecord;
  removeInstance(instanceId: string): void;
  /** Sets fields directly (a test arranging an exotic state); no operation is recorded. */
  update(
    instanceId: string,
    patch: Partial<Omit<InstanceRecord, 'InstanceId' | 'passwords'>>,
  ): void;
  /**
   * Someone else acts on the instance between discovery and reset: the state changes and
   * `LatestOperation*` is overwritten exactly as the real API does (facts §1.2 "Gotcha").
   */
  externalOperation(
    instanceId: string,
    operation: 'StartInstances' | 'StopInstances' | 'RebootInstances',
  ): void;
  /** Asynchronous operations still in flight. */
  inFlight(): number;
  /** Resolves when no asynchronous operation is in flight. */
  settle(): Promise<void>;
}
