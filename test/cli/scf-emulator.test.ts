/**
 * The emulator's SCF 2018-04-16 `Invoke`, through the real tencentcloud-sdk-nodejs-scf client:
 * asynchronous (Event) and synchronous (RequestResponse) invocations, the SCF-like context, the
 * documented defaults, limits and error codes, and what tests can observe.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Emulator, ScfInvocationContext } from '../../src/emulator';
import { MAX_EVENT_BYTES, SCF_ERRORS } from '../../src/emulator/scf';
import { startTestEmulator } from '../helpers/world';
import { expectTencentError, scfClient } from './helpers';

let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.state.scf.settle();
  await emulator?.close();
  emulator = undefined;
});

/** A promise the test resolves by hand, to hold a handler open. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('SCF Invoke in the emulator', () => {
  it('answers an Event invocation at once and runs the handler in the background with an SCF context', async () => {
    // Prepare
    const held = gate();
    const seen: Array<{ event: unknown; context: ScfInvocationContext }> = [];
    emulator = await startTestEmulator({
      functions: {
        'rotator-prod': {
          timeLimitMs: 900_000,
          memoryMb: 256,
          handler: async (event, context) => {
            seen.push({ event, context });
            await held.promise;
            return { status: 'succeeded' };
          },
        },
      },
    });
    const client = scfClient(emulator);

    // Act
    const answer = await client.Invoke({
      FunctionName: 'rotator-prod',
      InvocationType: 'Event',
      Qualifier: '$DEFAULT',
      ClientContext: JSON.stringify({ instanceIds: ['ins-abcd1234'], reason: 'INC-1' }),
    });
    const whileRunning = emulator.state.scf.invocations();
    held.open();
    await emulator.state.scf.settle();

    // Assess
    const id = answer.Result?.FunctionRequestId;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.Result?.InvokeResult).toBe(0);
    expect(answer.Result?.RetMsg).toBeUndefined();
    expect(whileRunning.map((i) => i.status)).toEqual(['running']);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.event).toEqual({ instanceIds: ['ins-abcd1234'], reason: 'INC-1' });
    expect(seen[0]?.context).toMatchObject({
      request_id: id,
      function_name: 'rotator-prod',
      function_version: '$DEFAULT',
      namespace: 'default',
      time_limit_in_ms: 900_000,
      memory_limit_in_mb: 256,
      tencentcloud_region: 'ap-guangzhou',
    });
    const [invocation] = emulator.state.scf.invocations();
    expect(invocation).toMatchObject({
      functionRequestId: id,
      requestId: answer.RequestId,
      functionName: 'rotator-prod',
      namespace: 'default',
      qualifier: '$DEFAULT',
      invocationType: 'Event',
      eventKeys: ['instanceIds', 'reason'],
      status: 'succeeded',
      resultStatus: 'succeeded',
    });
    expect(JSON.stringify(invocation)).not.toContain('INC-1');
  });

  it('waits for a RequestResponse invocation, the default type, and answers its result as RetMsg', async () => {
    // Prepare
    emulator = await startTestEmulator({
      functions: { echo: { handler: async (event) => ({ got: event }) } },
    });

    // Act
    const answer = await scfClient(emulator).Invoke({
      FunctionName: 'echo',
      ClientContext: '{"dryRun":true}',
    });

    // Assess
    expect(answer.Result?.InvokeResult).toBe(0);
    expect(JSON.parse(answer.Result?.RetMsg ?? 'null')).toEqual({ got: { dryRun: true } });
    expect(answer.Result?.ErrMsg).toBe('');
    expect(emulator.state.scf.invocations()[0]).toMatchObject({
      invocationType: 'RequestResponse',
      qualifier: '$LATEST',
      status: 'succeeded',
    });
  });

  it('answers a failing synchronous handler with ErrMsg and records only the error name', async () => {
    // Prepare
    emulator = await startTestEmulator({
      functions: {
        broken: {
          handler: async () => {
            throw new TypeError('the handler broke');
          },
        },
      },
    });

    // Act
    const answer = await scfClient(emulator).Invoke({ FunctionName: 'broken' });

    // Assess
    expect(answer.Result?.InvokeResult).not.toBe(0);
    expect(JSON.parse(answer.Result?.ErrMsg ?? '{}')).toEqual({
      errorMessage: 'the handler broke',
      errorType: 'TypeError',
    });
    expect(emulator.state.scf.invocations()[0]).toMatchObject({
      status: 'failed',
      error: 'TypeError',
    });
  });

  it('marks a handler that outlives its time limit as timed out', async () => {
    // Prepare
    const held = gate();
    emulator = await startTestEmulator({
      functions: { slow: { timeLimitMs: 50, handler: () => held.promise } },
    });

    // Act
    const answer = await scfClient(emulator).Invoke({ FunctionName: 'slow' });
    held.open();
    await emulator.state.scf.settle();

    // Assess
    expect(answer.Result?.ErrMsg).toMatch(/timed out/);
    expect(emulator.state.scf.invocations()[0]?.status).toBe('timeout');
  });

  it('finds a function by namespace/name and keeps namespaces apart', async () => {
    // Prepare
    emulator = await startTestEmulator({
      functions: { 'ops/rotator': { handler: async (_event, context) => context.namespace } },
    });
    const client = scfClient(emulator);

    // Act
    const inOps = await client.Invoke({ FunctionName: 'rotator', Namespace: 'ops' });
    const inDefault = client.Invoke({ FunctionName: 'rotator' });

    // Assess
    expect(inOps.Result?.RetMsg).toBe('"ops"');
    await expectTencentError(inDefault, SCF_ERRORS.function);
  });

  it('refuses unknown functions and qualifiers, malformed names, types and events', async () => {
    // Prepare
    emulator = await startTestEmulator({
      functions: { rotator: { handler: async () => 'ok' } },
    });
    const client = scfClient(emulator);

    // Act + Assess
    await expectTencentError(client.Invoke({ FunctionName: 'nope' }), 'ResourceNotFound.Function');
    await expectTencentError(
      client.Invoke({ FunctionName: 'rotator', Qualifier: 'prod' }),
      'ResourceNotFound.Qualifier',
    );
    await expectTencentError(
      client.Invoke({ FunctionName: '9lives' }),
      'InvalidParameter.FunctionName',
    );
    await expectTencentError(
      client.Invoke({ FunctionName: 'rotator', InvocationType: 'DryRun' }),
      'InvalidParameterValue',
    );
    await expectTencentError(
      client.Invoke({ FunctionName: 'rotator', InvocationType: 'Event', ClientContext: '{oops' }),
      'InvalidParameterValue.ClientContext',
    );
    await expectTencentError(
      client.Invoke({ FunctionName: 'rotator', Unknown: 1 } as never),
      'UnknownParameter',
    );
    expect(emulator.state.scf.invocations()).toEqual([]);
  });

  it('enforces 128 KB for asynchronous events and 6 MB for synchronous ones', async () => {
    // Prepare
    emulator = await startTestEmulator({
      functions: { rotator: { handler: async () => 'ok' } },
    });
    const client = scfClient(emulator);
    const event = (bytes: number) => JSON.stringify({ pad: 'x'.repeat(bytes - 10) });

    // Act
    const tooBigForEvent = await client
      .Invoke({
        FunctionName: 'rotator',
        InvocationType: 'Event',
        ClientContext: event(MAX_EVENT_BYTES.Event + 1),
      })
      .then(
        () => 'accepted',
        (error: { code?: string }) => error.code,
      );
    const fitsEvent = await client.Invoke({
      FunctionName: 'rotator',
      InvocationType: 'Event',
      ClientContext: event(MAX_EVENT_BYTES.Event),
    });
    const fitsSync = await client.Invoke({
      FunctionName: 'rotator',
      ClientContext: event(MAX_EVENT_BYTES.Event + 1),
    });
    const tooBigForSync = await client
      .Invoke({
        FunctionName: 'rotator',
        ClientContext: event(MAX_EVENT_BYTES.RequestResponse + 1),
      })
      .then(
        () => 'accepted',
        (error: { code?: string }) => error.code,
      );

    // Assess
    expect(event(MAX_EVENT_BYTES.Event + 1).length).toBe(MAX_EVENT_BYTES.Event + 1);
    expect(tooBigForEvent).toBe('InvalidParameter.RequestTooLarge');
    expect(fitsEvent.Result?.InvokeResult).toBe(0);
    expect(fitsSync.Result?.InvokeResult).toBe(0);
    expect(tooBigForSync).toBe('InvalidParameter.RequestTooLarge');
  });

  it('leaves CVM and SSM answers untouched while a synchronous invocation waits', async () => {
    // Prepare
    const held = gate();
    emulator = await startTestEmulator({
      functions: { slow: { timeLimitMs: 10_000, handler: () => held.promise.then(() => 'done') } },
    });
    const client = scfClient(emulator);

    // Act
    const waiting = client.Invoke({ FunctionName: 'slow' });
    const other = await client.Invoke({ FunctionName: 'missing' }).catch((e: unknown) => e);
    held.open();
    const answer = await waiting;

    // Assess
    expect((other as { code?: string }).code).toBe('ResourceNotFound.Function');
    expect(answer.Result?.RetMsg).toBe('"done"');
  });
});
