/**
 * `cvm-rotator invoke`: the deployed function invoked asynchronously through SCF Invoke. The
 * emulator serves the built-in handler as the function, wired exactly as the `emulator` command
 * wires it (deployedEnv), so the test follows the whole path: CLI → SCF → handler → CVM + SSM.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deployedEnv } from '../../src/cli/commands/emulator';
import type { Emulator } from '../../src/emulator';
import { runFromEvent } from '../../src/handler';
import { expectNewestIsActual, instanceId, testFleet } from '../helpers/fleet';
import { mutatingCalls, startTestEmulator } from '../helpers/world';
import { operatorEnv, runCli } from './helpers';

let emulator: Emulator;
/** The function's audit lines (CLS, in the cloud). */
const functionLog: string[] = [];

beforeEach(async () => {
  functionLog.length = 0;
  emulator = await startTestEmulator({
    fleet: testFleet({ count: 4, runningEvery: 4 }),
    resetTiming: { stopped: [5, 20], running: [20, 40] },
    functions: {
      'cvm-password-rotator-prod': {
        timeLimitMs: 900_000,
        memoryMb: 256,
        qualifiers: ['$LATEST', '$DEFAULT', '1'],
        handler: (event, context) =>
          runFromEvent(event, context, {
            env: deployedEnv(emulator, context.tencentcloud_region, {}),
            write: (line) => functionLog.push(line),
          }),
      },
    },
  });
});
afterEach(async () => {
  await emulator.state.scf.settle();
  await emulator.close();
});

/** The operator has SCF rights only: no CVM/SSM endpoint, no ROTATION_* settings needed. */
function invokerEnv(extra: Record<string, string> = {}): Record<string, string> {
  const { TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY } = operatorEnv(emulator);
  return {
    TENCENTCLOUD_SECRET_ID: TENCENTCLOUD_SECRET_ID ?? '',
    TENCENTCLOUD_SECRET_KEY: TENCENTCLOUD_SECRET_KEY ?? '',
    ...extra,
  };
}

describe('cvm-rotator invoke', () => {
  it('invokes the deployed function asynchronously at $DEFAULT with the manual event, which then rotates', async () => {
    // Prepare
    const ids = [instanceId(0), instanceId(1)];

    // Act
    const result = await runCli(
      [
        'invoke',
        '--function',
        'cvm-password-rotator-prod',
        '--region',
        'ap-guangzhou',
        '--endpoint',
        emulator.url,
        '--instance-ids',
        ids.join(','),
        '--reason',
        'INC-7',
      ],
      invokerEnv(),
    );
    const [invocation] = emulator.state.scf.invocations();
    await emulator.state.scf.settle();

    // Assess
    expect(result.code).toBe(0);
    expect(invocation).toMatchObject({
      functionName: 'cvm-password-rotator-prod',
      namespace: 'default',
      qualifier: '$DEFAULT',
      invocationType: 'Event',
      region: 'ap-guangzhou',
      eventKeys: ['instanceIds', 'reason'],
    });
    expect(result.stdout).toMatch(
      new RegExp(`^FunctionRequestId\\s+${invocation?.functionRequestId}$`, 'm'),
    );
    expect(result.stdout).toContain(
      `tccli scf GetRequestStatus --region ap-guangzhou --FunctionName cvm-password-rotator-prod --Namespace default --FunctionRequestId ${invocation?.functionRequestId}`,
    );
    expect(emulator.state.scf.invocations()[0]).toMatchObject({
      status: 'succeeded',
      resultStatus: 'succeeded',
    });
    for (const id of ids) expectNewestIsActual(emulator, id);
    const started = JSON.parse(functionLog[0] ?? '{}') as Record<string, unknown>;
    expect(started).toMatchObject({
      event: 'run.started',
      reason: 'INC-7',
      requestId: invocation?.functionRequestId,
    });
  });

  it('reads the SCF endpoint from ROTATION_SCF_ENDPOINT and prints JSON with --json', async () => {
    // Act
    const result = await runCli(
      [
        'invoke',
        '--function',
        'cvm-password-rotator-prod',
        '--qualifier',
        '1',
        '--dry-run',
        '--json',
      ],
      invokerEnv({ ROTATION_SCF_ENDPOINT: emulator.url, TENCENTCLOUD_REGION: 'ap-shanghai' }),
    );
    await emulator.state.scf.settle();

    // Assess
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      functionName: 'cvm-password-rotator-prod',
      qualifier: '1',
      region: 'ap-shanghai',
      event: { dryRun: true },
    });
    expect(emulator.state.scf.invocations()[0]).toMatchObject({
      functionRequestId: out.functionRequestId,
      status: 'succeeded',
      eventKeys: ['dryRun'],
    });
    expect(mutatingCalls(emulator)).toBe(0);
  });

  it('exits 1 with the code, the RequestId and a hint when the function does not exist', async () => {
    // Act
    const result = await runCli(
      [
        'invoke',
        '--region',
        'ap-guangzhou',
        '--endpoint',
        emulator.url,
        '--instance-ids',
        instanceId(0),
      ],
      invokerEnv(),
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /SCF Invoke of cvm-password-rotator \(namespace default, qualifier \$DEFAULT\) in ap-guangzhou failed: ResourceNotFound\.Function: .+ \(RequestId [0-9a-f-]{36}\)/,
    );
    expect(result.stderr).toContain('pass it with --function');
    expect(emulator.state.scf.invocations()).toEqual([]);
  });

  it('exits 2 before any call on missing consent, region or credentials and on a bad event', async () => {
    // Act
    const noConsent = await runCli(
      ['invoke', '--region', 'ap-guangzhou', '--endpoint', emulator.url],
      invokerEnv(),
    );
    const nothing = await runCli(['invoke', '--instance-ids', 'ins-nope', '--reason', ''], {
      ROTATION_SCF_ENDPOINT: 'not a url',
    });

    // Assess
    expect(noConsent.code).toBe(2);
    expect(noConsent.stderr).toContain('invoke needs --instance-ids');
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('--region: the region the function is deployed in');
    expect(nothing.stderr).toContain('credentials: missing');
    expect(nothing.stderr).toContain('ROTATION_SCF_ENDPOINT: must be an http(s) base URL');
    expect(nothing.stderr).toContain('--instance-ids item 1: "ins-nope" is not a CVM instance id');
    expect(nothing.stderr).toContain('--reason: must be 1 to 256 characters');
    expect(emulator.state.calls()).toHaveLength(0);
  });
});
