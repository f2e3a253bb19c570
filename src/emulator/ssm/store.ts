import type { Clock } from '../clock';
import { ApiError } from '../errors';
import type { SecretRecord, SsmLimits, SsmState } from './model';

/** What the emulator keeps beyond the shared model: fields DescribeSecret echoes back. */
export interface StoredSecret extends SecretRecord {
  /** CreateSecret `AdditionalConfig` (a JSON string), '' when not given. */
  AdditionalConfig: string;
  /** CreateSecret `EncryptType`: 0 KMS (default), 1 software key. */
  EncryptType: number;
}

interface RegionStore {
  readonly secrets: Map<string, StoredSecret>;
  /** Earliest DeleteTime (unix s) of a PendingDelete secret, Infinity when none; may be stale-low. */
  nextPurge: number;
}

/**
 * Secrets per region, keyed by name (facts §3.1: "同一region内不可重复" — names are unique per
 * region only, so `ap-guangzhou/x` and `ap-shanghai/x` are two secrets).
 *
 * Scheduled deletion is lazy: "超出指定删除日期之后会被彻底删除" (DeleteSecret doc) is honoured by
 * purging expired PendingDelete secrets whenever a region is read. A timer could not do it: a
 * 30-day window overflows setTimeout, and emulated time may run faster than real time.
 */
export class SecretStore implements SsmState {
  private readonly regions = new Map<string, RegionStore>();

  constructor(
    private readonly clock: Clock,
    readonly limits: SsmLimits,
  ) {}

  /** Emulated now in unix seconds, the unit every SSM timestamp uses. */
  nowSeconds(): number {
    return Math.floor(this.clock.now() / 1000);
  }

  /** The secrets of a region (created on first use), expired scheduled deletions removed. */
  region(region: string): Map<string, StoredSecret> {
    let store = this.regions.get(region);
    if (store === undefined) {
      store = { secrets: new Map(), nextPurge: Number.POSITIVE_INFINITY };
      this.regions.set(region, store);
    }
    this.purge(store);
    return store.secrets;
  }

  /** A secret or `ResourceNotFound`, the code every SSM action lists for an unknown name. */
  require(region: string, name: string): StoredSecret {
    const secret = this.region(region).get(name);
    if (secret === undefined) {
      throw new ApiError('ResourceNotFound', `The secret \`${name}\` does not exist.`);
    }
    return secret;
  }

  /** Records a new scheduled deletion so the lazy purge knows when to look again. */
  scheduleDeletion(region: string, deleteTime: number): void {
    const store = this.regions.get(region);
    if (store !== undefined) store.nextPurge = Math.min(store.nextPurge, deleteTime);
  }

  private purge(store: RegionStore): void {
    const now = this.nowSeconds();
    if (now < store.nextPurge) return;
    let next = Number.POSITIVE_INFINITY;
    for (const [name, secret] of store.secrets) {
      if (secret.Status !== 'PendingDelete') continue;
      if (secret.DeleteTime <= now) store.secrets.delete(name);
      else next = Math.min(next, secret.DeleteTime);
    }
    store.nextPurge = next;
  }

  // SsmState: test-only inspection.

  secret(region: string, name: string): SecretRecord | undefined {
    return this.region(region).get(name);
  }

  secrets(region?: string): SecretRecord[] {
    if (region !== undefined) return [...this.region(region).values()];
    const out: SecretRecord[] = [];
    for (const name of this.regions.keys()) out.push(...this.region(name).values());
    return out;
  }
}
