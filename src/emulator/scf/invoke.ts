import { ApiError } from '../errors';
import type { ActionDef } from '../types';
import type { InvocationType } from './model';
import { DEFAULT_QUALIFIERS, type ScfRuntime } from './runtime';

/**
 * ClientContext limits: "同步调用最大支持 6MB，异步调用最大支持 128 KB" (InvokeRequest.ClientContext
 * in tencentcloud-sdk-nodejs-scf's scf_models.d.ts; facts/tencent-cloud-api.md §6).
 */
export const MAX_EVENT_BYTES: Readonly<Record<InvocationType, number>> = {
  Event: 128 * 1024,
  RequestResponse: 6 * 1024 * 1024,
};

/**
 * SCF function names: letters, digits, `_` and `-`, starting with a letter, ending with a letter
 * or digit, 2–60 characters (CreateFunction.FunctionName in the SCF API).
 */
const FUNCTION_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]$/;

/**
 * Error codes. Invoke's own list (tencentcloud-sdk-go `tencentcloud/scf/v20180416/client.go`,
 * "可能返回的错误码") has `InvalidParameter.FunctionName`, `InvalidParameterValue` and
 * `ResourceNotFound.Function`; the rest come from the list of InvokeFunction, its synchronous
 * twin in the same file (`InvalidParameterValue.ClientContext` "运行函数时的参数传入有误",
 * `InvalidParameter.RequestTooLarge`, `ResourceNotFound.Qualifier`).
 */
export const SCF_ERRORS = {
  functionName: 'InvalidParameter.FunctionName',
  value: 'InvalidParameterValue',
  clientContext: 'InvalidParameterValue.ClientContext',
  tooLarge: 'InvalidParameter.RequestTooLarge',
  function: 'ResourceNotFound.Function',
  qualifier: 'ResourceNotFound.Qualifier',
} as const;

/** Synchronous answers waiting for their function, by the API call's RequestId. */
function parseEvent(text: string | undefined): unknown {
  // No ClientContext: the handler receives an empty object, as from a console test with `{}`.
  if (text === undefined || text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    // The text itself is not quoted back: it is the caller's event and may be anything.
    throw new ApiError(SCF_ERRORS.clientContext, 'ClientContext must be a JSON string.');
  }
}

/**
 * `Invoke` (SCF 2018-04-16). `Event` answers at once with the FunctionRequestId and runs the
 * handler in the background; `RequestResponse` (the API's default) answers with the handler's
 * result, so its answer is a promise the server awaits.
 */
export function invokeAction(runtime: ScfRuntime): ActionDef {
  return {
    regional: true,
    params: {
      FunctionName: { type: 'String', required: true },
      InvocationType: { type: 'String' },
      Qualifier: { type: 'String' },
      ClientContext: { type: 'String' },
      LogType: { type: 'String' },
      Namespace: { type: 'String' },
      RoutingKey: { type: 'String' },
    },
    run(params, ctx) {
      const functionName = params.FunctionName as string;
      if (!FUNCTION_NAME.test(functionName)) {
        throw new ApiError(
          SCF_ERRORS.functionName,
          'FunctionName must be 2-60 letters, digits, "_" or "-", starting with a letter and ending with a letter or digit.',
        );
      }
      const type = (params.InvocationType as string | undefined) ?? 'RequestResponse';
      if (type !== 'Event' && type !== 'RequestResponse') {
        throw new ApiError(SCF_ERRORS.value, 'InvocationType must be RequestResponse or Event.');
      }
      const logType = (params.LogType as string | undefined) ?? 'None';
      if (logType !== 'None' && logType !== 'Tail') {
        throw new ApiError(SCF_ERRORS.value, 'LogType must be None or Tail.');
      }
      const namespace = (params.Namespace as string | undefined) || 'default';
      const qualifier = (params.Qualifier as string | undefined) || '$LATEST';
      const fn = runtime.lookup(namespace, functionName);
      if (!fn) {
        throw new ApiError(
          SCF_ERRORS.function,
          `The function \`${functionName}\` does not exist in namespace \`${namespace}\`.`,
        );
      }
      if (!(fn.qualifiers ?? DEFAULT_QUALIFIERS).includes(qualifier)) {
        throw new ApiError(
          SCF_ERRORS.qualifier,
          `The version or alias \`${qualifier}\` of function \`${functionName}\` does not exist.`,
        );
      }
      const text = params.ClientContext as string | undefined;
      const bytes = text === undefined ? 0 : Buffer.byteLength(text, 'utf8');
      if (bytes > MAX_EVENT_BYTES[type]) {
        throw new ApiError(
          SCF_ERRORS.tooLarge,
          `ClientContext is ${bytes} bytes; ${type} invocations accept at most ${MAX_EVENT_BYTES[type]}.`,
        );
      }
      const event = parseEvent(text);

      const { functionRequestId, result } = runtime.start({
        fn,
        requestId: ctx.requestId,
        region: ctx.region,
        namespace,
        functionName,
        qualifier,
        invocationType: type,
        event,
      });
      // The asynchronous answer carries only the id: "异步调用返回为空" for every other field.
      if (type === 'Event')
        return { Result: { FunctionRequestId: functionRequestId, InvokeResult: 0 } };
      return result.then((value) => ({ Result: value }));
    },
  };
}
