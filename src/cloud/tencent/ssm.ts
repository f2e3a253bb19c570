import { CloudError } from '../../errors';
import type { ApiLimiter } from '../limiter';
import type { Clock, SecretSummary, SecretVersion, SsmPort } from '../ports';
import { callTencent } from './call';
import type { TencentClients } from './clients';

type Raw = Record<string, unknown>;

function invalid(action: string, region: string, what: string): CloudError {
  return new CloudError(`the answer has ${what}`, {
    code: 'InvalidResponse',
    action,
    region,
    transient: false,
  });
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** ListSecrets pages; the maximum Limit is undocumented (facts §3.1), 100 is accepted. */
const PAGE = 100;

/**
 * SSM 2019-09-23 behind the SsmPort. Every call is paced and retried on transient errors; the
 * writes are made idempotent one level up (secrets/store.ts), because a retried write whose
 * first answer was lost meets `ResourceInUse.*` and must be checked, not trusted.
 */
export class TencentSsm implements SsmPort {
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

  private async call(action: string, region: string, fn: () => Promise<unknown>): Promise<Raw> {
    const result = await callTencent(action, region, fn, {
      limiter: this.limiter,
      clock: this.clock,
      retryable: (e) => e.transient,
      ...(this.beforeSend ? { beforeSend: this.beforeSend } : {}),
    });
    if (typeof result !== 'object' || result === null) throw invalid(action, region, 'no object');
    return result as Raw;
  }

  async listSecrets(region: string, search: string): Promise<readonly SecretSummary[]> {
    const out: SecretSummary[] = [];
    // Paging ends at the first page that is not full, never at TotalCount: one that is too low
    // would skip secrets silently (and with them unfinished rotations). Bounded, so that pages
    // that never end cannot loop forever.
    for (let page = 0; page < 1000; page++) {
      const r = await this.call('ListSecrets', region, () =>
        this.clients
          .ssm(region)
          .ListSecrets({ Offset: page * PAGE, Limit: PAGE, SearchSecretName: search }),
      );
      const list = r.SecretMetadatas;
      if (!Array.isArray(list) || !isCount(r.TotalCount)) {
        throw invalid('ListSecrets', region, 'without SecretMetadatas/TotalCount');
      }
      if (list.length > PAGE) {
        throw invalid('ListSecrets', region, `${list.length} secrets for Limit ${PAGE}`);
      }
      for (const item of list) {
        const m = (typeof item === 'object' && item !== null ? item : {}) as Raw;
        if (typeof m.SecretName !== 'string')
          throw invalid('ListSecrets', region, 'a secret without a name');
        out.push({ name: m.SecretName, status: typeof m.Status === 'string' ? m.Status : '' });
      }
      if (list.length < PAGE) return out;
    }
    throw invalid('ListSecrets', region, 'pages that never end');
  }

  async countSecrets(region: string): Promise<number> {
    const r = await this.call('ListSecrets', region, () =>
      this.clients.ssm(region).ListSecrets({ Offset: 0, Limit: 1 }),
    );
    if (!isCount(r.TotalCount)) throw invalid('ListSecrets', region, 'without a valid TotalCount');
    return r.TotalCount;
  }

  async listVersions(region: string, name: string): Promise<readonly SecretVersion[]> {
    const r = await this.call('ListSecretVersionIds', region, () =>
      this.clients.ssm(region).ListSecretVersionIds({ SecretName: name }),
    );
    // Required: a missing list read as "no versions" would hide an unfinished rotation, and
    // would let the region lock claim an epoch that another run already holds.
    const versions = r.Versions;
    if (!Array.isArray(versions)) throw invalid('ListSecretVersionIds', region, 'no Versions list');
    return versions.map((v) => {
      const m = (typeof v === 'object' && v !== null ? v : {}) as Raw;
      if (typeof m.VersionId !== 'string' || typeof m.CreateTime !== 'number') {
        throw invalid('ListSecretVersionIds', region, 'a malformed version');
      }
      return { versionId: m.VersionId, createTime: m.CreateTime };
    });
  }

  async getValue(region: string, name: string, versionId: string): Promise<string> {
    const r = await this.call('GetSecretValue', region, () =>
      this.clients.ssm(region).GetSecretValue({ SecretName: name, VersionId: versionId }),
    );
    if (typeof r.SecretString !== 'string')
      throw invalid('GetSecretValue', region, 'without SecretString');
    return r.SecretString;
  }

  async createSecret(
    region: string,
    input: {
      name: string;
      versionId: string;
      value: string;
      description: string;
      kmsKeyId?: string;
    },
  ): Promise<void> {
    await this.call('CreateSecret', region, () =>
      this.clients.ssm(region).CreateSecret({
        SecretName: input.name,
        VersionId: input.versionId,
        SecretString: input.value,
        Description: input.description,
        ...(input.kmsKeyId ? { KmsKeyId: input.kmsKeyId } : {}),
      }),
    );
  }

  async putValue(
    region: string,
    input: { name: string; versionId: string; value: string },
  ): Promise<void> {
    await this.call('PutSecretValue', region, () =>
      this.clients.ssm(region).PutSecretValue({
        SecretName: input.name,
        VersionId: input.versionId,
        SecretString: input.value,
      }),
    );
  }

  async updateValue(
    region: string,
    input: { name: string; versionId: string; value: string },
  ): Promise<void> {
    await this.call('UpdateSecret', region, () =>
      this.clients.ssm(region).UpdateSecret({
        SecretName: input.name,
        VersionId: input.versionId,
        SecretString: input.value,
      }),
    );
  }

  async deleteVersion(region: string, name: string, versionId: string): Promise<void> {
    await this.call('DeleteSecretVersion', region, () =>
      this.clients.ssm(region).DeleteSecretVersion({ SecretName: name, VersionId: versionId }),
    );
  }
}
