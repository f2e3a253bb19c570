import { CloudError } from '../../errors';
import type { ApiLimiter } from '../limiter';
import type {
  Clock,
  CvmPort,
  ImageInfo,
  InstanceInfo,
  InstancePage,
  ResetRequest,
  TagSelector,
} from '../ports';
import { withRetry } from '../retry';
import type { TencentClients } from './clients';
import { isThrottle, toCloudError } from './errors';

type Raw = Record<string, unknown>;

const str = (value: unknown): string => (typeof value === 'string' ? value : '');
const nullable = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * Checks the shape of an instance in an API answer. An answer that lacks the fields the safety
 * protocol reads is an error, never a guess: a missing `LatestOperationRequestId` must not be
 * mistaken for "not ours".
 */
function toInstance(raw: unknown, region: string, action: string): InstanceInfo {
  const bad = (what: string) =>
    new CloudError(`the answer has an instance with ${what}`, {
      code: 'InvalidResponse',
      action,
      region,
      transient: false,
    });
  if (typeof raw !== 'object' || raw === null) throw bad('no object');
  const r = raw as Raw;
  const instanceId = str(r.InstanceId);
  if (!/^ins-[a-z0-9]{8}$/.test(instanceId)) throw bad('a malformed InstanceId');
  if (typeof r.InstanceState !== 'string' || r.InstanceState === '')
    throw bad(`no InstanceState (${instanceId})`);
  const tagsRaw = r.Tags ?? [];
  if (!Array.isArray(tagsRaw)) throw bad(`malformed Tags (${instanceId})`);
  const tags = tagsRaw.map((t) => {
    const tag = (typeof t === 'object' && t !== null ? t : {}) as Raw;
    if (typeof tag.Key !== 'string') throw bad(`a malformed tag (${instanceId})`);
    return { key: tag.Key, value: str(tag.Value) };
  });
  return {
    instanceId,
    region,
    name: str(r.InstanceName),
    state: r.InstanceState,
    osName: str(r.OsName),
    imageId: str(r.ImageId),
    tags,
    stopChargingMode: nullable(r.StopChargingMode),
    defaultLoginUser: nullable(r.DefaultLoginUser),
    latestOperation: nullable(r.LatestOperation),
    latestOperationState: nullable(r.LatestOperationState),
    latestOperationRequestId: nullable(r.LatestOperationRequestId),
    latestOperationErrorMsg: nullable(r.LatestOperationErrorMsg),
  };
}

function instanceSet(response: Raw, region: string): { total: number; set: unknown[] } {
  const set = response.InstanceSet;
  const total = response.TotalCount;
  if (
    !Array.isArray(set) ||
    typeof total !== 'number' ||
    !Number.isSafeInteger(total) ||
    total < 0
  ) {
    throw new CloudError('the answer has no valid InstanceSet/TotalCount', {
      code: 'InvalidResponse',
      action: 'DescribeInstances',
      region,
      transient: false,
    });
  }
  return { total, set };
}

/** CVM 2017-03-12 behind the CvmPort, with pacing and retries for transient errors. */
export class TencentCvm implements CvmPort {
  constructor(
    private readonly clients: TencentClients,
    private readonly limiter: ApiLimiter,
    private readonly clock: Clock,
    /**
     * Runs right before each request is sent (after pacing and between retries), so a check
     * such as the region lock's applies to the request actually leaving, not to a queued one.
     */
    private readonly beforeSend?: (action: string, region: string) => void,
  ) {}

  private call<T>(
    action: string,
    region: string,
    fn: () => Promise<T>,
    retryable: (e: CloudError) => boolean,
  ) {
    return withRetry(
      () =>
        this.limiter.run(action, region, async () => {
          this.beforeSend?.(action, region);
          try {
            return await fn();
          } catch (error) {
            throw toCloudError(error, action, region);
          }
        }),
      retryable,
      this.clock,
    );
  }

  async describeByTags(
    region: string,
    tags: readonly TagSelector[],
    offset: number,
    limit: number,
  ): Promise<InstancePage> {
    // `tag:<key>` matches a key/value pair and `tag-key` a bare key (facts §2.1); filters AND.
    const filters = tags.map((t) =>
      t.value === undefined
        ? { Name: 'tag-key', Values: [t.key] }
        : { Name: `tag:${t.key}`, Values: [t.value] },
    );
    const response = (await this.call(
      'DescribeInstances',
      region,
      () =>
        this.clients
          .cvm(region)
          .DescribeInstances({ Filters: filters, Offset: offset, Limit: limit }),
      (e) => e.transient,
    )) as unknown as Raw;
    const { total, set } = instanceSet(response, region);
    return {
      totalCount: total,
      instances: set.map((raw) => toInstance(raw, region, 'DescribeInstances')),
    };
  }

  async describeByIds(
    region: string,
    instanceIds: readonly string[],
  ): Promise<readonly InstanceInfo[]> {
    if (instanceIds.length === 0) return [];
    const response = (await this.call(
      'DescribeInstances',
      region,
      () =>
        this.clients.cvm(region).DescribeInstances({
          InstanceIds: [...instanceIds],
          Limit: Math.min(100, instanceIds.length),
        }),
      (e) => e.transient,
    )) as unknown as Raw;
    const wanted = new Set(instanceIds);
    return instanceSet(response, region)
      .set.map((raw) => toInstance(raw, region, 'DescribeInstances'))
      .filter((i) => wanted.has(i.instanceId));
  }

  async describeImages(region: string, imageIds: readonly string[]): Promise<readonly ImageInfo[]> {
    if (imageIds.length === 0) return [];
    const response = (await this.call(
      'DescribeImages',
      region,
      () =>
        this.clients
          .cvm(region)
          .DescribeImages({ ImageIds: [...imageIds], Limit: Math.min(100, imageIds.length) }),
      (e) => e.transient,
    )) as unknown as Raw;
    const set = Array.isArray(response.ImageSet) ? response.ImageSet : [];
    return set.map((raw) => {
      const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Raw;
      return { imageId: str(r.ImageId), platform: str(r.Platform), osName: str(r.OsName) };
    });
  }

  /**
   * Only throttling is retried here. An internal error or a lost answer leaves it unknown whether
   * the reset started, so the protocol decides (it waits for the instances to settle and then
   * re-applies the same stored password), never a blind retry.
   */
  async resetPassword(region: string, request: ResetRequest): Promise<string> {
    const response = (await this.call(
      'ResetInstancesPassword',
      region,
      () =>
        this.clients.cvm(region).ResetInstancesPassword({
          InstanceIds: [...request.instanceIds],
          Password: request.password,
          UserName: request.userName,
          ForceStop: request.forceStop,
        }),
      isThrottle,
    )) as unknown as Raw;
    const requestId = response.RequestId;
    if (typeof requestId !== 'string' || requestId === '') {
      // Without the RequestId the reset cannot be verified; treat it like a lost answer.
      throw new CloudError('the answer has no RequestId', {
        code: 'InvalidResponse',
        action: 'ResetInstancesPassword',
        region,
        transient: false,
      });
    }
    return requestId;
  }
}
