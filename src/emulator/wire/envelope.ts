import { randomUUID } from 'node:crypto';

export const newRequestId = (): string => randomUUID();

export function successBody(requestId: string, fields: Record<string, unknown>): string {
  return JSON.stringify({ Response: { ...fields, RequestId: requestId } });
}

export function errorBody(requestId: string, code: string, message: string): string {
  return JSON.stringify({
    Response: { Error: { Code: code, Message: message }, RequestId: requestId },
  });
}
