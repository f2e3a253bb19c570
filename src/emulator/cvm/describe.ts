import { ApiError } from '../errors';
import type { ActionContext, ActionDef } from '../types';
import { type FilterInput, imagePredicate, instancePredicate, paginate } from './filters';
import type { CvmImage } from './images';
import type { CvmInstance, CvmStore } from './store';
import { checkInstanceIds, MAX_IDS } from './store';

const FILTERS_SPEC = {
  type: {
    array: {
      object: {
        Name: { type: 'String', required: true },
        Values: { type: { array: 'String' }, required: true },
      },
    },
  },
} as const;

/** "每次请求的实例的上限为100" / Limit "最大值为100" (facts §2.1). */
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 100;

function ids(params: Record<string, unknown>, key: string): string[] | undefined {
  const value = params[key] as string[] | undefined;
  // [I] An empty list is treated as not given, as the SDK's optional fields usually are.
  return value === undefined || value.length === 0 ? undefined : value;
}

function filtersOf(params: Record<string, unknown>): FilterInput[] | undefined {
  const value = params.Filters as FilterInput[] | undefined;
  return value === undefined || value.length === 0 ? undefined : value;
}

function offsetOf(params: Record<string, unknown>): number {
  const offset = (params.Offset as number | undefined) ?? 0;
  if (offset < 0) throw new ApiError('InvalidParameterValue', 'Offset must not be negative.');
  return offset;
}

/**
 * The instance as DescribeInstances answers it (facts §2.2). The plausible extra fields are fixed
 * per instance. The password is never part of it: LoginSettings only ever lists key IDs.
 */
export function instanceView(i: CvmInstance, windows: boolean): Record<string, unknown> {
  return {
    Placement: { Zone: i.Zone, ProjectId: i.ProjectId, HostIds: null, HostId: null },
    InstanceId: i.InstanceId,
    InstanceType: i.InstanceType,
    CPU: i.CPU,
    Memory: i.Memory,
    RestrictState: 'NORMAL',
    InstanceName: i.InstanceName,
    InstanceChargeType: i.InstanceChargeType,
    SystemDisk: {
      DiskType: 'CLOUD_PREMIUM',
      DiskId: `disk-${i.InstanceId.slice(4)}`,
      DiskSize: windows ? 50 : 20,
    },
    DataDisks: null,
    PrivateIpAddresses: [i.PrivateIpAddress],
    PublicIpAddresses: null,
    InternetAccessible: {
      InternetChargeType: 'TRAFFIC_POSTPAID_BY_HOUR',
      InternetMaxBandwidthOut: 0,
      PublicIpAssigned: false,
    },
    VirtualPrivateCloud: { VpcId: i.VpcId, SubnetId: i.SubnetId, AsVpcGateway: false },
    ImageId: i.ImageId,
    RenewFlag: i.InstanceChargeType === 'PREPAID' ? 'NOTIFY_AND_MANUAL_RENEW' : null,
    CreatedTime: i.CreatedTime,
    ExpiredTime: null,
    OsName: i.OsName,
    SecurityGroupIds: [],
    LoginSettings: { KeyIds: null },
    InstanceState: i.InstanceState,
    Tags: i.Tags.map((t) => ({ Key: t.Key, Value: t.Value })),
    StopChargingMode: i.StopChargingMode,
    Uuid: i.Uuid,
    LatestOperation: i.LatestOperation,
    LatestOperationState: i.LatestOperationState,
    LatestOperationRequestId: i.LatestOperationRequestId,
    DisasterRecoverGroupId: '',
    IPv6Addresses: null,
    CamRoleName: '',
    HpcClusterId: '',
    RdmaIpAddresses: null,
    DedicatedClusterId: '',
    IsolatedSource: i.InstanceState === 'SHUTDOWN' ? 'MANMADE' : 'NOTISOLATED',
    GPUInfo: null,
    LicenseType: 'TencentCloud',
    DisableApiTermination: false,
    DefaultLoginUser: i.DefaultLoginUser,
    DefaultLoginPort: windows ? 3389 : 22,
    LatestOperationErrorMsg: i.LatestOperationErrorMsg,
  };
}

export function imageView(image: CvmImage): Record<string, unknown> {
  return {
    ImageId: image.ImageId,
    OsName: image.OsName,
    ImageType: image.ImageType,
    CreatedTime: image.CreatedTime,
    ImageName: image.ImageName,
    ImageDescription: image.OsName,
    ImageSize: image.ImageSize,
    Architecture: image.Architecture,
    ImageState: 'NORMAL',
    Platform: image.Platform,
    ImageCreator: image.ImageType === 'PUBLIC_IMAGE' ? '' : 'emulator',
    ImageSource: image.ImageType === 'PUBLIC_IMAGE' ? 'OFFICIAL' : 'CREATE_IMAGE',
    SyncPercent: null,
    IsSupportCloudinit: true,
    SnapshotSet: null,
    Tags: [],
    LicenseType: 'TencentCloud',
    ImageFamily: '',
    ImageDeprecated: false,
  };
}

export function describeInstances(store: CvmStore): ActionDef {
  const view = (i: CvmInstance) => instanceView(i, store.osFamily(i) === 'windows');
  return {
    regional: true,
    params: {
      InstanceIds: { type: { array: 'String' } },
      Filters: FILTERS_SPEC,
      Offset: { type: 'Integer' },
      Limit: { type: 'Integer' },
    },
    run(params, ctx: ActionContext) {
      const instanceIds = ids(params, 'InstanceIds');
      const filters = filtersOf(params);
      if (instanceIds && filters) {
        // "参数不支持同时指定`InstanceIds`和`Filters`" (facts §2.1); the exact code is [I].
        throw new ApiError(
          'InvalidParameter',
          'InstanceIds and Filters cannot be specified together.',
        );
      }
      const offset = offsetOf(params);
      const limit = (params.Limit as number | undefined) ?? DEFAULT_LIMIT;
      if (limit > MAX_LIMIT) {
        throw new ApiError(
          'InvalidParameterValue.LimitExceeded',
          `Limit must not exceed ${MAX_LIMIT}.`,
        );
      }
      // [I] Limit 0 is refused rather than guessed at (default? empty page?): a client that
      // computes it has a bug the emulator should surface.
      if (limit < 1)
        throw new ApiError('InvalidParameterValue', 'Limit must be between 1 and 100.');

      // Only the region of the request is visible, as on the real API.
      const region = store.regionView(ctx.region);
      if (instanceIds) {
        checkInstanceIds(instanceIds);
        // Well-formed unknown IDs are simply absent (facts §2.1: NotFound is not in the list).
        const found: CvmInstance[] = [];
        for (const id of new Set(instanceIds)) {
          const instance = region.get(id);
          if (instance) found.push(instance);
        }
        // The same stable order as a filtered listing: order of creation.
        found.sort((a, b) => a.seq - b.seq);
        return {
          TotalCount: found.length,
          InstanceSet: found.slice(offset, offset + limit).map(view),
        };
      }
      if (!filters) {
        // No filter: the total is known, only walk to the end of the page.
        const page: CvmInstance[] = [];
        let index = 0;
        for (const instance of region.values()) {
          if (index >= offset + limit) break;
          if (index >= offset) page.push(instance);
          index++;
        }
        return { TotalCount: region.size, InstanceSet: page.map(view) };
      }
      const { total, page } = paginate(
        region.values(),
        instancePredicate(filters, ctx.region),
        offset,
        limit,
      );
      return { TotalCount: total, InstanceSet: page.map(view) };
    },
  };
}

export function describeImages(store: CvmStore): ActionDef {
  return {
    regional: true,
    params: {
      ImageIds: { type: { array: 'String' } },
      Filters: FILTERS_SPEC,
      Offset: { type: 'Integer' },
      Limit: { type: 'Integer' },
      // Accepted for compatibility; every emulated image suits every instance type.
      InstanceType: { type: 'String' },
    },
    run(params) {
      const imageIds = ids(params, 'ImageIds');
      const filters = filtersOf(params);
      if (imageIds && filters) {
        // The code DescribeImages documents for exactly this (GO-CVM client.go; DOC 213/15715).
        throw new ApiError(
          'InvalidParameter.InvalidParameterCoexistImageIdsFilters',
          'ImageIds and Filters cannot be specified at the same time.',
        );
      }
      const offset = offsetOf(params);
      const limit = (params.Limit as number | undefined) ?? DEFAULT_LIMIT;
      if (limit < 1 || limit > MAX_LIMIT) {
        // [I] DescribeImages documents InvalidParameterValue.InvalidParameterValueLimit
        // ("参数值错误") and no other code fits an out-of-range Limit.
        throw new ApiError(
          'InvalidParameterValue.InvalidParameterValueLimit',
          `Limit must be between 1 and ${MAX_LIMIT}.`,
        );
      }
      if (imageIds) {
        if (imageIds.length > MAX_IDS) {
          throw new ApiError(
            'InvalidParameterValue.LimitExceeded',
            `At most ${MAX_IDS} ImageIds are allowed per request, got ${imageIds.length}.`,
          );
        }
        for (const id of imageIds) {
          if (!/^img-[a-z0-9]{8}$/.test(id)) {
            throw new ApiError('InvalidImageId.Malformed', `The image ID \`${id}\` is malformed.`);
          }
        }
        const wanted = new Set(imageIds);
        const { total, page } = paginate(
          store.images.all(),
          (i) => wanted.has(i.ImageId),
          offset,
          limit,
        );
        return { TotalCount: total, ImageSet: page.map(imageView) };
      }
      const matches = filters ? imagePredicate(filters) : () => true;
      const { total, page } = paginate(store.images.all(), matches, offset, limit);
      return { TotalCount: total, ImageSet: page.map(imageView) };
    },
  };
}
