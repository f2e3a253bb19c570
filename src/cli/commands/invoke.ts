/**
 * `invoke`: asks the DEPLOYED function to rotate, through SCF `Invoke` with InvocationType Event
 * (the way its timer invokes it; facts/tencent-cloud-api.md §6), for operators whose own keys
 * hold `scf:InvokeFunction` but no CVM or SSM rights. The manual event is validated here with the
 * function's own parser, so a typo fails on the laptop instead of in CLS.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { scf } from 'tencentcloud-sdk-nodejs-scf';
import { credentialsFromEnv } from '../../cloud/tencent/credentials';
import { parseEvent } from '../../config/event';
import { regionProblem } from '../../config/rules';
import { isEventError } from '../../errors';
import { fields, shellQuote } from '../format';
import { type CliIo, EXIT, type ExitCode } from '../io';
import {
  type Endpoint,
  inFlagTerms,
  manualEvent,
  parseEndpoint,
  SCF_ENDPOINT_VARIABLE,
  type SelectionFlags,
  UsageError,
} from '../options';

/** The function `serverless.yml` deploys is `${name}-${stage}`; the local emulator serves this name. */
export const DEFAULT_FUNCTION = 'cvm-password-rotator';
/** The alias the timer trigger invokes (facts/serverless-deploy.md §3: Invoke defaults to $LATEST). */
export const DEFAULT_QUALIFIER = '$DEFAULT';
export const DEFAULT_NAMESPACE = 'default';

/** "异步调用最大支持 128 KB" (InvokeRequest.ClientContext, scf_models.d.ts; facts §6). */
export const MAX_ASYNC_EVENT_BYTES = 128 * 1024;

export interface InvokeFlags extends SelectionFlags {
  readonly function?: string;
  readonly namespace?: string;
  readonly qualifier?: string;
  readonly region?: string;
  readonly dryRun?: boolean;
  readonly all?: boolean;
}

export async function invoke(flags: InvokeFlags, io: CliIo): Promise<ExitCode> {
  const problems: string[] = [];
  const named = flags.instanceIds !== undefined;
  if (named && flags.all)
    problems.push('--all and --instance-ids contradict each other: give one of them');
  // The same consent as `rotate`: a fleet-wide rotation is never the default.
  if (!named && !flags.all && !flags.dryRun) {
    problems.push(
      'invoke needs --instance-ids ins-…[,ins-…], --all (the whole fleet the function is configured for) or --dry-run',
    );
  }
  const region = flags.region ?? io.env.TENCENTCLOUD_REGION?.trim();
  if (region === undefined || region === '') {
    problems.push(
      '--region: the region the function is deployed in; pass --region or set TENCENTCLOUD_REGION',
    );
  } else {
    const issue = regionProblem(region);
    if (issue) problems.push(`--region: ${issue.message}`);
  }
  const credentials = credentialsFromEnv(io.env);
  if (!credentials) {
    problems.push(
      'credentials: missing; set TENCENTCLOUD_SECRET_ID and TENCENTCLOUD_SECRET_KEY (plus TENCENTCLOUD_SESSION_TOKEN ' +
        'for temporary keys), or the SCF names TENCENTCLOUD_SECRETID / TENCENTCLOUD_SECRETKEY / TENCENTCLOUD_SESSIONTOKEN',
    );
  }
  let endpoint: Endpoint | undefined;
  const endpointText = flags.endpoint ?? io.env[SCF_ENDPOINT_VARIABLE];
  if (endpointText !== undefined && endpointText.trim() !== '') {
    try {
      endpoint = parseEndpoint(
        flags.endpoint === undefined ? SCF_ENDPOINT_VARIABLE : '--endpoint',
        endpointText,
      );
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      problems.push(...error.problems);
    }
  }
  const event = { ...manualEvent(flags), ...(flags.dryRun ? { dryRun: true } : {}) };
  try {
    // The function's own parser, so the problems are the ones the function would log.
    parseEvent(event);
  } catch (error) {
    if (!isEventError(error)) throw error;
    problems.push(...error.problems.map((problem) => inFlagTerms(problem)));
  }
  const clientContext = JSON.stringify(event);
  const bytes = Buffer.byteLength(clientContext);
  if (bytes > MAX_ASYNC_EVENT_BYTES) {
    problems.push(
      `the event is ${bytes} bytes; an asynchronous invocation takes at most ${MAX_ASYNC_EVENT_BYTES} (name fewer instances per call)`,
    );
  }
  if (problems.length > 0 || !credentials || region === undefined) throw new UsageError(problems);

  const functionName = flags.function ?? DEFAULT_FUNCTION;
  const namespace = flags.namespace ?? DEFAULT_NAMESPACE;
  const qualifier = flags.qualifier ?? DEFAULT_QUALIFIER;
  const protocol = endpoint?.protocol ?? 'https://';
  // Our own agent also keeps the SDK from routing through http_proxy (facts §5.3).
  const agent = protocol === 'http://' ? new HttpAgent() : new HttpsAgent();
  const client = new scf.v20180416.Client({
    credential: credentials,
    region,
    profile: {
      httpProfile: {
        protocol,
        ...(endpoint ? { endpoint: endpoint.endpoint } : {}),
        reqMethod: 'POST',
        reqTimeout: 30,
        agent,
      },
    },
  });
  let answer: Awaited<ReturnType<typeof client.Invoke>>;
  try {
    answer = await client.Invoke({
      FunctionName: functionName,
      Namespace: namespace,
      Qualifier: qualifier,
      InvocationType: 'Event',
      ClientContext: clientContext,
    });
  } catch (error) {
    const e = error as { code?: unknown; message?: unknown; requestId?: unknown };
    const code = typeof e.code === 'string' ? e.code : 'NetworkError';
    io.stderr.write(
      `cvm-rotator: SCF Invoke of ${functionName} (namespace ${namespace}, qualifier ${qualifier}) in ${region} failed: ` +
        `${code}: ${String(e.message ?? error)}${typeof e.requestId === 'string' && e.requestId ? ` (RequestId ${e.requestId})` : ''}\n`,
    );
    if (code.startsWith('ResourceNotFound')) {
      io.stderr.write(
        'cvm-rotator: serverless.yml deploys the function as <name>-<stage> (e.g. cvm-password-rotator-prod): pass it with --function\n',
      );
    }
    return EXIT.failed;
  } finally {
    agent.destroy();
  }

  const functionRequestId = answer.Result?.FunctionRequestId ?? '';
  if (flags.json) {
    io.stdout.write(
      `${JSON.stringify({ functionRequestId, requestId: answer.RequestId, functionName, namespace, qualifier, region, event }, null, 2)}\n`,
    );
    return EXIT.ok;
  }
  const fn = `--region ${region} --FunctionName ${shellQuote(functionName)} --Namespace ${shellQuote(namespace)}`;
  io.stdout.write(
    `Invoked ${functionName} asynchronously (InvocationType Event): the platform accepted it; the rotation runs now.\n\n` +
      fields([
        ['FunctionRequestId', functionRequestId],
        ['Function', `${functionName} (namespace ${namespace}, qualifier ${qualifier}, ${region})`],
        ['Event', clientContext],
        ['RequestId', answer.RequestId ?? '-'],
      ]) +
      '\nFollow it:\n' +
      `  tccli scf GetRequestStatus ${fn} --FunctionRequestId ${functionRequestId}\n` +
      `  tccli scf GetFunctionLogs ${fn} --Qualifier ${shellQuote(qualifier)} --FunctionRequestId ${functionRequestId}\n` +
      `  or search CLS for SCF_RequestId:${functionRequestId} (run.finished has the counts)\n` +
      (named ? `Then check an instance: cvm-rotator show ${firstId(flags.instanceIds)}\n` : ''),
  );
  return EXIT.ok;
}

function firstId(ids: string | undefined): string {
  return ids?.split(/[\s,]+/).find((id) => id !== '') ?? '<instanceId>';
}
