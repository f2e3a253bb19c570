/**
 * Bundle size and cold start of the deployable bundle, dist/index.js.
 *
 * Cold start, per fresh `node` process: `require('dist/index.js')`, then one dry-run invocation
 * of its `main_handler` against a local emulator (1 tagged instance, no latency, no rate
 * limits). The invocation validates the configuration, builds the HTTP agent and the CVM and SSM
 * SDK clients (they are built on first use) and makes its three local calls (DescribeInstances,
 * ListSecrets twice), about 1 ms each. Node's own start-up (before the first line of the script)
 * is reported apart and not included.
 */
import { execFileSync, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CREDENTIAL, startEmulator } from '../../src/emulator';

export interface ColdStart {
  /** Median of requireMs + invokeMs. */
  readonly medianMs: number;
  readonly requireMs: number;
  readonly invokeMs: number;
  /** Node's start-up before the script runs (not in medianMs). */
  readonly nodeBootMs: number;
  readonly samples: readonly number[];
}

interface Sample {
  readonly requireMs: number;
  readonly invokeMs: number;
  readonly bootMs: number;
  readonly status: string;
}

/** Builds dist/ with the project's own script and returns dist/index.js's size in bytes. */
export function buildBundle(root: string): number {
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return statSync(join(root, 'dist', 'index.js')).size;
}

const SNIPPET = `
process.on('disconnect', () => process.exit(1));
const t0 = performance.now();
const bundle = require(process.env.BENCH_BUNDLE);
const t1 = performance.now();
bundle.main_handler({ dryRun: true }, { request_id: 'cold', time_limit_in_ms: 60000 }).then(
  (report) => {
    const t2 = performance.now();
    process.send({ requireMs: t1 - t0, invokeMs: t2 - t1, bootMs: t0, status: report.status },
      () => process.exit(0));
  },
  (error) => process.send({ error: String(error && error.name) }, () => process.exit(1)),
);
`;

function sample(env: NodeJS.ProcessEnv): Promise<Sample> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', SNIPPET], {
      env,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    let answer: Sample | { error: string } | undefined;
    child.on('message', (message: Sample | { error: string }) => {
      answer = message;
    });
    child.on('exit', (code) => {
      if (answer && !('error' in answer)) resolve(answer);
      else
        reject(
          new Error(`cold-start process exited with ${code}${answer ? ` (${answer.error})` : ''}`),
        );
    });
  });
}

const median = (values: readonly number[]) =>
  Float64Array.from(values).sort()[Math.floor(values.length / 2)] ?? 0;

export async function measureColdStart(root: string, processes = 10): Promise<ColdStart> {
  const emulator = await startEmulator({
    rateLimits: false,
    fleet: [
      {
        region: 'ap-guangzhou',
        OsName: 'CentOS 7.9 64bit',
        InstanceState: 'STOPPED',
        Tags: { rotation: 'enabled' },
      },
    ],
  });
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? '',
    BENCH_BUNDLE: join(root, 'dist', 'index.js'),
    TENCENTCLOUD_SECRETID: DEFAULT_CREDENTIAL.secretId,
    TENCENTCLOUD_SECRETKEY: DEFAULT_CREDENTIAL.secretKey,
    TENCENTCLOUD_REGION: 'ap-guangzhou',
    ROTATION_TAGS: 'rotation=enabled',
    ROTATION_CVM_ENDPOINT: emulator.url,
    ROTATION_SSM_ENDPOINT: emulator.url,
  };
  try {
    const samples: Sample[] = [];
    for (let i = 0; i < processes; i++) {
      const s = await sample(env);
      if (s.status !== 'succeeded') throw new Error(`cold-start dry run ended ${s.status}`);
      samples.push(s);
    }
    const totals = samples.map((s) => s.requireMs + s.invokeMs);
    return {
      medianMs: median(totals),
      requireMs: median(samples.map((s) => s.requireMs)),
      invokeMs: median(samples.map((s) => s.invokeMs)),
      nodeBootMs: median(samples.map((s) => s.bootMs)),
      samples: totals,
    };
  } finally {
    await emulator.close();
  }
}
