import { ApiError } from '../errors';
import type { ActionContext, ActionDef } from '../types';
import type { InstanceStateName } from './model';
import { type OsFamily, passwordProblem, ruleForBatch } from './passwordRules';
import { type CvmInstance, type CvmStore, checkInstanceIds } from './store';

/** "不得超过64个字符" (facts §1.1). */
export const MAX_USER_NAME = 64;

/**
 * Why each state refuses a reset (facts §1.3: the codes are ResetInstancesPassword's current
 * list; the state → code mapping is [I]). STOPPED and RUNNING are decided separately because
 * they depend on StopChargingMode and ForceStop.
 */
const STATE_ERRORS: Readonly<
  Record<Exclude<InstanceStateName, 'STOPPED' | 'RUNNING'>, [string, string]>
> = {
  PENDING: ['UnsupportedOperation.InstanceStatePending', 'is still being created'],
  LAUNCH_FAILED: ['InvalidInstance.NotSupported', 'failed to launch'],
  STARTING: ['UnsupportedOperation.InstanceStateStarting', 'is starting'],
  STOPPING: ['UnsupportedOperation.InstanceStateStopping', 'is stopping'],
  REBOOTING: ['UnsupportedOperation.InstanceStateRebooting', 'is rebooting'],
  // SHUTDOWN is "停止待销毁": isolated, waiting for destruction, not merely stopped (facts §1.3).
  SHUTDOWN: ['UnsupportedOperation.InstanceStateShutdown', 'is isolated (SHUTDOWN)'],
  TERMINATING: ['UnsupportedOperation.InstanceStateTerminating', 'is being terminated'],
  ENTER_RESCUE_MODE: [
    'UnsupportedOperation.InstanceStateEnterRescueMode',
    'is entering rescue mode',
  ],
  RESCUE_MODE: ['UnsupportedOperation.InstanceStateRescueMode', 'is in rescue mode'],
  EXIT_RESCUE_MODE: ['UnsupportedOperation.InstanceStateExitRescueMode', 'is leaving rescue mode'],
  ENTER_SERVICE_LIVE_MIGRATE: [
    'UnsupportedOperation.InstanceStateServiceLiveMigrate',
    'is starting a live migration',
  ],
  SERVICE_LIVE_MIGRATE: [
    'UnsupportedOperation.InstanceStateServiceLiveMigrate',
    'is being live-migrated',
  ],
  EXIT_SERVICE_LIVE_MIGRATE: [
    'UnsupportedOperation.InstanceStateServiceLiveMigrate',
    'is finishing a live migration',
  ],
};

/** The error one instance of the batch raises, or undefined when it may be reset. */
function refusal(instance: CvmInstance, forceStop: boolean): ApiError | undefined {
  const id = instance.InstanceId;
  if (instance.LatestOperationState === 'OPERATING') {
    return new ApiError(
      'OperationDenied.InstanceOperationInProgress',
      `The instance ${id} is executing another operation (${instance.LatestOperation ?? 'unknown'}); try again later.`,
    );
  }
  const state = instance.InstanceState;
  if (state === 'STOPPED') {
    if (instance.StopChargingMode === 'STOP_CHARGING') {
      return new ApiError(
        'UnsupportedOperation.StoppedModeStopCharging',
        `The instance ${id} is stopped in the no-charge-when-stopped mode (STOP_CHARGING), which does not support this operation.`,
      );
    }
    return undefined;
  }
  if (state === 'RUNNING') {
    // "重置处于运行中状态的实例密码，需要设置关机参数ForceStop为TRUE" (facts §1.2).
    if (forceStop) return undefined;
    return new ApiError(
      'UnsupportedOperation.InstanceStateRunning',
      `The instance ${id} is running; set ForceStop to reset its password.`,
    );
  }
  const [code, why] = STATE_ERRORS[state];
  return new ApiError(
    code,
    `The instance ${id} ${why}; the operation is not supported in state ${state}.`,
  );
}

export function resetInstancesPassword(store: CvmStore): ActionDef {
  return {
    regional: true,
    params: {
      InstanceIds: { type: { array: 'String' }, required: true },
      Password: { type: 'String', required: true },
      UserName: { type: 'String' },
      ForceStop: { type: 'Boolean' },
    },
    run(params, ctx: ActionContext) {
      const instanceIds = params.InstanceIds as string[];
      const password = params.Password as string;
      const rawUser = params.UserName as string | undefined;
      const forceStop = (params.ForceStop as boolean | undefined) ?? false;

      // Checks run cheapest-first and stop at the first failure: the whole batch is refused with
      // one code and nothing changes (facts §1.2, legacy doc "操作会以特定错误码返回").
      if (instanceIds.length === 0) {
        throw new ApiError(
          'MissingParameter',
          'The request is missing a required parameter `InstanceIds`.',
        );
      }
      checkInstanceIds(instanceIds);
      if (rawUser !== undefined && [...rawUser].length > MAX_USER_NAME) {
        throw new ApiError(
          'InvalidParameterValue.TooLong',
          `UserName must not exceed ${MAX_USER_NAME} characters.`,
        );
      }
      const userName = rawUser === '' ? undefined : rawUser;

      // [I] A repeated ID means the same instance once: the caller's intent is unambiguous and
      // the reset is idempotent per instance within one call.
      const region = store.regionView(ctx.region);
      const instances: CvmInstance[] = [];
      for (const id of new Set(instanceIds)) {
        const instance = region.get(id);
        if (!instance) {
          // Another region's instance is as unknown as a deleted one: the API is regional.
          throw new ApiError('InvalidInstanceId.NotFound', `The instance ${id} does not exist.`);
        }
        instances.push(instance);
      }

      const families = new Set<OsFamily>(instances.map((i) => store.osFamily(i)));
      const rule = ruleForBatch(families);
      // The users whose names the Windows rule keeps out of the password: every user the batch
      // resets, since a mixed batch is held to the Windows rule as a whole.
      const users = new Set(instances.map((i) => userName ?? i.DefaultLoginUser));
      const problem = passwordProblem(password, rule, [...users]);
      if (problem !== undefined) {
        throw new ApiError('InvalidParameterValue.InvalidPassword', `Invalid password. ${problem}`);
      }

      for (const instance of instances) {
        const error = refusal(instance, forceStop);
        if (error) throw error;
      }

      store.startReset(instances, { password, userName, requestId: ctx.requestId }, forceStop);
      return {};
    },
  };
}
