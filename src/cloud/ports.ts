/**
 * The narrow ports through which the rotator talks to the cloud. Only the adapters in
 * `cloud/tencent/` import the Tencent SDKs; everything else sees these domain types, and unit
 * tests may use plain fakes of them.
 */

export interface Tag {
  readonly key: string;
  readonly value: string;
}

/** An instance as `DescribeInstances` reports it (facts/tencent-cloud-api.md §2.2). */
export interface InstanceInfo {
  readonly instanceId: string;
  readonly region: string;
  readonly name: string;
  readonly state: string;
  readonly osName: string;
  readonly imageId: string;
  readonly tags: readonly Tag[];
  readonly stopChargingMode: string | null;
  readonly defaultLoginUser: string | null;
  readonly latestOperation: string | null;
  readonly latestOperationState: string | null;
  readonly latestOperationRequestId: string | null;
  readonly latestOperationErrorMsg: string | null;
}

/** `tag:<key>` = value, or `tag-key` = key when `value` is undefined. */
export interface TagSelector {
  readonly key: string;
  readonly value?: string;
}

export interface InstancePage {
  readonly totalCount: number;
  readonly instances: readonly InstanceInfo[];
}

export interface ImageInfo {
  readonly imageId: string;
  readonly platform: string;
  readonly osName: string;
}

export interface ResetRequest {
  readonly instanceIds: readonly string[];
  readonly password: string;
  readonly userName: string;
  readonly forceStop: boolean;
}

export interface CvmPort {
  /** One page of the instances carrying every tag (`Limit` <= 100). */
  describeByTags(
    region: string,
    tags: readonly TagSelector[],
    offset: number,
    limit: number,
  ): Promise<InstancePage>;
  /** The instances among `instanceIds` (<= 100) that exist in `region`. */
  describeByIds(region: string, instanceIds: readonly string[]): Promise<readonly InstanceInfo[]>;
  describeImages(region: string, imageIds: readonly string[]): Promise<readonly ImageInfo[]>;
  /** Starts an asynchronous reset; resolves to the call's RequestId. */
  resetPassword(region: string, request: ResetRequest): Promise<string>;
}

export interface SecretVersion {
  readonly versionId: string;
  /** Unix seconds. */
  readonly createTime: number;
}

export interface SecretSummary {
  readonly name: string;
  readonly status: string;
}

export interface SsmPort {
  /** Every secret whose name contains `search`, all pages. */
  listSecrets(region: string, search: string): Promise<readonly SecretSummary[]>;
  /** How many secrets the region holds in all (the 1000-secret quota counts them all). */
  countSecrets(region: string): Promise<number>;
  listVersions(region: string, name: string): Promise<readonly SecretVersion[]>;
  getValue(region: string, name: string, versionId: string): Promise<string>;
  createSecret(
    region: string,
    input: {
      name: string;
      versionId: string;
      value: string;
      description: string;
      kmsKeyId?: string;
    },
  ): Promise<void>;
  putValue(
    region: string,
    input: { name: string; versionId: string; value: string },
  ): Promise<void>;
  updateValue(
    region: string,
    input: { name: string; versionId: string; value: string },
  ): Promise<void>;
  deleteVersion(region: string, name: string, versionId: string): Promise<void>;
}

export interface InvokeRequest {
  readonly functionName: string;
  readonly namespace: string;
  readonly qualifier: string;
  /** Becomes the invoked handler's `event`. */
  readonly event: unknown;
}

export interface ScfPort {
  /** Starts an asynchronous invocation (InvocationType Event); resolves to its FunctionRequestId. */
  invokeAsync(region: string, request: InvokeRequest): Promise<string>;
}

/** Time as the rotator sees it; the benchmark injects a faster one. */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Emulated ms per real ms (1 in production). */
  readonly scale: number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  scale: 1,
};
