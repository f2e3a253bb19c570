import { ApiError } from '../errors';
import type { ParamSpec } from '../params';
import type { Random } from '../random';
import type { ActionContext, ActionDef } from '../types';
import type { SecretStatus, SecretVersionRecord } from './model';
import {
  checkDescription,
  checkEnum,
  checkSecretName,
  checkSecretValue,
  checkVersionId,
  DEFAULT_VERSION_ID,
  invalid,
  LIST_DEFAULT_LIMIT,
  LIST_MAX_LIMIT,
  MAX_RECOVERY_WINDOW_DAYS,
} from './rules';
import type { SecretStore, StoredSecret } from './store';

/**
 * The SSM 2019-09-23 actions. Parameter specs list every field of the
 * `tencentcloud-sdk-nodejs-ssm` 4.1.263 request models (`ssm_models.d.ts`), required exactly where
 * the model is, so a valid SDK call never meets `UnknownParameter`; fields the emulator cannot
 * act on (KMS keys, HSM clusters, SSH-key options) are accepted and stored or ignored.
 *
 * Error codes follow facts §3.1/§3.4 and the per-action "可能返回的错误码" lists of the Go SDK
 * (`tencentcloud/ssm/v20190923/client.go`). Where the docs name no code for a situation, the
 * choice is marked [I] and listed in docs/emulator-ssm.md.
 */

/** The account UIN the emulator answers as `CreateUin` (the real one is the caller's). */
export const EMULATOR_UIN = 100000000001;

export interface SsmActionDeps {
  readonly store: SecretStore;
  /** Drives the ListSecretVersionIds scramble; separate from the server's PRNG. */
  readonly random: Random;
}

const S = { type: 'String' } as const;
const S_REQ = { type: 'String', required: true } as const;
const I = { type: 'Integer' } as const;
const B = { type: 'Boolean' } as const;

const NAME_ONLY: ParamSpec = { SecretName: S_REQ };

const SPECS = {
  CreateSecret: {
    SecretName: S_REQ,
    VersionId: S,
    Description: S,
    KmsKeyId: S,
    SecretType: I,
    SecretBinary: S,
    SecretString: S,
    AdditionalConfig: S,
    Tags: { type: { array: { object: { TagKey: S_REQ, TagValue: S_REQ } } } },
    KmsHsmClusterId: S,
    EncryptType: I,
  },
  PutSecretValue: { SecretName: S_REQ, VersionId: S_REQ, SecretBinary: S, SecretString: S },
  UpdateSecret: { SecretName: S_REQ, VersionId: S_REQ, SecretBinary: S, SecretString: S },
  GetSecretValue: { SecretName: S_REQ, VersionId: S_REQ },
  DescribeSecret: NAME_ONLY,
  ListSecretVersionIds: NAME_ONLY,
  DeleteSecretVersion: { SecretName: S_REQ, VersionId: S_REQ },
  ListSecrets: {
    Offset: I,
    Limit: I,
    OrderType: I,
    State: I,
    SearchSecretName: S,
    TagFilters: {
      type: { array: { object: { TagKey: S_REQ, TagValue: { type: { array: 'String' } } } } },
    },
    SecretType: I,
    ProductName: S,
    EncryptType: I,
  },
  DeleteSecret: { SecretName: S_REQ, RecoveryWindowInDays: I, CleanSSHKey: B },
  EnableSecret: NAME_ONLY,
  DisableSecret: NAME_ONLY,
  RestoreSecret: NAME_ONLY,
  UpdateDescription: { SecretName: S_REQ, Description: S_REQ },
  GetServiceStatus: {},
} satisfies Record<string, ParamSpec>;

export type SsmActionName = keyof typeof SPECS;

// Parameters arrive validated against SPECS, so these reads only narrow the types.
const str = (params: Record<string, unknown>, key: string): string | undefined =>
  typeof params[key] === 'string' ? params[key] : undefined;
const num = (params: Record<string, unknown>, key: string): number | undefined =>
  typeof params[key] === 'number' ? params[key] : undefined;

function nameOf(params: Record<string, unknown>): string {
  return checkSecretName(str(params, 'SecretName') ?? '');
}

function failed(message: string): ApiError {
  return new ApiError('FailedOperation', message);
}

/** Get/Put/Update refuse a secret scheduled for deletion with the dedicated code (facts §3.4). */
function pendingDeleted(secret: StoredSecret): ApiError {
  return new ApiError(
    'ResourceUnavailable.ResourcePendingDeleted',
    `The secret \`${secret.SecretName}\` is scheduled for deletion.`,
  );
}

function versionOf(secret: StoredSecret, versionId: string): SecretVersionRecord {
  const version = secret.versions.get(versionId);
  if (version === undefined) {
    throw new ApiError(
      'ResourceNotFound',
      `The version \`${versionId}\` of secret \`${secret.SecretName}\` does not exist.`,
    );
  }
  return version;
}

function parseTags(params: Record<string, unknown>): Array<{ TagKey: string; TagValue: string }> {
  const raw = params.Tags;
  if (!Array.isArray(raw)) return [];
  const tags: Array<{ TagKey: string; TagValue: string }> = [];
  const seen = new Set<string>();
  for (const item of raw as Array<{ TagKey: string; TagValue: string }>) {
    if (item.TagKey === '') throw invalid('A TagKey must not be empty.');
    if (seen.has(item.TagKey)) {
      throw new ApiError(
        'InvalidParameterValue.TagKeysDuplicated',
        `The tag key \`${item.TagKey}\` is given twice.`,
      );
    }
    seen.add(item.TagKey);
    tags.push({ TagKey: item.TagKey, TagValue: item.TagValue });
  }
  return tags;
}

/** JSON.parse without an `any` leak; only validity matters. */
function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Versions in a deliberately non-insertion order. The API promises no order (its own example
 * lists v2.0 before v1.0, facts §3.1), so a client must sort by CreateTime itself; a seeded
 * shuffle that is never the insertion order — nor, from three versions on, its reverse — makes a
 * client that relies on either fail its tests instead of production.
 */
function scrambled<T>(items: readonly T[], random: Random): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(0, i);
    const a = out[i] as T;
    out[i] = out[j] as T;
    out[j] = a;
  }
  const same = (other: readonly T[]) => other.every((item, i) => out[i] === item);
  const reversed = [...items].reverse();
  if (out.length >= 2 && (same(items) || (out.length >= 3 && same(reversed)))) {
    // Rotating by one is neither order: for n = 2 it is the reverse, for n >= 3 neither.
    out.push(out.shift() as T);
  }
  return out;
}

/** ListSecrets State filter: 4 PendingCreate / 5 CreateFailed exist only for product secrets. */
const STATE_FILTER: Readonly<Record<number, SecretStatus | 'all' | 'none'>> = {
  0: 'all',
  1: 'Enabled',
  2: 'Disabled',
  3: 'PendingDelete',
  4: 'none',
  5: 'none',
};

export function createSsmActions(deps: SsmActionDeps): Record<SsmActionName, ActionDef> {
  const { store, random } = deps;
  const limits = store.limits;

  const def = (
    name: SsmActionName,
    run: (params: Record<string, unknown>, ctx: ActionContext) => Record<string, unknown>,
  ): ActionDef => ({ params: SPECS[name], regional: true, run });

  const describeFields = (secret: StoredSecret): Record<string, unknown> => ({
    SecretName: secret.SecretName,
    Description: secret.Description,
    KmsKeyId: secret.KmsKeyId,
    CreateUin: EMULATOR_UIN,
    Status: secret.Status,
    DeleteTime: secret.DeleteTime,
    CreateTime: secret.CreateTime,
    // Only custom secrets (type 0) exist in the emulator; the fields below describe product,
    // SSH-key and API-key secrets and carry their empty values.
    SecretType: 0,
    ProductName: 'default',
    ResourceID: '',
    RotationStatus: false,
    RotationFrequency: 0,
    ResourceName: '',
    ProjectID: 0,
    AssociatedInstanceIDs: [],
    TargetUin: 0,
    AdditionalConfig: secret.AdditionalConfig,
    EncryptType: secret.EncryptType,
    EncryptSwitching: false,
    CreateUinString: String(EMULATOR_UIN),
    TargetUinString: '',
    // Newer than the Node 4.1.263 model (Go SDK, facts §3.1); API-key and rotation secrets only.
    AccountInfoList: [],
    NextRotationTime: 0,
  });

  const metadataFields = (secret: StoredSecret): Record<string, unknown> => ({
    SecretName: secret.SecretName,
    Description: secret.Description,
    KmsKeyId: secret.KmsKeyId,
    CreateUin: EMULATOR_UIN,
    Status: secret.Status,
    DeleteTime: secret.DeleteTime,
    CreateTime: secret.CreateTime,
    KmsKeyType: secret.KmsKeyId === '' ? 'DEFAULT' : 'CUSTOMER',
    // An int here, a bool in DescribeSecret (facts §3.1).
    RotationStatus: 0,
    NextRotationTime: 0,
    SecretType: 0,
    ProductName: 'default',
    ResourceName: '',
    ProjectID: 0,
    AssociatedInstanceIDs: [],
    TargetUin: 0,
    RotationFrequency: 0,
    ResourceID: '',
    RotationBeginTime: '',
    EncryptType: secret.EncryptType,
    EncryptSwitching: false,
    CreateUinString: String(EMULATOR_UIN),
    TargetUinString: '',
  });

  return {
    CreateSecret: def('CreateSecret', (params, ctx) => {
      const name = nameOf(params);
      // "若为空…则该版本号默认为 SSM_Current": absent and "" both mean the default.
      const versionId = checkVersionId(str(params, 'VersionId') || DEFAULT_VERSION_ID);
      const description = checkDescription(str(params, 'Description') ?? '');
      const value = checkSecretValue(params, limits.valueBytes);
      // [I] CreateSecret creates custom secrets ("默认为0自定义凭据"); the other types have
      // their own create actions and are not emulated.
      checkEnum(params, 'SecretType', [0], 0);
      const encryptType = checkEnum(params, 'EncryptType', [0, 1], 0);
      const additionalConfig = str(params, 'AdditionalConfig') ?? '';
      if (additionalConfig !== '' && !isJson(additionalConfig)) {
        throw invalid('The AdditionalConfig must be a JSON string.');
      }
      const tags = parseTags(params);

      const secrets = store.region(ctx.region);
      if (secrets.has(name)) {
        throw new ApiError('ResourceInUse.SecretExists', `The secret \`${name}\` already exists.`);
      }
      // "每个Region最多可创建存储1000个凭据信息"; PendingDelete secrets still exist, so they count.
      if (secrets.size >= limits.secretsPerRegion) {
        throw new ApiError(
          'LimitExceeded',
          `A region holds at most ${limits.secretsPerRegion} secrets.`,
        );
      }
      const now = store.nowSeconds();
      secrets.set(name, {
        SecretName: name,
        region: ctx.region,
        Status: 'Enabled',
        Description: description,
        KmsKeyId: str(params, 'KmsKeyId') ?? '',
        CreateTime: now,
        DeleteTime: 0,
        Tags: tags,
        versions: new Map([[versionId, { VersionId: versionId, CreateTime: now, ...value }]]),
        AdditionalConfig: additionalConfig,
        EncryptType: encryptType,
      });
      // Tagging is reported apart from the secret (facts §3.1); the emulator's tagging never fails.
      return { SecretName: name, VersionId: versionId, TagCode: 0, TagMsg: 'ok' };
    }),

    PutSecretValue: def('PutSecretValue', (params, ctx) => {
      const name = nameOf(params);
      const versionId = checkVersionId(str(params, 'VersionId') ?? '');
      const value = checkSecretValue(params, limits.valueBytes);
      const secret = store.require(ctx.region, name);
      // "只能对处于Enabled 和 Disabled 状态的凭据添加新的版本".
      if (secret.Status === 'PendingDelete') throw pendingDeleted(secret);
      if (secret.versions.has(versionId)) {
        throw new ApiError(
          'ResourceInUse.VersionIdExists',
          `The version \`${versionId}\` of secret \`${name}\` already exists.`,
        );
      }
      // "一个凭据下最多可以支持10个版本". Nothing is evicted: the docs describe no rolling
      // deletion, so the 11th version is refused and the client must DeleteSecretVersion first.
      if (secret.versions.size >= limits.versionsPerSecret) {
        throw new ApiError(
          'LimitExceeded',
          `A secret holds at most ${limits.versionsPerSecret} versions.`,
        );
      }
      secret.versions.set(versionId, {
        VersionId: versionId,
        CreateTime: store.nowSeconds(),
        ...value,
      });
      return { SecretName: name, VersionId: versionId };
    }),

    UpdateSecret: def('UpdateSecret', (params, ctx) => {
      const name = nameOf(params);
      const versionId = checkVersionId(str(params, 'VersionId') ?? '');
      const value = checkSecretValue(params, limits.valueBytes);
      const secret = store.require(ctx.region, name);
      // "仅允许更新Enabled 和 Disabled 状态的凭据".
      if (secret.Status === 'PendingDelete') throw pendingDeleted(secret);
      const old = versionOf(secret, versionId);
      // "对新的凭据内容加密后覆盖旧的内容": an in-place overwrite. [I] The version keeps its
      // CreateTime, since it is the same version and the docs mention no update time.
      secret.versions.set(versionId, {
        VersionId: versionId,
        CreateTime: old.CreateTime,
        ...value,
      });
      return { SecretName: name, VersionId: versionId };
    }),

    GetSecretValue: def('GetSecretValue', (params, ctx) => {
      const name = nameOf(params);
      const versionId = checkVersionId(str(params, 'VersionId') ?? '');
      const secret = store.require(ctx.region, name);
      if (secret.Status === 'Disabled') {
        throw new ApiError(
          'ResourceUnavailable.ResourceDisabled',
          `The secret \`${name}\` is disabled.`,
        );
      }
      if (secret.Status === 'PendingDelete') throw pendingDeleted(secret);
      const version = versionOf(secret, versionId);
      // "只有一个不为空": the official example answers the unset one as "".
      return {
        SecretName: name,
        VersionId: versionId,
        SecretBinary: version.SecretBinary ?? '',
        SecretString: version.SecretString ?? '',
      };
    }),

    DescribeSecret: def('DescribeSecret', (params, ctx) =>
      describeFields(store.require(ctx.region, nameOf(params))),
    ),

    ListSecretVersionIds: def('ListSecretVersionIds', (params, ctx) => {
      const secret = store.require(ctx.region, nameOf(params));
      const versions = [...secret.versions.values()].map((v) => ({
        VersionId: v.VersionId,
        CreateTime: v.CreateTime,
      }));
      return { SecretName: secret.SecretName, Versions: scrambled(versions, random) };
    }),

    DeleteSecretVersion: def('DeleteSecretVersion', (params, ctx) => {
      const name = nameOf(params);
      const versionId = checkVersionId(str(params, 'VersionId') ?? '');
      // "对所有状态下的凭据版本都可以删除": no status check.
      const secret = store.require(ctx.region, name);
      versionOf(secret, versionId);
      secret.versions.delete(versionId);
      return { SecretName: name, VersionId: versionId };
    }),

    ListSecrets: def('ListSecrets', (params, ctx) => {
      const offset = num(params, 'Offset') ?? 0;
      if (offset < 0) throw invalid('The Offset must not be negative.');
      const limit = num(params, 'Limit') || LIST_DEFAULT_LIMIT;
      if (limit < 0 || limit > LIST_MAX_LIMIT) {
        throw invalid(`The Limit must be between 0 and ${LIST_MAX_LIMIT}.`);
      }
      const orderType = checkEnum(params, 'OrderType', [0, 1], 0);
      const state = STATE_FILTER[checkEnum(params, 'State', [0, 1, 2, 3, 4, 5], 0)] ?? 'all';
      const secretType = checkEnum(params, 'SecretType', [0, 1, 2, 3, 4], 0);
      const encryptType = num(params, 'EncryptType');
      if (encryptType !== undefined) checkEnum(params, 'EncryptType', [0, 1], 0);
      const search = str(params, 'SearchSecretName') ?? '';
      const tagFilters = Array.isArray(params.TagFilters)
        ? (params.TagFilters as Array<{ TagKey: string; TagValue?: string[] }>)
        : [];

      // Only custom secrets exist, so any other SecretType, and the product-only states, match
      // nothing. ProductName "仅在SecretType参数值为1时生效" and is therefore ignored.
      const matches =
        secretType !== 0 || state === 'none'
          ? []
          : [...store.region(ctx.region).values()].filter(
              (s) =>
                (state === 'all' || s.Status === state) &&
                (encryptType === undefined || s.EncryptType === encryptType) &&
                s.SecretName.includes(search) &&
                // Filters AND; a filter's values OR; a filter without values means "has the key".
                tagFilters.every((f) =>
                  s.Tags.some(
                    (t) =>
                      t.TagKey === f.TagKey &&
                      (f.TagValue === undefined ||
                        f.TagValue.length === 0 ||
                        f.TagValue.includes(t.TagValue)),
                  ),
                ),
            );
      // "根据创建时间的排序方式，0或者不设置则使用降序排序， 1 表示升序排序". Ties (same second) are
      // broken by name in the same direction, so that pages never overlap or skip. [I]
      const direction = orderType === 1 ? 1 : -1;
      matches.sort(
        (a, b) =>
          direction *
          (a.CreateTime - b.CreateTime ||
            (a.SecretName < b.SecretName ? -1 : a.SecretName > b.SecretName ? 1 : 0)),
      );
      return {
        TotalCount: matches.length,
        SecretMetadatas: matches.slice(offset, offset + limit).map(metadataFields),
      };
    }),

    DeleteSecret: def('DeleteSecret', (params, ctx) => {
      const name = nameOf(params);
      const days = num(params, 'RecoveryWindowInDays') ?? 0;
      if (days < 0 || days > MAX_RECOVERY_WINDOW_DAYS) {
        throw invalid(
          `The RecoveryWindowInDays must be between 0 and ${MAX_RECOVERY_WINDOW_DAYS}.`,
        );
      }
      const secret = store.require(ctx.region, name);
      // "您必须先通过 DisableSecret 停用凭据后才可以进行（计划）删除操作". [I] FailedOperation is the
      // only refusal code DeleteSecret's error list offers (no OperationDenied there).
      if (secret.Status === 'Enabled') {
        throw failed(
          `The secret \`${name}\` must be disabled (DisableSecret) before it is deleted.`,
        );
      }
      // [I] A scheduled deletion is not rescheduled or hurried; RestoreSecret first.
      if (secret.Status === 'PendingDelete') {
        throw failed(`The secret \`${name}\` is already scheduled for deletion.`);
      }
      const now = store.nowSeconds();
      if (days === 0) {
        store.region(ctx.region).delete(name);
        return { SecretName: name, DeleteTime: now };
      }
      secret.Status = 'PendingDelete';
      secret.DeleteTime = now + days * 86_400;
      store.scheduleDeletion(ctx.region, secret.DeleteTime);
      return { SecretName: name, DeleteTime: secret.DeleteTime };
    }),

    EnableSecret: def('EnableSecret', (params, ctx) => {
      const secret = store.require(ctx.region, nameOf(params));
      // "处于PendingDelete状态的凭据不能直接开启，需要通过RestoreSecret 恢复后再开启使用".
      if (secret.Status === 'PendingDelete') {
        throw failed(
          `The secret \`${secret.SecretName}\` is scheduled for deletion; restore it first.`,
        );
      }
      secret.Status = 'Enabled';
      return { SecretName: secret.SecretName };
    }),

    DisableSecret: def('DisableSecret', (params, ctx) => {
      const secret = store.require(ctx.region, nameOf(params));
      // [I] Disabling must not cancel a scheduled deletion (that is RestoreSecret's job).
      if (secret.Status === 'PendingDelete') {
        throw failed(`The secret \`${secret.SecretName}\` is scheduled for deletion.`);
      }
      secret.Status = 'Disabled';
      return { SecretName: secret.SecretName };
    }),

    RestoreSecret: def('RestoreSecret', (params, ctx) => {
      const secret = store.require(ctx.region, nameOf(params));
      if (secret.Status !== 'PendingDelete') {
        throw failed(`The secret \`${secret.SecretName}\` is not scheduled for deletion.`);
      }
      // "取消计划删除的凭据将处于Disabled 状态".
      secret.Status = 'Disabled';
      secret.DeleteTime = 0;
      return { SecretName: secret.SecretName };
    }),

    UpdateDescription: def('UpdateDescription', (params, ctx) => {
      const name = nameOf(params);
      const description = checkDescription(str(params, 'Description') ?? '');
      const secret = store.require(ctx.region, name);
      // "仅能修改Enabled 和 Disabled 状态的凭据"; FailedOperation is in its error list. [I]
      if (secret.Status === 'PendingDelete') {
        throw failed(`The secret \`${name}\` is scheduled for deletion.`);
      }
      secret.Description = description;
      return { SecretName: name };
    }),

    GetServiceStatus: def('GetServiceStatus', (_params, ctx) => ({
      // The official example answers these three; the rest are informative extras.
      ServiceEnabled: true,
      InvalidType: 1,
      AccessKeyEscrowEnabled: false,
      SecretLimit: limits.secretsPerRegion,
      TotalCount: store.region(ctx.region).size,
    })),
  };
}
