import { CloudError } from '../../errors';
import type { ApiLimiter } from '../limiter';
import type { Clock, InvokeRequest, ScfPort } from '../ports';
import { callTencent } from './call';
import type { TencentClients } from './clients';
import { isThrottle } from './errors';

/**
 * SCF 2018-04-16 `Invoke` behind the ScfPort, used to fan a run out into one asynchronous run per
 * region. Only throttling is retried: a lost answer to an asynchronous invoke may have started a
 * run, and a second one would merely wait on the first one's region lock, but there is no need
 * to risk it.
 */
export class TencentScf implements ScfPort {
  constructor(
    private readonly clients: TencentClients,
    private readonly limiter: ApiLimiter,
    private readonly clock: Clock,
  ) {}

  async invokeAsync(region: string, request: InvokeRequest): Promise<string> {
    const answer = (await callTencent(
      'Invoke',
      region,
      () =>
        this.clients.scf(region).Invoke({
          FunctionName: request.functionName,
          Namespace: request.namespace,
          Qualifier: request.qualifier,
          // Timer triggers invoke asynchronously too (facts §6); the event is the JSON text.
          InvocationType: 'Event',
          ClientContext: JSON.stringify(request.event),
        }),
      { limiter: this.limiter, clock: this.clock, retryable: isThrottle },
    )) as unknown as { Result?: { FunctionRequestId?: unknown } };
    const id = answer.Result?.FunctionRequestId;
    if (typeof id !== 'string' || id === '') {
      throw new CloudError('the answer has no FunctionRequestId', {
        code: 'InvalidResponse',
        action: 'Invoke',
        region,
        transient: false,
      });
    }
    return id;
  }
}
