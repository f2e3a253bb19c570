/**
 * The messages between the soak (parent, where the emulator lives) and one rotation run (child
 * process, killed at will). They travel over Node's IPC channel and never carry a password: the
 * child sends step names, counts and statuses only.
 */
import type { ScfContext } from '../../src/handler';

/** What the child needs to run one rotation against the parent's emulator. */
export interface ChildConfig {
  /** The function's environment (ROTATION_*, credentials, endpoints on 127.0.0.1). */
  readonly env: Readonly<Record<string, string>>;
  readonly event: unknown;
  readonly context: ScfContext;
  /**
   * The emulator's clock, so the rotator's "now" equals the emulator's and its waits shrink by
   * `scale`: emulated now = realStart + (Date.now() - realStart) * scale.
   */
  readonly clock: { readonly realStart: number; readonly scale: number };
  /** Checkpoint steps at which the child tells the parent and then pauses `pauseMs` real ms. */
  readonly pauseSteps: readonly string[];
  readonly pauseMs: number;
  /**
   * Only for proving the soak can fail: `skip-persist` silently drops one in five writes of a
   * new password to SSM (so resets apply passwords nobody stored); `leak` prints a reset
   * password on stdout once.
   */
  readonly sabotage?: Sabotage;
}

export type Sabotage = 'skip-persist' | 'leak';
export const SABOTAGES: readonly Sabotage[] = ['skip-persist', 'leak'];

export type ParentMessage = { readonly type: 'start'; readonly config: ChildConfig };

export type ChildMessage =
  /** Modules loaded; waiting for `start`. */
  | { readonly type: 'ready' }
  /** runFromEvent called (the kill clock starts here). */
  | { readonly type: 'started' }
  /** A protocol step boundary; `region` when the step names one. */
  | { readonly type: 'checkpoint'; readonly step: string; readonly region?: string }
  | {
      readonly type: 'finished';
      readonly status: string;
      readonly counts: Readonly<Record<string, number>>;
      readonly errors: readonly string[];
      /** Why instances failed or were skipped: reason (up to its first colon) → count. */
      readonly reasons: Readonly<Record<string, number>>;
    }
  /** runFromEvent rejected: the (already redacted) error name, code and message. */
  | { readonly type: 'rejected'; readonly message: string };

export function isChildMessage(value: unknown): value is ChildMessage {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { type?: unknown }).type === 'string'
  );
}
