import type { Server } from 'node:http';
import type { ServiceDef } from '../types';
import { deferSyncAnswers } from './defer';
import { invokeAction, type PendingAnswers } from './invoke';
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
 * registered. `attach(server)` must be called on the emulator's HTTP server so that synchronous
 * invocations can wait for their function (see ./defer.ts).
 */
export function createScf(functions: ScfFunctions): {
  service: ServiceDef;
  state: ScfState;
  attach(server: Server): void;
} {
  const runtime = new ScfRuntime(functions);
  const pending: PendingAnswers = new Map();
  return {
    service: {
      version: '2018-04-16',
      name: 'SCF',
      // SCF uses the common InternalError (its Invoke list: InternalError, InternalError.System).
      internalErrorCode: 'InternalError',
      actions: { Invoke: invokeAction(runtime, pending) },
    },
    state: runtime,
    attach: (server) => deferSyncAnswers(server, pending),
  };
}
