/**
 * One rotation run of the soak, in its own process so the soak can SIGKILL it at any moment.
 *
 * Spawned by scripts/soak/runner.ts with an IPC channel: it loads the handler from src (through
 * tsx), says `ready`, receives its configuration, runs `runFromEvent` once against the parent's
 * emulator on 127.0.0.1 with a clock that runs on the emulator's (accelerated) time, and exits.
 * The audit log goes to stdout as in SCF; the parent scans it for leaks and counts rotations.
 * If the parent goes away (the IPC channel closes), the child exits at once.
 */
import type { CvmPort, SsmPort } from '../../src/cloud/ports';
import { runFromEvent } from '../../src/handler';
import type { ChildConfig, ChildMessage, ParentMessage, Sabotage } from './protocol';

/** Resolves once the message is handed to the channel (so exiting afterwards does not lose it). */
function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) resolve();
    else process.send(message, undefined, {}, () => resolve());
  });
}

/** Blocks the thread: the rotator is "slow" here, giving the parent time to act on the fleet. */
function pause(ms: number): void {
  if (ms > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** A deliberately broken rotator, so the soak's own tests can show it catches each breakage. */
function sabotage(kind: Sabotage, ports: { cvm: CvmPort; ssm: SsmPort }) {
  if (kind === 'leak') {
    let leaked = false;
    const cvm: CvmPort = {
      describeByTags: (...a) => ports.cvm.describeByTags(...a),
      describeByIds: (...a) => ports.cvm.describeByIds(...a),
      describeImages: (...a) => ports.cvm.describeImages(...a),
      resetPassword: (region, request) => {
        if (!leaked) process.stdout.write(`sabotage: ${request.password}\n`);
        leaked = true;
        return ports.cvm.resetPassword(region, request);
      },
    };
    return { cvm, ssm: ports.ssm };
  }
  let writes = 0;
  const dropped = (name: string) => !name.endsWith('-lock') && writes++ % 5 === 0;
  const ssm: SsmPort = {
    listSecrets: (...a) => ports.ssm.listSecrets(...a),
    countSecrets: (...a) => ports.ssm.countSecrets(...a),
    listVersions: (...a) => ports.ssm.listVersions(...a),
    getValue: (...a) => ports.ssm.getValue(...a),
    createSecret: (region, input) =>
      dropped(input.name) ? Promise.resolve() : ports.ssm.createSecret(region, input),
    putValue: (region, input) =>
      dropped(input.name) ? Promise.resolve() : ports.ssm.putValue(region, input),
    updateValue: (...a) => ports.ssm.updateValue(...a),
    deleteVersion: (...a) => ports.ssm.deleteVersion(...a),
  };
  return { cvm: ports.cvm, ssm };
}

async function run(config: ChildConfig): Promise<void> {
  const { realStart, scale } = config.clock;
  const now = () => realStart + (Date.now() - realStart) * scale;
  const pauseSteps = new Set(config.pauseSteps);
  await send({ type: 'started' });
  try {
    const report = await runFromEvent(config.event, config.context, {
      env: config.env,
      clock: {
        now,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms / scale))),
        scale,
      },
      checkpoint: (step, detail) => {
        if (!pauseSteps.has(step)) return;
        const region = typeof detail.region === 'string' ? detail.region : undefined;
        void send({ type: 'checkpoint', step, ...(region ? { region } : {}) });
        pause(config.pauseMs);
      },
      ...(config.sabotage
        ? { wrapPorts: (ports) => sabotage(config.sabotage as Sabotage, ports) }
        : {}),
    });
    const reasons: Record<string, number> = {};
    for (const entry of report.instances) {
      if (entry.result !== 'failed' && entry.result !== 'skipped') continue;
      const key = `${entry.result} ${(entry.reason ?? '').split(/[:(;]/)[0]?.trim()}`;
      reasons[key] = (reasons[key] ?? 0) + 1;
    }
    await send({
      type: 'finished',
      status: report.status,
      counts: report.counts,
      errors: report.errors.map((e) => `${e.region}:${e.code}: ${e.message.slice(0, 160)}`),
      reasons,
    });
  } catch (error) {
    const message =
      error instanceof Error ? `${error.name}: ${error.message}` : 'non-Error rejection';
    await send({ type: 'rejected', message });
  }
}

// The parent is gone: a run nobody watches must not go on changing passwords.
process.on('disconnect', () => process.exit(70));
process.once('message', (message: ParentMessage) => {
  if (message.type !== 'start') process.exit(64);
  run(message.config).then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
void send({ type: 'ready' });
