/**
 * `show` and `history`: read an instance's secret through the rotator's own SSM adapter and
 * secret layout (TencentSsm + SecretStore), with the function's configuration (credentials,
 * ROTATION_REGIONS, ROTATION_SECRET_PREFIX, ROTATION_SSM_ENDPOINT). Passwords stay in memory;
 * only `show --reveal` prints one.
 */
import { ApiLimiter } from '../../cloud/limiter';
import { type SecretVersion, systemClock } from '../../cloud/ports';
import { TencentClients } from '../../cloud/tencent/clients';
import { TencentSsm } from '../../cloud/tencent/ssm';
import { type RunConfig, resolveRunConfig } from '../../config';
import { INSTANCE_ID_PATTERN, quote, regionProblem } from '../../config/rules';
import { isCloudError } from '../../errors';
import { newestFirst, type SecretContent, secretName } from '../../secrets/layout';
import { readPackedHistory } from '../../secrets/packed';
import { SecretStore } from '../../secrets/store';
import { fields, list, table, unixTime } from '../format';
import { type CliIo, EXIT, type ExitCode } from '../io';
import { functionEnv, UsageError } from '../options';

export interface ReadFlags {
  readonly region?: string;
  readonly endpoint?: string;
  readonly json?: boolean;
}

export interface ShowFlags extends ReadFlags {
  readonly reveal?: boolean;
  /** Show this version instead of the newest (e.g. the previous password, to roll back). */
  readonly versionId?: string;
}

export const REVEAL_WARNING =
  'cvm-rotator: WARNING: the password is now on your screen and in your terminal scrollback. ' +
  'Clear them when done, and rotate this instance again after use (cvm-rotator rotate --instance-ids …).\n';

export interface Located {
  readonly config: RunConfig;
  /** The content of one of `versions` (either layout). */
  readonly read: (versionId: string) => Promise<SecretContent | undefined>;
  readonly name: string;
  readonly region: string;
  /** Newest first, by the contract's rule (CreateTime desc, then VersionId desc). */
  readonly versions: readonly SecretVersion[];
}

/**
 * Resolves the configuration for one instance (ROTATION_TAGS is not needed when an instance is
 * named) and finds its secret in `--region` or every region of ROTATION_REGIONS. Returns the
 * exit code instead when there is no such secret.
 */
export async function withSecret(
  instanceId: string,
  flags: ReadFlags,
  io: CliIo,
  use: (found: Located) => Promise<ExitCode>,
): Promise<ExitCode> {
  // Checked here so that problems name the argument and flag, not event keys.
  const problems: string[] = [];
  if (!INSTANCE_ID_PATTERN.test(instanceId)) {
    problems.push(
      `<instanceId>: ${quote(instanceId)} is not a CVM instance id (ins- followed by 8 lowercase letters or digits)`,
    );
  }
  const regionIssue = flags.region === undefined ? undefined : regionProblem(flags.region);
  if (regionIssue) problems.push(`--region: ${regionIssue.message}`);
  if (problems.length > 0) throw new UsageError(problems);

  const config = resolveRunConfig(functionEnv(io.env, flags.endpoint), {
    instanceIds: [instanceId],
    ...(flags.region === undefined ? {} : { regions: [flags.region] }),
  });
  const clients = new TencentClients({
    credentials: config.credentials,
    ...(config.endpoints.ssm ? { ssmEndpoint: config.endpoints.ssm } : {}),
  });
  try {
    const ssm = new TencentSsm(clients, new ApiLimiter(systemClock), systemClock);
    const store = new SecretStore(ssm, config.kmsKeyId, config.secretPrefix);
    let name = secretName(config.secretPrefix, instanceId);
    const packed = config.secretLayout === 'packed';
    const found = await Promise.all(
      config.regions.map(async (region) => {
        if (packed) {
          // Packed layout: the instance's versions live inside a shared pack secret.
          const history = await readPackedHistory(ssm, region, config.secretPrefix, instanceId);
          if (!history) return { region, versions: [] as SecretVersion[] };
          const contents = new Map(history.versions.map((v) => [v.versionId, v.content]));
          return {
            region,
            name: history.secretName,
            versions: history.versions.map(({ versionId, createTime }) => ({
              versionId,
              createTime,
            })),
            read: async (versionId: string) => contents.get(versionId),
          };
        }
        try {
          return { region, versions: newestFirst(await ssm.listVersions(region, name)) };
        } catch (error) {
          if (isCloudError(error) && error.code.startsWith('ResourceNotFound')) {
            return { region, versions: [] as SecretVersion[] };
          }
          throw error;
        }
      }),
    );
    const hits = found.filter((f) => f.versions.length > 0);
    const [hit, ...others] = hits;
    if (!hit) {
      io.stderr.write(
        `cvm-rotator: no secret ${name} with a version in ${list([...config.regions])}. ` +
          'Is the instance in another region (--region), or was it never rotated? ' +
          '(`cvm-rotator plan --instance-ids …` tells)\n',
      );
      return EXIT.failed;
    }
    if (others.length > 0) {
      io.stderr.write(
        `cvm-rotator: note: ${name} also exists in ${list(others.map((o) => o.region))}; showing ${hit.region} (choose with --region)\n`,
      );
    }
    if ('name' in hit && hit.name) name = hit.name;
    const region = hit.region;
    return await use({
      config,
      read:
        'read' in hit && hit.read
          ? hit.read
          : (versionId) => store.readContent(region, name, versionId),
      name,
      region,
      versions: hit.versions,
    });
  } finally {
    clients.close();
  }
}

/** The metadata of one version; never the password. */
function metadata(found: Located, versionId: string, content: SecretContent | undefined) {
  const version = found.versions.find((v) => v.versionId === versionId);
  return {
    secretName: found.name,
    region: found.region,
    versionId,
    newest: found.versions[0]?.versionId === versionId,
    status: content?.status ?? 'unrecognised',
    userName: content?.userName,
    rotatedAt: content ? (content.verifiedAt ?? content.createdAt) : undefined,
    createdAt: version ? unixTime(version.createTime) : undefined,
    runId: content?.runId,
    requestId: content?.requestId,
    versions: found.versions.length,
  };
}

/** `show <instanceId>`: the current secret's metadata; the password only with --reveal. */
export async function show(instanceId: string, flags: ShowFlags, io: CliIo): Promise<ExitCode> {
  return withSecret(instanceId, flags, io, async (found) => {
    const versionId = flags.versionId ?? found.versions[0]?.versionId ?? '';
    if (!found.versions.some((v) => v.versionId === versionId)) {
      io.stderr.write(
        `cvm-rotator: ${found.name} in ${found.region} has no version ${quote(versionId)}; see \`cvm-rotator history ${instanceId}\`\n`,
      );
      return EXIT.failed;
    }
    const content = await found.read(versionId);
    const meta = { instanceId, ...metadata(found, versionId, content) };

    if (content === undefined) {
      io.stderr.write(
        `cvm-rotator: version ${versionId} of ${found.name} was not written by the rotator (not its JSON layout); ` +
          'read it with `tccli ssm GetSecretValue` if you trust it\n',
      );
    } else if (meta.newest && content.status !== 'current') {
      // The rule "newest = current" holds once a run completes; this one did not (yet).
      const current = await previousCurrent(found);
      io.stderr.write(
        `cvm-rotator: WARNING: the newest version is ${content.status}: a rotation is running or was interrupted, ` +
          `so the instance has either this password or ${current ? `the previous one (version ${current}, --version-id ${current})` : 'an older one'}. ` +
          `The next run reconciles it: cvm-rotator rotate --instance-ids ${instanceId}\n`,
      );
    }
    if (flags.reveal && content === undefined) return EXIT.failed;

    const password = flags.reveal ? content?.password : undefined;
    if (password !== undefined) io.stderr.write(REVEAL_WARNING);
    if (flags.json) {
      io.stdout.write(
        `${JSON.stringify({ ...meta, ...(password === undefined ? {} : { password }) }, null, 2)}\n`,
      );
      return EXIT.ok;
    }
    const rows: Array<[string, unknown]> = [
      ['Instance', instanceId],
      ['Secret', `${meta.secretName} (${meta.region})`],
      ['Version', `${versionId}${meta.newest ? ' (newest)' : ' (not the newest)'}`],
      ['Status', meta.status],
      ['User', meta.userName ?? '-'],
      ['Rotated at', meta.rotatedAt ?? '-'],
      ['Run', meta.runId ?? '-'],
      ['Reset request', meta.requestId ?? '-'],
      ['Versions kept', meta.versions],
    ];
    if (password !== undefined) rows.push(['Password', password]);
    io.stdout.write(fields(rows));
    return EXIT.ok;
  });
}

/** The newest version whose content says `current`, below a newest one that does not. */
export async function previousCurrent(found: Located): Promise<string | undefined> {
  for (const version of found.versions.slice(1)) {
    const content = await found.read(version.versionId);
    if (content?.status === 'current') return version.versionId;
  }
  return undefined;
}

/** `history <instanceId>`: every version kept, newest first; never a password. */
export async function history(instanceId: string, flags: ReadFlags, io: CliIo): Promise<ExitCode> {
  return withSecret(instanceId, flags, io, async (found) => {
    const rows = await Promise.all(
      found.versions.map(async (version) => {
        const content = await found.read(version.versionId);
        return {
          versionId: version.versionId,
          createTime: version.createTime,
          created: unixTime(version.createTime),
          status: content?.status ?? 'unrecognised',
          userName: content?.userName,
          runId: content?.runId,
          requestId: content?.requestId,
          verifiedAt: content?.verifiedAt,
        };
      }),
    );
    if (flags.json) {
      io.stdout.write(
        `${JSON.stringify({ instanceId, secretName: found.name, region: found.region, versions: rows }, null, 2)}\n`,
      );
      return EXIT.ok;
    }
    io.stdout.write(
      `${found.name} (${found.region}): ${rows.length} version${rows.length === 1 ? '' : 's'}, newest first\n\n`,
    );
    io.stdout.write(
      table(
        ['VERSION', 'CREATED', 'STATUS', 'USER', 'RUN', 'RESET REQUEST'],
        rows.map((r) => [
          r.versionId,
          r.created,
          r.status,
          r.userName ?? '-',
          r.runId ?? '-',
          r.requestId ?? '-',
        ]),
      ),
    );
    io.stdout.write(
      '\nThe first row is the current password once its run has completed (newest CreateTime, then VersionId).\n' +
        `Read an older one (to roll back): cvm-rotator show ${instanceId} --version-id <VERSION> --reveal\n`,
    );
    return EXIT.ok;
  });
}
