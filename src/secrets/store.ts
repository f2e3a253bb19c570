import type { SecretVersion, SsmPort } from '../cloud/ports';
import { CloudError } from '../errors';
import {
  decodeContent,
  encodeContent,
  instanceIdOf,
  newestFirst,
  type SecretContent,
} from './layout';

/** What the rotator knows about one instance's secret before it changes anything. */
export interface SecretState {
  readonly name: string;
  readonly region: string;
  /** Newest first. */
  readonly versions: readonly SecretVersion[];
  /** The newest version's content; undefined when the secret has no version. */
  readonly newest?: { readonly versionId: string; readonly content: SecretContent | undefined };
}

export const isCode = (error: unknown, code: string): boolean =>
  error instanceof CloudError && error.code === code;

/**
 * The protocol's view of where passwords are stored, per instance. Two layouts implement it:
 * one secret per instance (`SecretStore`, the default and the contract of issue [2]) and several
 * instances per secret (`PackedSecretStore`, for regions beyond SSM's 1000-secret quota). The
 * protocol (persist → reset → verify → promote, reconcile) is the same for both.
 */
export interface InstanceSecretStore {
  /** Names (`<prefix>-<instanceId>`) of the instances that have stored passwords in `region`. */
  existing(region: string): Promise<Set<string>>;
  /** How many new SSM secrets storing `count` more instances would create. */
  secretsNeeded(region: string, count: number): number;
  read(region: string, name: string): Promise<SecretState>;
  readContent(region: string, name: string, versionId: string): Promise<SecretContent | undefined>;
  /** Durably stores a new version; resolves only once it is in SSM. */
  put(
    region: string,
    name: string,
    versionId: string,
    content: SecretContent,
    exists: boolean,
  ): Promise<void>;
  update(region: string, name: string, versionId: string, content: SecretContent): Promise<void>;
  remove(region: string, name: string, versionId: string): Promise<void>;
  /**
   * Where an instance's password really lives, for the report: the SSM secret and, given a
   * version of the instance, the SSM version holding it. Empty when nothing is stored yet.
   */
  locate(
    region: string,
    name: string,
    versionId?: string,
  ): { secretName?: string; versionId?: string };
}

/**
 * One secret per instance. Each operation is safe to repeat: a write whose answer was lost is
 * retried by the adapter and then meets `ResourceInUse.*`; that is checked against what we meant
 * to write, never assumed.
 */
export class SecretStore implements InstanceSecretStore {
  constructor(
    private readonly ssm: SsmPort,
    private readonly kmsKeyId?: string,
    private readonly prefix = 'cvm-password',
  ) {}

  async existing(region: string): Promise<Set<string>> {
    const found = await this.ssm.listSecrets(region, `${this.prefix}-ins-`);
    return new Set(
      found.map((s) => s.name).filter((name) => instanceIdOf(this.prefix, name) !== undefined),
    );
  }

  secretsNeeded(_region: string, count: number): number {
    return count;
  }

  locate(_region: string, name: string, versionId?: string) {
    return versionId === undefined ? { secretName: name } : { secretName: name, versionId };
  }

  async read(region: string, name: string): Promise<SecretState> {
    let versions: readonly SecretVersion[];
    try {
      versions = newestFirst(await this.ssm.listVersions(region, name));
    } catch (error) {
      if (isCode(error, 'ResourceNotFound') || isCode(error, 'ResourceNotFound.SecretNotExist')) {
        return { name, region, versions: [] };
      }
      throw error;
    }
    const head = versions[0];
    if (!head) return { name, region, versions };
    const content = decodeContent(await this.ssm.getValue(region, name, head.versionId));
    return { name, region, versions, newest: { versionId: head.versionId, content } };
  }

  async readContent(
    region: string,
    name: string,
    versionId: string,
  ): Promise<SecretContent | undefined> {
    return decodeContent(await this.ssm.getValue(region, name, versionId));
  }

  /** Writes a new version (creating the secret when needed). Idempotent for the same content. */
  async put(
    region: string,
    name: string,
    versionId: string,
    content: SecretContent,
    exists: boolean,
  ): Promise<void> {
    const value = encodeContent(content);
    const confirmSame = async () => {
      const stored = await this.ssm.getValue(region, name, versionId);
      if (stored !== value) {
        throw new CloudError(`secret ${name} already has a different version ${versionId}`, {
          code: 'ResourceInUse.VersionIdExists',
          action: 'PutSecretValue',
          region,
          transient: false,
        });
      }
    };
    try {
      if (exists) {
        await this.ssm.putValue(region, { name, versionId, value });
      } else {
        try {
          await this.ssm.createSecret(region, {
            name,
            versionId,
            value,
            description: `Administrator password of CVM instance ${content.instanceId} (managed by cvm-password-rotator)`,
            ...(this.kmsKeyId ? { kmsKeyId: this.kmsKeyId } : {}),
          });
        } catch (error) {
          // Created by a lost answer to our own retried call, or by a concurrent run.
          if (!isCode(error, 'ResourceInUse.SecretExists')) throw error;
          await this.ssm.putValue(region, { name, versionId, value });
        }
      }
    } catch (error) {
      if (isCode(error, 'ResourceInUse.VersionIdExists')) {
        await confirmSame();
        return;
      }
      throw error;
    }
  }

  /** Overwrites a version's content in place (UpdateSecret); used to record progress. */
  async update(
    region: string,
    name: string,
    versionId: string,
    content: SecretContent,
  ): Promise<void> {
    await this.ssm.updateValue(region, { name, versionId, value: encodeContent(content) });
  }

  /** Deletes a version; a version already gone counts as deleted. */
  async remove(region: string, name: string, versionId: string): Promise<void> {
    try {
      await this.ssm.deleteVersion(region, name, versionId);
    } catch (error) {
      if (isCode(error, 'ResourceNotFound')) return;
      throw error;
    }
  }
}

/**
 * Registers every password the store hands out with the redaction layer, so passwords read back
 * from SSM (an unfinished rotation's, re-applied; the current one, read during discovery) are
 * redacted on every output path exactly like freshly generated ones.
 */
export function redactingStore(
  inner: InstanceSecretStore,
  register: (value: string) => void,
): InstanceSecretStore {
  const seen = (content: SecretContent | undefined) => {
    if (content) register(content.password);
    return content;
  };
  return {
    existing: (region) => inner.existing(region),
    secretsNeeded: (region, count) => inner.secretsNeeded(region, count),
    read: async (region, name) => {
      const state = await inner.read(region, name);
      seen(state.newest?.content);
      return state;
    },
    readContent: async (region, name, versionId) =>
      seen(await inner.readContent(region, name, versionId)),
    put: (region, name, versionId, content, exists) =>
      inner.put(region, name, versionId, content, exists),
    update: (region, name, versionId, content) => inner.update(region, name, versionId, content),
    remove: (region, name, versionId) => inner.remove(region, name, versionId),
    locate: (region, name, versionId) => inner.locate(region, name, versionId),
  };
}
