import { createHash } from 'node:crypto';
import type { ImageRecord } from './model';
import type { OsFamily } from './passwordRules';

/** `DescribeImages` fields beyond the model's (facts §2.4). */
export interface CvmImage extends ImageRecord {
  ImageType: 'PUBLIC_IMAGE' | 'PRIVATE_IMAGE';
  ImageName: string;
  Architecture: 'x86_64' | 'arm';
  /** ISO 8601 UTC. */
  CreatedTime: string;
  /** GB. */
  ImageSize: number;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** 8 characters of [a-z0-9] derived from `text`, for IDs that must be stable across runs. */
export function stableSuffix(text: string): string {
  const digest = createHash('sha256').update(text).digest();
  let out = '';
  for (let i = 0; i < 8; i++) out += ID_ALPHABET[(digest[i] ?? 0) % ID_ALPHABET.length];
  return out;
}

/** The public image of an OS name gets the same ID in every run: `img-` + 8 chars (facts §2.5). */
export function publicImageId(osName: string): string {
  return `img-${stableSuffix(`public-image:${osName}`)}`;
}

/**
 * `Image.Platform` is a free-form family name ("TencentOS、CentOS、Windows、Ubuntu、Debian…",
 * facts §2.4). Derived from the OS name because the instance model has no OS-type field (§2.2).
 */
export function platformOf(osName: string): string {
  const known: Array<[RegExp, string]> = [
    [/windows/i, 'Windows'],
    [/ubuntu/i, 'Ubuntu'],
    [/debian/i, 'Debian'],
    [/centos/i, 'CentOS'],
    [/tencentos|tlinux/i, 'TencentOS'],
    [/opencloudos/i, 'OpenCloudOS'],
    [/rocky/i, 'Rocky Linux'],
    [/alma/i, 'AlmaLinux'],
    [/red ?hat|rhel/i, 'RedHat'],
    [/suse/i, 'SUSE'],
    [/fedora/i, 'Fedora'],
    [/freebsd/i, 'FreeBSD'],
  ];
  for (const [pattern, platform] of known) if (pattern.test(osName)) return platform;
  return 'Other Linux';
}

export function familyOf(osNameOrPlatform: string): OsFamily {
  return /windows/i.test(osNameOrPlatform) ? 'windows' : 'linux';
}

/**
 * The account `ResetInstancesPassword` resets when `UserName` is omitted: "Administrator for
 * Windows, ubuntu for Ubuntu, and root for other systems" (seed; facts §1.1).
 */
export function defaultUserOf(osNameOrPlatform: string): string {
  if (/windows/i.test(osNameOrPlatform)) return 'Administrator';
  if (/ubuntu/i.test(osNameOrPlatform)) return 'ubuntu';
  return 'root';
}

/** Public images every emulated account sees; the generated fleets use these. */
export const PUBLIC_OS_NAMES: readonly string[] = [
  'CentOS 7.9 64bit',
  'CentOS 7.6 64bit',
  'Ubuntu Server 22.04 LTS 64bit',
  'Ubuntu Server 20.04 LTS 64bit',
  'Debian 12.0 64bit',
  'Debian 11.7 64bit',
  'TencentOS Server 3.1 (TK4)',
  'TencentOS Server 2.4',
  'Windows Server 2022 DataCenter 64bit',
  'Windows Server 2019 DataCenter 64bit',
];

function makeImage(imageId: string, osName: string, type: CvmImage['ImageType']): CvmImage {
  const windows = familyOf(osName) === 'windows';
  return {
    ImageId: imageId,
    OsName: osName,
    Platform: platformOf(osName),
    ImageType: type,
    ImageName: osName,
    Architecture: 'x86_64',
    CreatedTime: '2023-03-01T08:00:00Z',
    ImageSize: windows ? 50 : 20,
  };
}

/** All images, global to the emulator (public image IDs are the same in every region). */
export class ImageCatalog {
  private readonly byId = new Map<string, CvmImage>();

  constructor() {
    for (const osName of PUBLIC_OS_NAMES) {
      const id = publicImageId(osName);
      this.byId.set(id, makeImage(id, osName, 'PUBLIC_IMAGE'));
    }
  }

  get(imageId: string): CvmImage | undefined {
    return this.byId.get(imageId);
  }

  all(): CvmImage[] {
    return [...this.byId.values()];
  }

  /**
   * The image an instance seed refers to, registering it when new: a known OS name maps to its
   * public image, any other one gets a private image. Throws when the seed contradicts the
   * catalogue, or when its OS cannot be known at all (empty OsName and unknown image).
   */
  resolve(imageId: string | undefined, osName: string, where: string): CvmImage {
    if (imageId !== undefined) {
      const existing = this.byId.get(imageId);
      if (existing) {
        if (osName !== '' && osName !== existing.OsName) {
          throw new Error(
            `${where}: image ${imageId} is "${existing.OsName}", not "${osName}" (an instance's OsName is its image's)`,
          );
        }
        return existing;
      }
      if (!/^img-[a-z0-9]{8}$/.test(imageId)) {
        throw new Error(
          `${where}: ImageId ${JSON.stringify(imageId)} is not img- followed by 8 of [a-z0-9]`,
        );
      }
      if (osName === '') {
        throw new Error(
          `${where}: the OsName is empty and image ${imageId} is unknown; give ImageOsName so DescribeImages can answer`,
        );
      }
      // An unlisted OS under its stable public ID (as generated fleets use) is a public image.
      const type = imageId === publicImageId(osName) ? 'PUBLIC_IMAGE' : 'PRIVATE_IMAGE';
      const image = makeImage(imageId, osName, type);
      this.byId.set(imageId, image);
      return image;
    }
    if (osName === '') {
      throw new Error(`${where}: the OsName is empty and no ImageId names its image`);
    }
    const publicId = publicImageId(osName);
    const existing = this.byId.get(publicId);
    if (existing) return existing;
    // An OS name outside the built-in list still gets a stable, public-looking image.
    const image = makeImage(publicId, osName, 'PUBLIC_IMAGE');
    this.byId.set(publicId, image);
    return image;
  }
}
