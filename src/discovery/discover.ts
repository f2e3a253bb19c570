import type { CvmPort, InstanceInfo, TagSelector } from '../cloud/ports';
import { CloudError } from '../errors';
import { classifyOs, type OsIdentity } from './os';

/** DescribeInstances answers at most 100 per page and defaults to 20 (facts §2.1). */
export const PAGE_SIZE = 100;
/** A TotalCount that lies must not make discovery loop for ever. */
const MAX_PAGES = 1_000;

/**
 * Every instance in `region` carrying all `tags`, following Offset page by page.
 *
 * Paging ends at the first page that is not full. TotalCount is not trusted to end it: a
 * TotalCount that is too low would stop paging early and skip instances silently, one that is
 * too high costs only the one short (or empty) page that ends paging anyway. The adapter refuses
 * pages above the Limit or with an instance twice, which would also break Offset paging.
 */
export async function discoverByTags(
  cvm: CvmPort,
  region: string,
  tags: readonly TagSelector[],
): Promise<InstanceInfo[]> {
  const found = new Map<string, InstanceInfo>();
  let offset = 0;
  for (let page = 0; page < MAX_PAGES; page++) {
    const { instances } = await cvm.describeByTags(region, tags, offset, PAGE_SIZE);
    for (const instance of instances) found.set(instance.instanceId, instance);
    offset += instances.length;
    if (instances.length < PAGE_SIZE) return [...found.values()];
  }
  throw new CloudError(`paging went past ${MAX_PAGES} pages`, {
    code: 'InvalidResponse',
    action: 'DescribeInstances',
    region,
    transient: false,
  });
}

/** The named instances that exist in `region` (unknown well-formed IDs are simply absent). */
export async function discoverByIds(
  cvm: CvmPort,
  region: string,
  instanceIds: readonly string[],
): Promise<InstanceInfo[]> {
  const chunks: string[][] = [];
  for (let i = 0; i < instanceIds.length; i += PAGE_SIZE)
    chunks.push(instanceIds.slice(i, i + PAGE_SIZE));
  const pages = await Promise.all(chunks.map((ids) => cvm.describeByIds(region, ids)));
  return pages.flat();
}

/**
 * OS family and admin user per instance; instances with an empty `OsName` are resolved through
 * `DescribeImages` (Platform). Undefined in the map means the OS could not be told.
 */
export async function classifyInstances(
  cvm: CvmPort,
  region: string,
  instances: readonly InstanceInfo[],
): Promise<Map<string, OsIdentity | undefined>> {
  const out = new Map<string, OsIdentity | undefined>();
  const unclear = instances.filter((i) => classifyOs(i.osName) === undefined);
  const imageIds = [...new Set(unclear.map((i) => i.imageId).filter((id) => id !== ''))];
  const platforms = new Map<string, string>();
  for (let i = 0; i < imageIds.length; i += PAGE_SIZE) {
    for (const image of await cvm.describeImages(region, imageIds.slice(i, i + PAGE_SIZE))) {
      platforms.set(image.imageId, image.platform || image.osName);
    }
  }
  for (const instance of instances) {
    out.set(
      instance.instanceId,
      classifyOs(instance.osName, platforms.get(instance.imageId) ?? ''),
    );
  }
  return out;
}
