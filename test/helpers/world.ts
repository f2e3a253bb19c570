import {
  DEFAULT_CREDENTIAL,
  type Emulator,
  type EmulatorOptions,
  startEmulator,
} from '../../src/emulator';
import { type RunOptions, runFromEvent, type ScfContext } from '../../src/handler';
import type { RunReport } from '../../src/protocol/report';

/** Every emulator a test file started, so the leak scan knows every password they received. */
const started: Emulator[] = [];
/** Output the helpers captured instead of printing (log lines, reports, errors): scanned too. */
const captured: string[] = [];

export function capturedOutput(): string {
  return captured.join('\n');
}

export async function startTestEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emulator = await startEmulator(options);
  started.push(emulator);
  return emulator;
}

export function allReceivedSecrets(): string[] {
  return started.flatMap((e) => e.state.receivedSecrets());
}

/** The function's environment pointing at the emulator, as SCF would set it (its own names). */
export function envFor(
  emulator: Emulator,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    TENCENTCLOUD_SECRETID: DEFAULT_CREDENTIAL.secretId,
    TENCENTCLOUD_SECRETKEY: DEFAULT_CREDENTIAL.secretKey,
    TENCENTCLOUD_REGION: 'ap-guangzhou',
    ROTATION_TAGS: 'rotation=enabled',
    ROTATION_CVM_ENDPOINT: emulator.url,
    ROTATION_SSM_ENDPOINT: emulator.url,
    ...extra,
  };
}

export interface Invocation {
  report: RunReport;
  lines: string[];
  /** Parsed audit events. */
  events: Array<Record<string, unknown>>;
}

export const timerEvent = (message = '') => ({
  Type: 'Timer',
  TriggerName: 'nightly',
  Time: '2026-11-29T03:00:00Z',
  Message: message,
});

export const context = (overrides: Partial<ScfContext> = {}): ScfContext => ({
  request_id: 'req-test',
  function_name: 'cvm-password-rotator',
  time_limit_in_ms: 900_000,
  memory_limit_in_mb: 256,
  tencentcloud_region: 'ap-guangzhou',
  ...overrides,
});

/** Invokes the handler as SCF would, capturing its log lines. */
export async function invoke(
  emulator: Emulator,
  event: unknown,
  env: Record<string, string> = {},
  options: Omit<RunOptions, 'env' | 'write'> = {},
  ctx: ScfContext = context(),
): Promise<Invocation> {
  const lines: string[] = [];
  let report: RunReport;
  try {
    report = await runFromEvent(event, ctx, {
      ...options,
      env: envFor(emulator, env),
      write: (line) => lines.push(line),
    });
  } catch (error) {
    captured.push(...lines, String(error), (error as Error).stack ?? '');
    throw error;
  }
  captured.push(...lines, JSON.stringify(report));
  return { report, lines, events: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Invokes and expects a rejection; returns the error and the lines logged. */
export async function invokeRejected(
  emulator: Emulator,
  event: unknown,
  env: Record<string, string> = {},
): Promise<{ error: Error; lines: string[] }> {
  const lines: string[] = [];
  try {
    await runFromEvent(event, context(), {
      env: envFor(emulator, env),
      write: (line) => lines.push(line),
    });
  } catch (error) {
    captured.push(...lines, String(error), (error as Error).stack ?? '');
    return { error: error as Error, lines };
  }
  throw new Error('expected the invocation to reject');
}

/** Mutating actions: none may even be attempted on invalid input. */
export const MUTATING_ACTIONS = new Set([
  'ResetInstancesPassword',
  'CreateSecret',
  'PutSecretValue',
  'UpdateSecret',
  'DeleteSecretVersion',
  'DeleteSecret',
  'EnableSecret',
  'DisableSecret',
  'UpdateDescription',
  'RestoreSecret',
]);

export function mutatingCalls(emulator: Emulator): number {
  return emulator.state.calls().filter((c) => MUTATING_ACTIONS.has(c.action)).length;
}
