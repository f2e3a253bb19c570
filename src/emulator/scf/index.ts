import type { ServiceDef } from '../types';
import { invokeAction } from './invoke';
import type { ScfFunctions, ScfState } from './model';
import { ScfRuntime } from './runtime';

export { MAX_EVENT_BYTES, SCF_ERRORS } from './invoke';
export type {
  InvocationStatus,
  InvocationType,
  ScfFunction,
  ScfFunctions,
  ScfInvocation,
  ScfInvocationContext,
  ScfState,
} from './model';

/**
 * The emulated SCF 2018-04-16 with its one action, `Invoke`, over the functions the caller
 * registered.
 */
export function createScf(functions: ScfFunctions): { service: ServiceDef; state: ScfState } {
  const runtime = new ScfRuntime(functions);
  return {
    service: {
      version: '2018-04-16',
      name: 'SCF',
      // SCF uses the common InternalError (its Invoke list: InternalError, InternalError.System).
      internalErrorCode: 'InternalError',
      actions: { Invoke: invokeAction(runtime) },
    },
    state: runtime,
  };
}
