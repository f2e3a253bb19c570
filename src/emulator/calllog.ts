/** One request as the emulator saw it; secret-bearing parameters are replaced by `***`. */
export interface CallRecord {
  readonly seq: number;
  /** Emulated ms. */
  readonly at: number;
  readonly action: string;
  readonly version: string;
  readonly region: string;
  readonly requestId: string;
  readonly params: Record<string, unknown>;
  /** Error code answered, `DroppedConnection` for a drop, undefined for success. */
  readonly error?: string;
  /**
   * Set when the action ran and changed state but its answer was withheld (`dropAfterRate`):
   * the client saw a network error for a call that succeeded.
   */
  readonly responseDropped?: boolean;
}

const SECRET_KEYS = new Set([
  'Password',
  'SecretString',
  'SecretBinary',
  'Signature',
  'Token',
  'SecretId',
]);

export function redactParams(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactParams);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) {
      out[key] = SECRET_KEYS.has(key) ? '***' : redactParams(inner);
    }
    return out;
  }
  return value;
}

/**
 * Collects every secret value the emulator received (reset passwords, secret strings and any
 * `password` field inside a JSON secret string) so tests can scan all output for them.
 */
export class SecretSink {
  private readonly values = new Set<string>();

  addPassword(value: string): void {
    if (value.length > 0) this.values.add(value);
  }

  addSecretString(value: string): void {
    this.addPassword(value);
    try {
      this.collect(JSON.parse(value));
    } catch {
      // not JSON: the raw value is enough
    }
  }

  private collect(value: unknown): void {
    if (Array.isArray(value)) {
      for (const item of value) this.collect(item);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, inner] of Object.entries(value)) {
        if (typeof inner === 'string' && /password/i.test(key)) this.addPassword(inner);
        else this.collect(inner);
      }
    }
  }

  all(): string[] {
    return [...this.values];
  }
}
