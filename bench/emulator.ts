/**
 * Emulator benchmark (a script, not a test): `npm run bench:emulator [-- --seconds 5]`.
 *
 * 1. Throughput of real SDK calls (DescribeInstances with InstanceIds and GetSecretValue,
 *    alternating) with rate limits off, many concurrent calls over a pool of SDK clients:
 *    a. load generator and emulator in the same process;
 *    b. emulator in a child process, load generator in this one (each gets a core).
 * 2. Where the time goes: the SDK client alone against a stub server that answers a canned
 *    envelope without verifying anything, the emulator alone driven by a raw keep-alive HTTP
 *    client with pre-signed requests, and the SDK without keep-alive.
 * 3. Memory (RSS and heap, after GC) of a 10,000-instance fleet, in a fresh child process, and
 *    after paging through the whole fleet with DescribeInstances.
 *
 * Prints a table and, last, one JSON line with every figure. Never prints a secret.
 */
import { fork } from 'node:child_process';
import { createServer, Agent as HttpAgent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { cvm } from 'tencentcloud-sdk-nodejs-cvm';
import { ssm } from 'tencentcloud-sdk-nodejs-ssm';
import { DEFAULT_CREDENTIAL, type Emulator, startEmulator } from '../src/emulator';
import type { FleetSpec } from '../src/emulator/cvm/fleet';
import { clearProxy } from '../src/emulator/proxy';
import { tc3Authorization } from '../test/helpers/signer';
import { machineTimes } from './lib/machine';

// The SDK sends everything through http_proxy when set (facts §5.3); keep the load on 127.0.0.1.
clearProxy();

const REGION = 'ap-guangzhou';
const SECRET_NAME = 'bench-secret';
const VERSION_ID = 'v1';

interface Targets {
  readonly endpoint: string;
  readonly port: number;
  readonly instanceId: string;
}

interface LoadResult {
  readonly label: string;
  readonly requests: number;
  readonly errors: number;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU of this (load generator) process, percent of one core. */
  readonly loadCpuPct: number;
  /** CPU of the server process when it is a child, percent of one core. */
  serverCpuPct?: number;
  /** Whole machine (all processes and the kernel), percent of all cores. */
  readonly machineCpuPct: number;
}

interface ChildReady {
  readonly type: 'ready';
  readonly port: number;
  readonly instanceId: string;
}

interface ChildStats {
  readonly type: 'stats';
  readonly cpuMicros: number;
  readonly rss: number;
}

interface MemoryReport {
  readonly type: 'memory';
  readonly instances: number;
  readonly startMs: number;
  readonly rssBefore: number;
  readonly rssAfter: number;
  readonly heapBefore: number;
  readonly heapAfter: number;
  readonly rssAfterSweep: number;
  readonly heapAfterSweep: number;
  readonly sweepMs: number;
  readonly swept: number;
}

const MB = 1024 * 1024;
const fmt = (n: number, digits = 0) => n.toFixed(digits);

const FLEET_10K: FleetSpec = {
  count: 10_000,
  regions: { 'ap-guangzhou': 0.5, 'ap-shanghai': 0.3, 'ap-beijing': 0.2 },
  states: { STOPPED: 0.5, RUNNING: 0.5 },
  extraTags: { env: ['prod', 'staging', 'dev'], team: ['payments', 'data', 'platform', 'web'] },
  untaggedFraction: 0.05,
};

function sdkClients(endpoint: string, count: number, agent?: HttpAgent) {
  const profile = {
    httpProfile: {
      protocol: 'http://',
      endpoint,
      reqTimeout: 30,
      ...(agent ? { agent } : {}),
    },
  };
  return Array.from({ length: count }, () => ({
    cvm: new cvm.v20170312.Client({ credential: DEFAULT_CREDENTIAL, region: REGION, profile }),
    ssm: new ssm.v20190923.Client({ credential: DEFAULT_CREDENTIAL, region: REGION, profile }),
  }));
}

/** An emulator ready for the load: rate limits off, a small fleet, one secret version. */
async function benchEmulator(): Promise<{ emulator: Emulator; instanceId: string }> {
  const emulator = await startEmulator({ rateLimits: false, fleet: { count: 1_000 } });
  const first = emulator.state.cvm.instances()[0];
  if (!first) throw new Error('the bench fleet is empty');
  const [client] = sdkClients(emulator.endpoint, 1);
  await client?.ssm.CreateSecret({
    SecretName: SECRET_NAME,
    VersionId: VERSION_ID,
    SecretString: 'bench-value',
  });
  return { emulator, instanceId: first.InstanceId };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

/**
 * Runs `call` from `concurrency` loops for `seconds` after `warmup` seconds; only calls that
 * start and end inside the measured window count.
 */
async function drive(
  label: string,
  concurrency: number,
  seconds: number,
  warmup: number,
  call: (worker: number, i: number) => Promise<unknown>,
): Promise<LoadResult> {
  const start = performance.now() + warmup * 1000;
  const end = start + seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  let machineAtStart = machineTimes();
  const startTimer = setTimeout(
    () => {
      cpuAtStart = process.cpuUsage();
      machineAtStart = machineTimes();
    },
    Math.max(0, start - performance.now()),
  );
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      for (let i = 0; performance.now() < end; i++) {
        const t0 = performance.now();
        let failed = false;
        try {
          await call(worker, i);
        } catch {
          failed = true;
        }
        const t1 = performance.now();
        if (t0 >= start && t1 <= end) {
          latencies.push(t1 - t0);
          if (failed) errors++;
        }
      }
    }),
  );
  clearTimeout(startTimer);
  const cpu = process.cpuUsage(cpuAtStart);
  const machine = machineTimes();
  const sorted = Float64Array.from(latencies).sort();
  return {
    label,
    requests: latencies.length,
    errors,
    seconds,
    rps: latencies.length / seconds,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    loadCpuPct: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
    machineCpuPct:
      ((machine.busy - machineAtStart.busy) / Math.max(1, machine.total - machineAtStart.total)) *
      100,
  };
}

function sdkLoad(
  label: string,
  targets: Targets,
  options: {
    concurrency: number;
    clients: number;
    seconds: number;
    warmup: number;
    agent?: HttpAgent;
  },
): Promise<LoadResult> {
  const clients = sdkClients(targets.endpoint, options.clients, options.agent);
  return drive(label, options.concurrency, options.seconds, options.warmup, (worker, i) => {
    const client = clients[worker % clients.length];
    if (!client) throw new Error('no client');
    return (worker + i) % 2 === 0
      ? client.cvm.DescribeInstances({ InstanceIds: [targets.instanceId] })
      : client.ssm.GetSecretValue({ SecretName: SECRET_NAME, VersionId: VERSION_ID });
  });
}

/** The emulator (or the stub) in a child process of this script. */
async function startChild(role: 'server' | 'stub'): Promise<{
  targets: Targets;
  stop: () => Promise<ChildStats>;
}> {
  const child = fork(__filename, [`--role=${role}`], { execArgv: process.execArgv });
  const ready = await new Promise<ChildReady>((resolve, reject) => {
    child.once('message', (message) => resolve(message as ChildReady));
    child.once('exit', (code) => reject(new Error(`the ${role} child exited with ${code}`)));
  });
  return {
    targets: {
      endpoint: `127.0.0.1:${ready.port}`,
      port: ready.port,
      instanceId: ready.instanceId,
    },
    stop: () =>
      new Promise<ChildStats>((resolve) => {
        child.once('message', (message) => resolve(message as ChildStats));
        child.send('stop');
      }),
  };
}

/** Child role: serve, report the port, and on `stop` report CPU and RSS and exit. */
async function childMain(role: 'server' | 'stub'): Promise<void> {
  let close: () => Promise<void>;
  let port: number;
  let instanceId = 'ins-00000000';
  if (role === 'server') {
    const bench = await benchEmulator();
    close = () => bench.emulator.close();
    port = bench.emulator.port;
    instanceId = bench.instanceId;
  } else {
    // Answers a canned success envelope without reading headers or verifying anything: what is
    // left is the SDK client's own cost (signing, node-fetch, JSON) plus the HTTP stack.
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end('{"Response":{"TotalCount":0,"InstanceSet":[],"RequestId":"stub"}}');
      });
    });
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    close = () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
  }
  const cpuAtStart = process.cpuUsage();
  // Never outlive the benchmark, however it ends.
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: 'ready', port, instanceId } satisfies ChildReady);
  process.on('message', async (message) => {
    if (message !== 'stop') return;
    const cpu = process.cpuUsage(cpuAtStart);
    const stats: ChildStats = {
      type: 'stats',
      cpuMicros: cpu.user + cpu.system,
      rss: process.memoryUsage().rss,
    };
    await close();
    process.send?.(stats, () => process.exit(0));
  });
}

/** The emulator alone: pre-signed TC3 requests over keep-alive sockets, no SDK. */
function rawLoad(
  label: string,
  targets: Targets,
  options: { concurrency: number; seconds: number; warmup: number },
): Promise<LoadResult> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: options.concurrency });
  const timestamp = Math.floor(Date.now() / 1000);
  const presign = (action: string, version: string, body: string) => ({
    body,
    headers: {
      'Content-Type': 'application/json',
      'X-TC-Action': action,
      'X-TC-Version': version,
      'X-TC-Region': REGION,
      'X-TC-Timestamp': String(timestamp),
      'Content-Length': String(Buffer.byteLength(body)),
      Authorization: tc3Authorization({
        secretId: DEFAULT_CREDENTIAL.secretId,
        secretKey: DEFAULT_CREDENTIAL.secretKey,
        method: 'POST',
        signedHeaders: { 'content-type': 'application/json', host: '127.0.0.1' },
        body,
        timestamp,
        service: '127',
      }),
    },
  });
  const calls = [
    presign(
      'DescribeInstances',
      '2017-03-12',
      JSON.stringify({ InstanceIds: [targets.instanceId] }),
    ),
    presign(
      'GetSecretValue',
      '2019-09-23',
      JSON.stringify({ SecretName: SECRET_NAME, VersionId: VERSION_ID }),
    ),
  ];
  const send = (worker: number, i: number) =>
    new Promise<void>((resolve, reject) => {
      const call = calls[(worker + i) % 2];
      if (!call) throw new Error('no call');
      const req = request(
        {
          host: '127.0.0.1',
          port: targets.port,
          method: 'POST',
          path: '/',
          headers: call.headers,
          agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (text.includes('"Error"')) reject(new Error(text));
            else resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(call.body);
    });
  return drive(label, options.concurrency, options.seconds, options.warmup, send).finally(() =>
    agent.destroy(),
  );
}

/** Child role `memory` (run with --expose-gc): a 10,000-instance fleet, measured after GC. */
async function memoryMain(): Promise<void> {
  process.on('disconnect', () => process.exit(0));
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the memory child with --expose-gc');
  // Load every module first, so the delta is the fleet's and not the code's.
  const warm = await startEmulator({ fleet: { count: 10 } });
  await warm.close();
  gc();
  gc();
  const before = process.memoryUsage();
  const t0 = performance.now();
  const emulator = await startEmulator({ rateLimits: false, fleet: FLEET_10K });
  const startMs = performance.now() - t0;
  gc();
  gc();
  const after = process.memoryUsage();

  const t1 = performance.now();
  let swept = 0;
  for (const region of emulator.state.cvm.regions()) {
    const client = new cvm.v20170312.Client({
      credential: DEFAULT_CREDENTIAL,
      region,
      profile: { httpProfile: { protocol: 'http://', endpoint: emulator.endpoint } },
    });
    for (let offset = 0; ; offset += 100) {
      const page = await client.DescribeInstances({ Offset: offset, Limit: 100 });
      swept += page.InstanceSet?.length ?? 0;
      if (offset + 100 >= (page.TotalCount ?? 0)) break;
    }
  }
  const sweepMs = performance.now() - t1;
  gc();
  gc();
  const afterSweep = process.memoryUsage();
  const report: MemoryReport = {
    type: 'memory',
    instances: emulator.state.cvm.instances().length,
    startMs,
    rssBefore: before.rss,
    rssAfter: after.rss,
    heapBefore: before.heapUsed,
    heapAfter: after.heapUsed,
    rssAfterSweep: afterSweep.rss,
    heapAfterSweep: afterSweep.heapUsed,
    sweepMs,
    swept,
  };
  await emulator.close();
  process.send?.(report, () => process.exit(0));
}

function runMemoryChild(): Promise<MemoryReport> {
  const child = fork(__filename, ['--role=memory'], {
    execArgv: [...process.execArgv, '--expose-gc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve(message as MemoryReport));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the memory child exited with ${code}`));
    });
  });
}

function table(rows: readonly LoadResult[]): string {
  const header = [
    'scenario',
    'req/s',
    'requests',
    'errors',
    'p50 ms',
    'p99 ms',
    'load CPU',
    'server CPU',
    'machine',
  ];
  const body = rows.map((r) => [
    r.label,
    fmt(r.rps),
    String(r.requests),
    String(r.errors),
    fmt(r.p50Ms, 1),
    fmt(r.p99Ms, 1),
    `${fmt(r.loadCpuPct)}%`,
    r.serverCpuPct === undefined ? '(same)' : `${fmt(r.serverCpuPct)}%`,
    `${fmt(r.machineCpuPct)}%`,
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      concurrency: { type: 'string', default: '64' },
      clients: { type: 'string', default: '16' },
      role: { type: 'string' },
    },
    strict: true,
  });
  if (values.role === 'server' || values.role === 'stub') return childMain(values.role);
  if (values.role === 'memory') return memoryMain();

  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const clients = Number(values.clients);
  if (!(seconds > 0) || !(concurrency > 0) || !(clients > 0)) {
    process.stderr.write(
      'bench: --seconds, --concurrency and --clients must be positive numbers\n',
    );
    process.exit(2);
  }
  const load = { concurrency, clients, seconds, warmup: 1 };
  process.stdout.write(
    `Emulator benchmark: Node ${process.version}, ${cpus().length} CPUs, ` +
      `${concurrency} concurrent calls over ${clients} SDK client pairs, ${seconds} s per scenario (+1 s warm-up)\n\n`,
  );

  const rows: LoadResult[] = [];

  // 1a. Same process.
  {
    const bench = await benchEmulator();
    const targets = {
      endpoint: bench.emulator.endpoint,
      port: bench.emulator.port,
      instanceId: bench.instanceId,
    };
    rows.push(await sdkLoad('SDK -> emulator, same process', targets, load));
    await bench.emulator.close();
  }

  // 1b. Emulator in a child process (the SDK's default agent: Node 20's keep-alive globalAgent).
  let serverRss = 0;
  const inChild = async (
    label: string,
    role: 'server' | 'stub',
    run: (targets: Targets) => Promise<LoadResult>,
  ): Promise<void> => {
    const child = await startChild(role);
    const result = await run(child.targets);
    const stats = await child.stop();
    // The child's CPU spans the warm-up too, at the same load: spread it over both.
    result.serverCpuPct = (stats.cpuMicros / 1000 / ((seconds + load.warmup) * 1000)) * 100;
    if (role === 'server' && serverRss === 0) serverRss = stats.rss;
    rows.push({ ...result, label });
  };
  await inChild('SDK -> emulator, server in a child process', 'server', (t) =>
    sdkLoad('', t, load),
  );
  const keepAlive = new HttpAgent({ keepAlive: true, maxSockets: concurrency });
  await inChild('  same, SDK given a keep-alive agent', 'server', (t) =>
    sdkLoad('', t, { ...load, agent: keepAlive }),
  );
  keepAlive.destroy();
  const noKeepAlive = new HttpAgent({ keepAlive: false });
  await inChild('  same, SDK without keep-alive', 'server', (t) =>
    sdkLoad('', t, { ...load, agent: noKeepAlive }),
  );

  // 2. Where the time goes: each side alone.
  await inChild('SDK -> stub server (SDK client ceiling)', 'stub', (t) => sdkLoad('', t, load));
  await inChild('raw pre-signed HTTP -> emulator (server ceiling)', 'server', (t) =>
    rawLoad('', t, load),
  );

  process.stdout.write(`${table(rows)}\n\n`);

  // 3. Memory.
  const memory = await runMemoryChild();
  const rssDelta = (memory.rssAfter - memory.rssBefore) / MB;
  const heapDelta = (memory.heapAfter - memory.heapBefore) / MB;
  process.stdout.write(
    [
      `Memory of a ${memory.instances}-instance fleet (fresh process, after GC):`,
      `  start ${fmt(memory.startMs)} ms; RSS ${fmt(memory.rssBefore / MB, 1)} -> ${fmt(memory.rssAfter / MB, 1)} MB (+${fmt(rssDelta, 1)} MB); ` +
        `heap used ${fmt(memory.heapBefore / MB, 1)} -> ${fmt(memory.heapAfter / MB, 1)} MB (+${fmt(heapDelta, 1)} MB)`,
      `  after paging all ${memory.swept} instances with DescribeInstances (${fmt(memory.sweepMs)} ms): ` +
        `RSS ${fmt(memory.rssAfterSweep / MB, 1)} MB, heap used ${fmt(memory.heapAfterSweep / MB, 1)} MB`,
      `  emulator child RSS after the child-process throughput run: ${fmt(serverRss / MB, 1)} MB`,
      '',
    ].join('\n'),
  );

  const headline = rows[1] ?? rows[0];
  const best = Math.max(rows[0]?.rps ?? 0, rows[1]?.rps ?? 0);
  const summary = {
    node: process.version,
    concurrency,
    clients,
    seconds,
    scenarios: rows.map((r) => ({
      label: r.label,
      rps: Math.round(r.rps),
      requests: r.requests,
      errors: r.errors,
      p50Ms: Number(r.p50Ms.toFixed(2)),
      p99Ms: Number(r.p99Ms.toFixed(2)),
      loadCpuPct: Math.round(r.loadCpuPct),
      machineCpuPct: Math.round(r.machineCpuPct),
      ...(r.serverCpuPct === undefined ? {} : { serverCpuPct: Math.round(r.serverCpuPct) }),
    })),
    throughputTarget: 2000,
    throughputMet: best >= 2000,
    headlineRps: Math.round(headline?.rps ?? 0),
    memory: {
      instances: memory.instances,
      rssDeltaMB: Number(rssDelta.toFixed(1)),
      heapDeltaMB: Number(heapDelta.toFixed(1)),
      rssMB: Number((memory.rssAfter / MB).toFixed(1)),
      rssAfterSweepMB: Number((memory.rssAfterSweep / MB).toFixed(1)),
      startMs: Math.round(memory.startMs),
      sweepMs: Math.round(memory.sweepMs),
      targetMB: 200,
      met: memory.rssAfterSweep - memory.rssBefore < 200 * MB,
    },
    serverChildRssMB: Number((serverRss / MB).toFixed(1)),
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
