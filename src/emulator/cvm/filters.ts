import { ApiError } from '../errors';
import type { CvmImage } from './images';
import type { CvmInstance } from './store';
import { INSTANCE_ID_PATTERN } from './store';

export interface FilterInput {
  readonly Name: string;
  readonly Values: readonly string[];
}

/** "每次请求的`Filters`的上限为10，`Filter.Values`的上限为5" (facts §2.1; §2.4 for images). */
export const MAX_FILTERS = 10;
export const MAX_FILTER_VALUES = 5;

export function checkFilterLimits(filters: readonly FilterInput[]): void {
  if (filters.length > MAX_FILTERS) {
    throw new ApiError(
      'InvalidFilterValue.LimitExceeded',
      `At most ${MAX_FILTERS} filters are allowed per request, got ${filters.length}.`,
    );
  }
  for (const filter of filters) {
    if (filter.Values.length > MAX_FILTER_VALUES) {
      throw new ApiError(
        'InvalidFilterValue.LimitExceeded',
        `Filter \`${filter.Name}\` has ${filter.Values.length} values; at most ${MAX_FILTER_VALUES} are allowed.`,
      );
    }
    if (filter.Values.length === 0) {
      // [I] Undocumented; an empty OR can match nothing, which is never what a caller meant.
      throw new ApiError('InvalidParameterValue', `Filter \`${filter.Name}\` has no values.`);
    }
  }
}

type Predicate<T> = (item: T) => boolean;

/** Filters are ANDed, the values of one filter ORed (facts §2.1, CLI-CVM `Filter` doc). */
function all<T>(predicates: ReadonlyArray<Predicate<T>>): Predicate<T> {
  return (item) => predicates.every((p) => p(item));
}

function oneOf<T>(values: readonly string[], get: (item: T) => string): Predicate<T> {
  const set = new Set(values);
  return (item) => set.has(get(item));
}

/** `creation-start-time` / `creation-end-time`, e.g. `2023-06-01 00:00:00` (facts §2.1). */
function parseFilterTime(value: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(value);
  const ms = match ? Date.parse(`${value.replace(' ', 'T')}+08:00`) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new ApiError(
      'InvalidParameterValue.InvalidTimeFormat',
      `The time \`${value}\` is not in the format YYYY-MM-DD hh:mm:ss.`,
    );
  }
  // [I] The format has no zone; Beijing time is assumed, the API's home zone.
  return ms;
}

/**
 * Every filter name of DescribeInstances (facts §2.1). Filters on things the emulated instances
 * do not have (dedicated hosts, public or IPv6 addresses, security groups, dedicated clusters)
 * are accepted and, consistently with the fields answered, match nothing.
 */
export function instancePredicate(
  filters: readonly FilterInput[],
  region: string,
): Predicate<CvmInstance> {
  checkFilterLimits(filters);
  const predicates: Array<Predicate<CvmInstance>> = [];
  for (const { Name: name, Values: values } of filters) {
    if (name.startsWith('tag:')) {
      const key = name.slice(4);
      if (key === '') throw new ApiError('InvalidFilter', 'The filter `tag:` names no tag key.');
      const wanted = new Set(values);
      predicates.push((i) => i.Tags.some((t) => t.Key === key && wanted.has(t.Value)));
      continue;
    }
    switch (name) {
      case 'instance-id':
        for (const value of values) {
          if (!INSTANCE_ID_PATTERN.test(value)) {
            throw new ApiError(
              'InvalidParameterValue.InstanceIdMalformed',
              `The instance ID \`${value}\` is malformed; expected ins-xxxxxxxx, x being a lower-case letter or a digit.`,
            );
          }
        }
        predicates.push(oneOf(values, (i) => i.InstanceId));
        break;
      case 'instance-name':
        // [I] The real filter matches names fuzzily (InvalidParameterValue.InvalidVagueName
        // exists); a substring match is the emulator's model of that.
        predicates.push((i) => values.some((v) => i.InstanceName.includes(v)));
        break;
      case 'instance-state':
        predicates.push(oneOf(values, (i) => i.InstanceState));
        break;
      case 'zone':
        for (const value of values) {
          if (!value.startsWith(`${region}-`)) {
            throw new ApiError(
              'InvalidZone.MismatchRegion',
              `The zone \`${value}\` is not in the region \`${region}\`.`,
            );
          }
        }
        predicates.push(oneOf(values, (i) => i.Zone));
        break;
      case 'tag-key': {
        const wanted = new Set(values);
        predicates.push((i) => i.Tags.some((t) => wanted.has(t.Key)));
        break;
      }
      case 'tag-value': {
        const wanted = new Set(values);
        predicates.push((i) => i.Tags.some((t) => wanted.has(t.Value)));
        break;
      }
      case 'project-id':
        predicates.push(oneOf(values, (i) => String(i.ProjectId)));
        break;
      case 'instance-charge-type':
        predicates.push(oneOf(values, (i) => i.InstanceChargeType));
        break;
      case 'uuid':
        predicates.push(oneOf(values, (i) => i.Uuid));
        break;
      case 'vpc-id':
        predicates.push(oneOf(values, (i) => i.VpcId));
        break;
      case 'subnet-id':
        predicates.push(oneOf(values, (i) => i.SubnetId));
        break;
      case 'private-ip-address':
        predicates.push(oneOf(values, (i) => i.PrivateIpAddress));
        break;
      case 'creation-start-time': {
        const times = values.map(parseFilterTime);
        predicates.push((i) => times.some((t) => Date.parse(i.CreatedTime) >= t));
        break;
      }
      case 'creation-end-time': {
        const times = values.map(parseFilterTime);
        predicates.push((i) => times.some((t) => Date.parse(i.CreatedTime) <= t));
        break;
      }
      case 'host-id':
      case 'dedicated-cluster-id':
      case 'security-group-id':
      case 'public-ip-address':
      case 'ipv6-address':
        predicates.push(() => false);
        break;
      default:
        throw new ApiError('InvalidFilter', `The filter \`${name}\` is not supported.`);
    }
  }
  return all(predicates);
}

/** DescribeImages filters (facts §2.4); images carry no tags and no dedicated cluster. */
export function imagePredicate(filters: readonly FilterInput[]): Predicate<CvmImage> {
  checkFilterLimits(filters);
  const predicates: Array<Predicate<CvmImage>> = [];
  for (const { Name: name, Values: values } of filters) {
    if (name.startsWith('tag:') && name.length > 4) {
      predicates.push(() => false);
      continue;
    }
    switch (name) {
      case 'image-id':
        predicates.push(oneOf(values, (i) => i.ImageId));
        break;
      case 'image-type':
        predicates.push(oneOf(values, (i) => i.ImageType));
        break;
      case 'image-name':
        predicates.push((i) => values.some((v) => i.ImageName.includes(v)));
        break;
      case 'platform': {
        // "支持模糊匹配" (facts §2.4): case-insensitive substring.
        const lower = values.map((v) => v.toLowerCase());
        predicates.push((i) => lower.some((v) => i.Platform.toLowerCase().includes(v)));
        break;
      }
      case 'tag-key':
      case 'tag-value':
      case 'dedicated-cluster-id':
      case 'cdc-cache-status':
        predicates.push(() => false);
        break;
      default:
        throw new ApiError('InvalidFilter', `The filter \`${name}\` is not supported.`);
    }
  }
  return all(predicates);
}

/** One page of the matches plus their total, scanning once without copying the source. */
export function paginate<T>(
  source: Iterable<T>,
  matches: Predicate<T>,
  offset: number,
  limit: number,
): { total: number; page: T[] } {
  let total = 0;
  const page: T[] = [];
  for (const item of source) {
    if (!matches(item)) continue;
    if (total >= offset && page.length < limit) page.push(item);
    total++;
  }
  return { total, page };
}
