import type { InstanceInfo } from '../cloud/ports';

/** Stable skip reasons, as they appear in the report and the audit log. */
export const SkipReason = {
  excluded: 'excluded-by-tag',
  running: 'running-without-force-stop',
  stopCharging: 'stopped-in-stop-charging-mode',
  operationInProgress: 'operation-in-progress',
  deferred: 'deferred',
  notTagged: 'not-tagged-for-rotation',
} as const;

export const stateReason = (state: string): string => `state-not-resettable:${state}`;

/**
 * Why an instance must not be reset now, or undefined when it may be. The rules mirror the API's
 * own refusals (facts §1.3) so that one doomed instance never fails a whole batch of 100:
 * RUNNING needs ForceStop, STOPPED in STOP_CHARGING mode is refused, an operation in progress is
 * refused, and every other state has its own UnsupportedOperation code.
 */
export function resetBlocker(instance: InstanceInfo, forceStop: boolean): string | undefined {
  if (instance.latestOperationState === 'OPERATING') return SkipReason.operationInProgress;
  if (instance.state === 'RUNNING') return forceStop ? undefined : SkipReason.running;
  if (instance.state === 'STOPPED') {
    return instance.stopChargingMode === 'STOP_CHARGING' ? SkipReason.stopCharging : undefined;
  }
  return stateReason(instance.state);
}

export const isExcluded = (instance: InstanceInfo, excludeTag: string): boolean =>
  instance.tags.some((t) => t.key === excludeTag);
