/**
 * The rotation runner: a fresh child process per benchmark run, so that its peak RSS is the
 * rotator's alone (the emulator lives in the parent). It loads the handler, says `ready`, takes
 * one `run` request, invokes `runFromEvent` on the emulator's clock, reports and exits. It exits
 * as soon as the parent goes away, whatever it is doing. The parent starts it with the deployed
 * function's NODE_OPTIONS (serverless.yml), and the runner reports what it saw.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { Clock } from '../../src/cloud/ports';
import { runFromEvent } from '../../src/handler';
import type { ClockAnchor, RunFailure, RunRequest, RunResult } from './types';

/** The emulator's clock, seen from another process: same epoch, same scale, same formula. */
export function anchoredClock(anchor: ClockAnchor): Clock {
  const { real, emulated, scale } = anchor;
  return {
    now: () => emulated + (Date.now() - real) * scale,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms / scale))),
    scale,
  };
}

/** Wraps every method of a port to time its calls (pacing queue and retries included). */
function timed<T extends object>(port: T, sink: number[]): T {
  return new Proxy(port, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const t0 = performance.now();
        const result: unknown = Reflect.apply(value, target, args);
        if (result instanceof Promise) {
          return result.finally(() => sink.push(performance.now() - t0));
        }
        return result;
      };
    },
  });
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function run(request: RunRequest): Promise<RunResult> {
  const clock = anchoredClock(request.anchor);
  const durations: number[] = [];
  let logLines = 0;
  const baselineRssKb = Math.round(process.memoryUsage().rss / 1024);
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let peakHeapBytes = 0;
  const heapSampler = setInterval(() => {
    peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);
  }, 50);
  const cpu0 = process.cpuUsage();
  const real0 = performance.now();
  const emulatedStart = clock.now();
  const report = await runFromEvent(request.event, request.context, {
    env: request.env,
    clock,
    // The log lines are built as in production; only the write to stdout is left out.
    write: () => {
      logLines++;
    },
    sequential: request.sequential,
    wrapPorts: (ports) => ({
      cvm: timed(ports.cvm, durations),
      ssm: timed(ports.ssm, durations),
    }),
  });
  const emulatedEnd = clock.now();
  const realMs = performance.now() - real0;
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  clearInterval(heapSampler);
  peakHeapBytes = Math.max(peakHeapBytes, process.memoryUsage().heapUsed);
  const reasons: Record<string, number> = {};
  for (const entry of report.instances) {
    if (entry.result === 'rotated') continue;
    const key = `${entry.result}: ${entry.reason ?? '?'}`;
    reasons[key] = (reasons[key] ?? 0) + 1;
  }
  return {
    type: 'result',
    status: report.status,
    counts: {
      discovered: report.counts.discovered,
      rotated: report.counts.rotated,
      failed: report.counts.failed,
      skipped: report.counts.skipped,
    },
    reasons,
    regionErrors: report.errors.length,
    rotated: report.instances
      .filter((i) => i.result === 'rotated')
      .map((i) => ({
        instanceId: i.instanceId,
        region: i.region,
        secretName: i.secretName ?? '',
        versionId: i.versionId ?? '',
      })),
    fanout: report.fanout?.length ?? 0,
    emulatedStart,
    emulatedEnd,
    realMs,
    maxRssKb: process.resourceUsage().maxRSS,
    baselineRssKb,
    peakHeapBytes,
    cpuMs: (cpu.user + cpu.system) / 1000,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    callP50RealMs: median(durations),
    logLines,
    nodeOptions: process.env.NODE_OPTIONS ?? '',
    heapLimitMb: getHeapStatistics().heap_size_limit / 1024 / 1024,
  };
}

function send(message: RunResult | RunFailure): void {
  process.send?.(message, () => process.exit(message.type === 'result' ? 0 : 1));
}

if (process.send) {
  // Never outlive the benchmark, however it ends.
  process.on('disconnect', () => process.exit(1));
  process.once('message', (message: RunRequest) => {
    run(message).then(send, (error: unknown) =>
      send({
        type: 'error',
        message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      }),
    );
  });
  process.send({ type: 'ready' });
}
