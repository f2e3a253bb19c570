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
import { callTencent } from './call';
import type { TencentClients } from './clients';
import { isThrottle } from './errors';

type Raw = Record<string, unknown>;

/**
 * Checks the shape of an instance in an API answer. An answer that lacks the fields the safety
 * protocol or the eligibility rules read is an error, never a guess: a missing
 * `LatestOperationRequestId` must not be mistaken for "not ours", and missing `Tags` must not be
 * mistaken for "no exclusion tag" (facts §2.2: `Tags` is never null; the three `LatestOperation*`
 * fields are nullable but always present). Fields only used as hints (`OsName`, which falls back
 * to the image's Platform) may be absent or null, but never of another type.
 */
function toInstance(raw: unknown, region: string, action: string): InstanceInfo {
  const bad = (what: string) =>
    new CloudError(`the answer has an instance with ${what}`, {
      code: 'InvalidResponse',
      action,
      region,
      transient: false,
    });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw bad('no object');
  const r = raw as Raw;
  const instanceId = typeof r.InstanceId === 'string' ? r.InstanceId : '';
  if (!/^ins-[a-z0-9]{8}$/.test(instanceId)) throw bad('a malformed InstanceId');
  if (typeof r.InstanceState !== 'string' || r.InstanceState === '')
    throw bad(`no InstanceState (${instanceId})`);
  if (!Array.isArray(r.Tags)) throw bad(`no Tags list (${instanceId})`);
  const tags = r.Tags.map((t: unknown) => {
    const tag = (typeof t === 'object' && t !== null ? t : {}) as Raw;
    if (typeof tag.Key !== 'string' || typeof tag.Value !== 'string')
      throw bad(`a malformed tag (${instanceId})`);
    return { key: tag.Key, value: tag.Value };
  });
  /** A string, or null; `optional` also allows the field to be absent. */
  const field = (name: string, optional: boolean): string | null => {
    const value = r[name];
    if (typeof value === 'string' || value === null) return value;
    if (value === undefined && optional) return null;
    throw bad(`${value === undefined ? 'no' : 'a malformed'} ${name} (${instanceId})`);
  };
  return {
    instanceId,
    region,
    name: field('InstanceName', true) ?? '',
    state: r.InstanceState,
    osName: field('OsName', true) ?? '',
    imageId: field('ImageId', true) ?? '',
    tags,
    stopChargingMode: field('StopChargingMode', false),
    defaultLoginUser: field('DefaultLoginUser', true),
    latestOperation: field('LatestOperation', false),
    latestOperationState: field('LatestOperationState', false),
    latestOperationRequestId: field('LatestOperationRequestId', false),
    latestOperationErrorMsg: field('LatestOperationErrorMsg', true),
  };
}

const invalid = (action: string, region: string, what: string) =>
  new CloudError(`the answer has ${what}`, {
    code: 'InvalidResponse',
    action,
    region,
    transient: false,
  });

/**
 * One page of a DescribeInstances answer, checked against the request: a valid TotalCount, no
 * more instances than `limit` and no instance twice. A page that breaks these would make Offset
 * paging skip instances silently, so it is an error rather than something to make sense of.
 */
function instancePage(
  response: Raw,
  region: string,
  limit: number,
): { total: number; instances: InstanceInfo[] } {
  const set = response.InstanceSet;
  const total = response.TotalCount;
  if (
    !Array.isArray(set) ||
    typeof total !== 'number' ||
    !Number.isSafeInteger(total) ||
    total < 0
  ) {
    throw invalid('DescribeInstances', region, 'no valid InstanceSet/TotalCount');
  }
  if (set.length > limit) {
    throw invalid('DescribeInstances', region, `${set.length} instances for Limit ${limit}`);
  }
  const instances = set.map((raw) => toInstance(raw, region, 'DescribeInstances'));
  if (new Set(instances.map((i) => i.instanceId)).size !== instances.length) {
    throw invalid('DescribeInstances', region, 'the same instance twice in one page');
  }
  return { total, instances };
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
    return callTencent(action, region, fn, {
      limiter: this.limiter,
      clock: this.clock,
      retryable,
      ...(this.beforeSend ? { beforeSend: this.beforeSend } : {}),
    });
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
    const { total, instances } = instancePage(response, region, limit);
    return { totalCount: total, instances };
  }

  async describeByIds(
    region: string,
    instanceIds: readonly string[],
  ): Promise<readonly InstanceInfo[]> {
    if (instanceIds.length === 0) return [];
    const limit = Math.min(100, instanceIds.length);
    const response = (await this.call(
      'DescribeInstances',
      region,
      () =>
        this.clients.cvm(region).DescribeInstances({
          InstanceIds: [...instanceIds],
          Limit: limit,
        }),
      (e) => e.transient,
    )) as unknown as Raw;
    const wanted = new Set(instanceIds);
    return instancePage(response, region, limit).instances.filter((i) => wanted.has(i.instanceId));
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
    const set = response.ImageSet;
    if (!Array.isArray(set)) throw invalid('DescribeImages', region, 'no ImageSet');
    return set.map((raw) => {
      const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Raw;
      const text = (value: unknown): string => {
        if (typeof value === 'string') return value;
        if (value === null || value === undefined) return '';
        throw invalid('DescribeImages', region, 'a malformed image');
      };
      if (typeof r.ImageId !== 'string')
        throw invalid('DescribeImages', region, 'an image without ImageId');
      return { imageId: r.ImageId, platform: text(r.Platform), osName: text(r.OsName) };
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
      throw invalid('ResetInstancesPassword', region, 'no RequestId');
    }
    return requestId;
  }
}
