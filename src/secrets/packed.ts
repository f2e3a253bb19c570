import type { Clock, SecretVersion, SsmPort } from '../cloud/ports';
import { CloudError } from '../errors';
import {
  instanceIdOf,
  newestFirst,
  type SecretContent,
  secretName,
  type VersionStatus,
  versionIdFor,
} from './layout';
import { type InstanceSecretStore, isCode, type SecretState } from './store';

/**
 * The packed layout (`ROTATION_SECRET_LAYOUT=packed`): up to PACK_CAPACITY instances per SSM
 * secret, for regions with more instances than SSM's 1000-secrets-per-region quota allows
 * (facts §3.1). Secrets are named `<prefix>-pack-0001`, `-0002`, … in each region.
 *
 * Each pack version is a JSON snapshot of every instance in the pack: its `current` password and,
 * while a rotation is unfinished, its `pending` one. A run writes ONE new version per pack (the
 * first write of the run), then overwrites that version in place as its instances progress; the
 * previous version keeps the passwords that were current before the run, so at every moment the
 * actual password of each instance is in the newest or the previous version. Writes to one pack
 * are serialised and coalesced (group commit): many instances' changes share one request, and a
 * caller's promise resolves only once a write that includes its change is stored.
 *
 * To the protocol each instance still looks like its own secret `<prefix>-<instanceId>` with at
 * most two versions (pending, current), so persist → reset → verify → promote and reconciliation
 * run unchanged. After a completed run, the newest version of the pack holds, for every instance
 * in it, `current.password` equal to the instance's actual password.
 */

/** 50 entries of at most ~300 bytes each stay well under SSM's 32 KB per value. */
export const PACK_CAPACITY = 50;
const MAX_VALUE_BYTES = 30 * 1024;
/** How long a write waits for other changes to join it (rotator ms). */
const GATHER_MS = 25;

interface Slot {
  password: string;
  versionId: string;
  status: VersionStatus;
  runId: string;
  createdAt: string;
  requestId?: string;
  verifiedAt?: string;
}

interface Entry {
  userName: string;
  osFamily: 'linux' | 'windows';
  current?: Slot;
  pending?: Slot;
}

export interface PackContent {
  schema: 1;
  layout: 'packed';
  pack: string;
  region: string;
  runId: string;
  writtenAt: string;
  entries: Record<string, Entry>;
}

interface Pack {
  readonly name: string;
  readonly region: string;
  entries: Map<string, Entry>;
  /** Newest first, as stored when loaded. */
  versions: SecretVersion[];
  exists: boolean;
  /** This run's version of the pack, once written. */
  runVersionId?: string;
  generation: number;
  written: number;
  writing?: Promise<void>;
  waiters: Array<{ generation: number; resolve: () => void; reject: (e: unknown) => void }>;
}

const PACK_NAME = /-pack-(\d{4})$/;

/** An instance's slot in a pack, in the per-instance content shape the protocol works with. */
function slotContent(instanceId: string, region: string, entry: Entry, slot: Slot): SecretContent {
  return {
    schema: 1,
    password: slot.password,
    userName: entry.userName,
    instanceId,
    region,
    osFamily: entry.osFamily,
    status: slot.status,
    runId: slot.runId,
    createdAt: slot.createdAt,
    ...(slot.requestId ? { requestId: slot.requestId } : {}),
    ...(slot.verifiedAt ? { verifiedAt: slot.verifiedAt } : {}),
  };
}

export function decodePack(text: string): PackContent | undefined {
  try {
    const value = JSON.parse(text) as PackContent;
    if (
      value?.schema !== 1 ||
      value.layout !== 'packed' ||
      typeof value.entries !== 'object' ||
      value.entries === null
    ) {
      return undefined;
    }
    return value;
  } catch {
    return undefined;
  }
}

export class PackedSecretStore implements InstanceSecretStore {
  private readonly regions = new Map<string, Promise<Map<string, Pack>>>();
  /** instanceId → pack, per region. */
  private readonly index = new Map<string, Map<string, Pack>>();

  constructor(
    private readonly ssm: SsmPort,
    private readonly prefix: string,
    private readonly runId: string,
    private readonly clock: Clock,
    /** Pack versions kept before a new one is added (the previous passwords of every instance). */
    private readonly keepVersions: number,
    private readonly kmsKeyId?: string,
  ) {}

  private runTag(): string {
    return this.runId.slice(-12).replace(/[^A-Za-z0-9]/g, '');
  }

  private load(region: string): Promise<Map<string, Pack>> {
    let loading = this.regions.get(region);
    if (!loading) {
      loading = this.loadRegion(region);
      this.regions.set(region, loading);
    }
    return loading;
  }

  private async loadRegion(region: string): Promise<Map<string, Pack>> {
    const packs = new Map<string, Pack>();
    const byInstance = new Map<string, Pack>();
    const names = (await this.ssm.listSecrets(region, `${this.prefix}-pack-`))
      .map((s) => s.name)
      .filter((name) => name.startsWith(`${this.prefix}-pack-`) && PACK_NAME.test(name));
    await Promise.all(
      names.map(async (name) => {
        const versions = newestFirst(await this.ssm.listVersions(region, name));
        const pack: Pack = {
          name,
          region,
          entries: new Map(),
          versions,
          exists: true,
          generation: 0,
          written: 0,
          waiters: [],
        };
        const head = versions[0];
        if (head) {
          const content = decodePack(await this.ssm.getValue(region, name, head.versionId));
          if (!content) {
            // Never build on a pack version this rotator did not write.
            throw new CloudError(`pack ${name} has an unrecognised newest version`, {
              code: 'UnrecognisedSecretContent',
              action: 'GetSecretValue',
              region,
              transient: false,
            });
          }
          for (const [id, entry] of Object.entries(content.entries)) pack.entries.set(id, entry);
        }
        packs.set(name, pack);
      }),
    );
    for (const pack of packs.values())
      for (const id of pack.entries.keys()) byInstance.set(id, pack);
    this.index.set(region, byInstance);
    return packs;
  }

  async existing(region: string): Promise<Set<string>> {
    await this.load(region);
    const out = new Set<string>();
    for (const [id, pack] of this.index.get(region) ?? []) {
      const entry = pack.entries.get(id);
      if (entry?.current || entry?.pending) out.add(secretName(this.prefix, id));
    }
    return out;
  }

  secretsNeeded(region: string, count: number): number {
    const packs = [...(this.index.get(region)?.values() ?? [])];
    const seen = new Set<Pack>(packs);
    let room = 0;
    for (const pack of seen) room += Math.max(0, PACK_CAPACITY - pack.entries.size);
    return Math.ceil(Math.max(0, count - room) / PACK_CAPACITY);
  }

  private entryOf(region: string, name: string): { id: string; pack?: Pack; entry?: Entry } {
    const id = instanceIdOf(this.prefix, name);
    if (!id) throw new Error(`not an instance secret name: ${name}`);
    const pack = this.index.get(region)?.get(id);
    return { id, ...(pack ? { pack, entry: pack.entries.get(id) } : {}) };
  }

  async read(region: string, name: string): Promise<SecretState> {
    await this.load(region);
    const { id, entry } = this.entryOf(region, name);
    if (!entry) return { name, region, versions: [] };
    // Virtual versions: the pending one (if any) is newer than the current one.
    const versions: SecretVersion[] = [];
    if (entry.pending) versions.push({ versionId: entry.pending.versionId, createTime: 2 });
    if (entry.current) versions.push({ versionId: entry.current.versionId, createTime: 1 });
    const head = entry.pending ?? entry.current;
    if (!head) return { name, region, versions };
    return {
      name,
      region,
      versions,
      newest: { versionId: head.versionId, content: slotContent(id, region, entry, head) },
    };
  }

  async readContent(
    region: string,
    name: string,
    versionId: string,
  ): Promise<SecretContent | undefined> {
    await this.load(region);
    const { id, entry } = this.entryOf(region, name);
    if (!entry) return undefined;
    const slot = [entry.pending, entry.current].find((s) => s?.versionId === versionId);
    return slot ? slotContent(id, region, entry, slot) : undefined;
  }

  private slotFrom(versionId: string, content: SecretContent): Slot {
    return {
      password: content.password,
      versionId,
      status: content.status,
      runId: content.runId,
      createdAt: content.createdAt,
      ...(content.requestId ? { requestId: content.requestId } : {}),
      ...(content.verifiedAt ? { verifiedAt: content.verifiedAt } : {}),
    };
  }

  /**
   * The pack an instance without an entry goes into: the first with room, or a new one.
   * Synchronous, and the caller fills the entry at once, so concurrent puts never overfill a pack.
   */
  private assign(packs: Map<string, Pack>, region: string, id: string): Pack {
    const index = this.index.get(region) as Map<string, Pack>;
    const existing = index.get(id);
    if (existing) return existing;
    let pack = [...packs.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .find((p) => p.entries.size < PACK_CAPACITY);
    if (!pack) {
      const numbers = [...packs.keys()].map((n) => Number(PACK_NAME.exec(n)?.[1] ?? 0));
      const next = Math.max(0, ...numbers) + 1;
      const name = `${this.prefix}-pack-${String(next).padStart(4, '0')}`;
      pack = {
        name,
        region,
        entries: new Map(),
        versions: [],
        exists: false,
        generation: 0,
        written: 0,
        waiters: [],
      };
      packs.set(name, pack);
    }
    index.set(id, pack);
    return pack;
  }

  async put(
    region: string,
    name: string,
    versionId: string,
    content: SecretContent,
  ): Promise<void> {
    const packs = await this.load(region);
    const id = instanceIdOf(this.prefix, name);
    if (!id) throw new Error(`not an instance secret name: ${name}`);
    const pack = this.assign(packs, region, id);
    const entry: Entry = pack.entries.get(id) ?? {
      userName: content.userName,
      osFamily: content.osFamily,
    };
    entry.userName = content.userName;
    entry.osFamily = content.osFamily;
    const slot = this.slotFrom(versionId, content);
    entry.pending = slot;
    pack.entries.set(id, entry);
    try {
      await this.write(pack);
    } catch (error) {
      // Not stored, so never reset: forget it, so no later write of the pack stores it either.
      if (entry.pending === slot) delete entry.pending;
      throw error;
    }
  }

  async update(
    region: string,
    name: string,
    versionId: string,
    content: SecretContent,
  ): Promise<void> {
    await this.load(region);
    const { pack, entry } = this.entryOf(region, name);
    if (!pack || !entry) throw new Error(`no stored password for ${name}`);
    const slot = this.slotFrom(versionId, content);
    if (entry.pending?.versionId === versionId) {
      if (content.status === 'current') {
        entry.current = slot;
        delete entry.pending;
      } else {
        entry.pending = slot;
      }
    } else if (entry.current?.versionId === versionId) {
      entry.current = slot;
    } else {
      return;
    }
    await this.write(pack);
  }

  async remove(region: string, name: string, versionId: string): Promise<void> {
    await this.load(region);
    const { pack, entry } = this.entryOf(region, name);
    // Only an unapplied pending password is ever removed; pack history is pruned per pack.
    if (!pack || !entry || entry.pending?.versionId !== versionId) return;
    delete entry.pending;
    await this.write(pack);
  }

  locate(
    region: string,
    name: string,
    versionId?: string,
  ): { secretName?: string; versionId?: string } {
    const id = instanceIdOf(this.prefix, name);
    const pack = id ? this.index.get(region)?.get(id) : undefined;
    if (!pack) return {};
    const packVersion = pack.runVersionId ?? pack.versions[0]?.versionId;
    return versionId === undefined || packVersion === undefined
      ? { secretName: pack.name }
      : { secretName: pack.name, versionId: packVersion };
  }

  /** Group commit: resolves once a write that includes the current state of `pack` is stored. */
  private write(pack: Pack): Promise<void> {
    pack.generation++;
    const generation = pack.generation;
    const done = new Promise<void>((resolve, reject) =>
      pack.waiters.push({ generation, resolve, reject }),
    );
    if (!pack.writing) pack.writing = this.writer(pack);
    return done;
  }

  private async writer(pack: Pack): Promise<void> {
    await this.clock.sleep(GATHER_MS);
    while (pack.written < pack.generation) {
      const generation = pack.generation;
      try {
        await this.store(pack, this.snapshot(pack));
        pack.written = generation;
        this.settle(pack, generation);
      } catch (error) {
        pack.written = generation;
        this.settle(pack, generation, error);
      }
    }
    // Cleared in the same synchronous step as the last check above, so a change arriving now
    // starts a new writer instead of waiting on this finished one.
    pack.writing = undefined;
  }

  private settle(pack: Pack, generation: number, error?: unknown): void {
    const ready = pack.waiters.filter((w) => w.generation <= generation);
    pack.waiters = pack.waiters.filter((w) => w.generation > generation);
    for (const w of ready) {
      if (error === undefined) w.resolve();
      else w.reject(error);
    }
  }

  private snapshot(pack: Pack): string {
    const content: PackContent = {
      schema: 1,
      layout: 'packed',
      pack: pack.name,
      region: pack.region,
      runId: this.runId,
      writtenAt: new Date(this.clock.now()).toISOString(),
      entries: Object.fromEntries([...pack.entries].sort(([a], [b]) => a.localeCompare(b))),
    };
    const text = JSON.stringify(content);
    if (Buffer.byteLength(text) > MAX_VALUE_BYTES) {
      throw new Error(`pack ${pack.name} would exceed ${MAX_VALUE_BYTES} bytes`);
    }
    return text;
  }

  private async store(pack: Pack, value: string): Promise<void> {
    const region = pack.region;
    if (pack.runVersionId) {
      await this.ssm.updateValue(region, { name: pack.name, versionId: pack.runVersionId, value });
      return;
    }
    // First write of this run: make room (the newest version is always kept: it holds every
    // unfinished pending password), then add this run's version.
    const doomed = pack.versions.slice(Math.max(1, this.keepVersions));
    for (const v of doomed) {
      try {
        await this.ssm.deleteVersion(region, pack.name, v.versionId);
      } catch (error) {
        if (!isCode(error, 'ResourceNotFound')) throw error;
      }
    }
    pack.versions = pack.versions.slice(0, Math.max(1, this.keepVersions));
    const versionId = versionIdFor(this.clock.now(), this.runTag());
    try {
      if (pack.exists) {
        await this.ssm.putValue(region, { name: pack.name, versionId, value });
      } else {
        try {
          await this.ssm.createSecret(region, {
            name: pack.name,
            versionId,
            value,
            description: `Administrator passwords of up to ${PACK_CAPACITY} CVM instances (managed by cvm-password-rotator, packed layout)`,
            ...(this.kmsKeyId ? { kmsKeyId: this.kmsKeyId } : {}),
          });
        } catch (error) {
          if (!isCode(error, 'ResourceInUse.SecretExists')) throw error;
          await this.ssm.putValue(region, { name: pack.name, versionId, value });
        }
        pack.exists = true;
      }
    } catch (error) {
      // Our own retried write whose first answer was lost: the version is this run's, so bring
      // it up to date in place.
      if (!isCode(error, 'ResourceInUse.VersionIdExists')) throw error;
      await this.ssm.updateValue(region, { name: pack.name, versionId, value });
    }
    pack.runVersionId = versionId;
    pack.versions = [
      { versionId, createTime: Math.floor(this.clock.now() / 1000) },
      ...pack.versions,
    ];
  }
}

/** One instance's password versions as kept across a pack's versions (for the operator CLI). */
export interface PackedHistory {
  readonly secretName: string;
  /** Newest first: pack versions newest first, in each the pending slot before the current one. */
  readonly versions: ReadonlyArray<SecretVersion & { readonly content: SecretContent }>;
}

/**
 * Finds the pack holding `instanceId` in `region` and lists the instance's versions across the
 * pack's versions (each slot once). Undefined when no pack holds the instance.
 */
export async function readPackedHistory(
  ssm: SsmPort,
  region: string,
  prefix: string,
  instanceId: string,
): Promise<PackedHistory | undefined> {
  const names = (await ssm.listSecrets(region, `${prefix}-pack-`))
    .map((s) => s.name)
    .filter((name) => name.startsWith(`${prefix}-pack-`) && PACK_NAME.test(name))
    .sort();
  for (const name of names) {
    const packVersions = newestFirst(await ssm.listVersions(region, name));
    const head = packVersions[0];
    if (!head) continue;
    const newest = decodePack(await ssm.getValue(region, name, head.versionId));
    if (!newest?.entries[instanceId]) continue;
    const versions: Array<SecretVersion & { content: SecretContent }> = [];
    const seen = new Set<string>();
    for (const packVersion of packVersions) {
      const content =
        packVersion === head
          ? newest
          : decodePack(await ssm.getValue(region, name, packVersion.versionId));
      const entry = content?.entries[instanceId];
      if (!entry) continue;
      for (const slot of [entry.pending, entry.current]) {
        if (!slot || seen.has(slot.versionId)) continue;
        seen.add(slot.versionId);
        versions.push({
          versionId: slot.versionId,
          createTime: packVersion.createTime,
          content: slotContent(instanceId, region, entry, slot),
        });
      }
    }
    return { secretName: name, versions };
  }
  return undefined;
}
