/** SSM secret model (facts/tencent-cloud-api.md §3). */

export type SecretStatus = 'Enabled' | 'Disabled' | 'PendingDelete';

export interface SecretVersionRecord {
  VersionId: string;
  /** Unix seconds, as the API answers. */
  CreateTime: number;
  SecretString?: string;
  SecretBinary?: string;
}

export interface SecretRecord {
  SecretName: string;
  region: string;
  Status: SecretStatus;
  Description: string;
  KmsKeyId: string;
  /** Unix seconds. */
  CreateTime: number;
  /** Unix seconds; 0 unless PendingDelete. */
  DeleteTime: number;
  Tags: Array<{ TagKey: string; TagValue: string }>;
  /** Insertion order; the API promises no order for ListSecretVersionIds. */
  versions: Map<string, SecretVersionRecord>;
}

export interface SsmLimits {
  /** 1000 per region (CreateSecret doc). */
  secretsPerRegion: number;
  /** 10 per secret (PutSecretValue doc). */
  versionsPerSecret: number;
  /** 32 KB per SecretString/SecretBinary. */
  valueBytes: number;
}

export const DEFAULT_SSM_LIMITS: SsmLimits = {
  secretsPerRegion: 1000,
  versionsPerSecret: 10,
  valueBytes: 32 * 1024,
};

/** Test-only inspection of the emulated Secrets Manager. */
export interface SsmState {
  secret(region: string, name: string): SecretRecord | undefined;
  secrets(region?: string): SecretRecord[];
  readonly limits: SsmLimits;
}
