/**
 * A minimal reproduction of the soak's first finding (docs/soak.md, "Findings"): with
 * ROTATION_LOCK_TTL_SECONDS=5 (the accepted minimum), the region lock's renewal waits in the same
 * client-side rate-limit queues as the run's own bulk calls, lapses, and every later write of the
 * run is refused with LockLost. No faults, no kills, no child process, real time:
 *
 *   npx tsx scripts/soak/lock-starvation.ts [instances=500] [ttlSeconds=5] [runs=2]
 *
 * Prints, per run, the report's counts and the `lock.lost` events; exits 1 if a lock was lost.
 */
import { DEFAULT_CREDENTIAL, startEmulator } from '../../src/emulator';
import { clearProxy } from '../../src/emulator/proxy';
import { runFromEvent } from '../../src/handler';
import { soakFleet, soakRegions } from './fleet';

async function main(): Promise<number> {
  clearProxy();
  const [count = 500, ttl = 5, runs = 2] = process.argv.slice(2).map(Number);
  const regions = soakRegions(3);
  const emulator = await startEmulator({ fleet: soakFleet(count, regions), seed: 7 });
  let lost = 0;
  try {
    for (let run = 1; run <= runs; run++) {
      const lines: string[] = [];
      const started = Date.now();
      const report = await runFromEvent(
        { Type: 'Timer', TriggerName: 'nightly', Time: new Date().toISOString(), Message: '' },
        { request_id: `lock-starvation-${run}`, time_limit_in_ms: 900_000 },
        {
          env: {
            TENCENTCLOUD_SECRETID: DEFAULT_CREDENTIAL.secretId,
            TENCENTCLOUD_SECRETKEY: DEFAULT_CREDENTIAL.secretKey,
            TENCENTCLOUD_REGION: 'ap-guangzhou',
            ROTATION_TAGS: 'rotation=enabled',
            ROTATION_REGIONS: regions.join(','),
            ROTATION_FORCE_STOP: 'true',
            ROTATION_LOCK_TTL_SECONDS: String(ttl),
            ROTATION_CVM_ENDPOINT: emulator.url,
            ROTATION_SSM_ENDPOINT: emulator.url,
          },
          write: (line) => lines.push(line),
        },
      );
      console.log(
        `run ${run}: ${count} instances, lock TTL ${ttl} s: ${report.status} ${JSON.stringify(report.counts)} in ${Date.now() - started} ms`,
      );
      for (const line of lines) {
        if (!line.includes('"event":"lock.')) continue;
        const e = JSON.parse(line) as Record<string, unknown>;
        if (e.event === 'lock.lost') lost++;
        console.log(
          `  ${String(e.time)} ${String(e.event)} ${String(e.region)} ${String(e.why ?? '')}`,
        );
      }
    }
  } finally {
    await emulator.close();
  }
  return lost > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
