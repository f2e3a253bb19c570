/**
 * `emulator`: the standalone emulator (src/emulator/cli.ts, same flags), plus the built-in
 * handler deployed in it as the SCF function `cvm-password-rotator`, so that `invoke` works end
 * to end on a laptop: CLI → SCF Invoke → handler → CVM + SSM, all local.
 */
import type { Emulator, ScfFunctions } from '../../emulator';
import { main as serveEmulator } from '../../emulator/cli';
import { runFromEvent } from '../../handler';
import { EXIT, type ExitCode } from '../io';
import { SCF_ENDPOINT_VARIABLE } from '../options';
import { DEFAULT_FUNCTION, DEFAULT_NAMESPACE } from './invoke';

type Env = Readonly<Record<string, string | undefined>>;

/** The deployed function's limits (serverless.yml: timeout 900, memorySize 256). */
const TIME_LIMIT_MS = 900_000;
const MEMORY_MB = 256;

/** The rotation tag of the demo fleet (src/emulator/cvm/fleet.ts). */
const DEMO_TAGS = 'rotation=enabled';

/**
 * The environment SCF would give the function: the emulator's key as the execution role's
 * (SCF's own variable names), the invoked region, endpoints pointing back at the emulator, and
 * the operator's ROTATION_* settings over defaults that fit the demo fleet.
 */
export function deployedEnv(emulator: Emulator, region: string, operator: Env): Env {
  const settings: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(operator)) {
    if (!name.startsWith('ROTATION_') || name === SCF_ENDPOINT_VARIABLE) continue;
    settings[name] = value;
  }
  const credential = emulator.state.credentials[0];
  const regions = emulator.state.cvm.regions();
  return {
    ROTATION_TAGS: DEMO_TAGS,
    ROTATION_REGIONS: regions.length > 0 ? regions.join(',') : region,
    ...settings,
    TENCENTCLOUD_SECRETID: credential?.secretId,
    TENCENTCLOUD_SECRETKEY: credential?.secretKey,
    ...(credential?.token ? { TENCENTCLOUD_SESSIONTOKEN: credential.token } : {}),
    TENCENTCLOUD_REGION: region,
    ROTATION_CVM_ENDPOINT: emulator.url,
    ROTATION_SSM_ENDPOINT: emulator.url,
  };
}

/** Serves until Ctrl+C; exits the process itself (code 2 on bad flags, like `npm run emulator`). */
export async function emulator(args: string[], env: Env): Promise<ExitCode> {
  let running: Emulator | undefined;
  const functions: ScfFunctions = {
    [DEFAULT_FUNCTION]: {
      timeLimitMs: TIME_LIMIT_MS,
      memoryMb: MEMORY_MB,
      handler: (event, context) => {
        if (!running) throw new Error('the emulator is not running');
        // Audit lines go to this terminal, as a deployed function's go to CLS.
        return runFromEvent(event, context, {
          env: deployedEnv(running, context.tencentcloud_region, env),
        });
      },
    },
  };
  await serveEmulator(args, {
    functions,
    started: (started) => {
      running = started;
      const example =
        started.state.cvm.instances().find((i) => i.InstanceState === 'STOPPED')?.InstanceId ??
        'ins-…';
      const id = started.state.credentials[0]?.secretId ?? '…';
      return [
        `SCF: function ${DEFAULT_FUNCTION} (namespace ${DEFAULT_NAMESPACE}, $LATEST and $DEFAULT) runs the`,
        '  built-in handler against this emulator; its audit log is printed here.',
        'Use it from another terminal (the key is not printed; see docs/cli.md):',
        `  export TENCENTCLOUD_SECRET_ID=${id} TENCENTCLOUD_SECRET_KEY=… TENCENTCLOUD_REGION=ap-guangzhou`,
        `  export ROTATION_REGIONS=${started.state.cvm.regions().join(',') || 'ap-guangzhou'} ROTATION_TAGS=${DEMO_TAGS}`,
        `  cvm-rotator plan --endpoint ${started.url}`,
        `  cvm-rotator invoke --endpoint ${started.url} --instance-ids ${example} --reason test`,
        `  cvm-rotator show ${example} --endpoint ${started.url}`,
      ];
    },
  });
  return EXIT.ok;
}
