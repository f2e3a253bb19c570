import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { PendingAnswers } from './invoke';

type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;
type End = (chunk?: unknown, ...rest: unknown[]) => ServerResponse;

/**
 * Holds the HTTP answer of a synchronous `Invoke` until its function has finished, then sends it
 * with the function's `Result`.
 *
 * Why this exists: the shared request pipeline (../server.ts) calls an action's `run`
 * synchronously and writes its answer at once, and SCF is the only service whose answer depends
 * on asynchronous work. Rather than change the pipeline for everyone, the SCF service wraps each
 * response's `end`: an answer whose RequestId has a pending invocation waits for it. Every other
 * answer (CVM, SSM, errors, asynchronous invokes) passes straight through. If the pipeline ever
 * awaits `run`, this hook can go.
 */
export function deferSyncAnswers(server: Server, pending: PendingAnswers): void {
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const end = res.end.bind(res) as End;
    const deferred: End = (chunk, ...rest) => {
      if (pending.size === 0 || typeof chunk !== 'string') return end(chunk, ...rest);
      let body: { Response?: Record<string, unknown> };
      try {
        body = JSON.parse(chunk) as { Response?: Record<string, unknown> };
      } catch {
        return end(chunk, ...rest);
      }
      const requestId = body.Response?.RequestId;
      const result = typeof requestId === 'string' ? pending.get(requestId) : undefined;
      if (result === undefined || typeof requestId !== 'string') return end(chunk, ...rest);
      pending.delete(requestId);
      void result.then((value) => {
        // The client may have given up (its timeout) while the function ran.
        if (!res.destroyed) end(JSON.stringify({ Response: { ...body.Response, Result: value } }));
      });
      return res;
    };
    res.end = deferred as unknown as ServerResponse['end'];
    for (const listener of listeners) listener.call(server, req, res);
  });
}
