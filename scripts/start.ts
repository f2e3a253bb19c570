/**
 * `npm start`: the main job on the embedded emulator, no cloud account needed. Starts a local
 * Tencent Cloud (CVM + SSM) on 127.0.0.1 with the demo fleet (320 instances, 2 regions), runs one
 * rotation through the real handler exactly as the SCF timer would, checks every stored password
 * against the emulator's, prints a summary, and stops everything.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { classifyOs } from '../src/discovery/os';
import { DEFAULT_CREDENTIAL, startEmulator } from '../src/emulator';
import { clearProxy } from '../src/emulator/proxy';
import { runFromEvent } from '../src/handler';

// The SDK would send emulator traffic through a proxy and ignores NO_PROXY (facts §5.3).
clearProxy();

const REGIONS = ['ap-guangzhou', 'ap-shanghai'];

async function main(): Promise<number> {
  const startedAt = Date.now();
  const emulator = await startEmulator({ fleet: 'demo' });
  const auditDir = join(process.cwd(), '.demo');
  mkdirSync(auditDir, { recursive: true });
  const auditPath = join(auditDir, 'audit.jsonl');
  const lines: string[] = [];
  try {
    console.log(
      `Local Tencent Cloud emulator on ${emulator.url} with the demo fleet (${emulator.state.cvm.instances().length} instances).`,
    );
    console.log('Running one rotation through main_handler, as the nightly timer would...\n');
    const env = {
      TENCENTCLOUD_SECRETID: DEFAULT_CREDENTIAL.secretId,
      TENCENTCLOUD_SECRETKEY: DEFAULT_CREDENTIAL.secretKey,
      TENCENTCLOUD_REGION: 'ap-guangzhou',
      ROTATION_TAGS: 'rotation=enabled',
      ROTATION_REGIONS: REGIONS.join(','),
      ROTATION_CVM_ENDPOINT: emulator.url,
      ROTATION_SSM_ENDPOINT: emulator.url,
    };
    const report = await runFromEvent(
      { Type: 'Timer', TriggerName: 'nightly', Time: new Date().toISOString(), Message: '' },
      {
        request_id: 'demo',
        function_name: 'cvm-password-rotator',
        time_limit_in_ms: 900_000,
        memory_limit_in_mb: 256,
      },
      { env, write: (line) => lines.push(line) },
    );
    writeFileSync(auditPath, `${lines.join('\n')}\n`);

    // Verify the contract against the emulator's actual passwords, without printing any.
    let verified = 0;
    let mismatched = 0;
    for (const entry of report.instances.filter((i) => i.result === 'rotated')) {
      const secret = emulator.state.ssm.secret(entry.region, entry.secretName ?? '');
      const newest = [...(secret?.versions.values() ?? [])].sort(
        (a, b) => b.CreateTime - a.CreateTime || (b.VersionId > a.VersionId ? 1 : -1),
      )[0];
      const stored = JSON.parse(newest?.SecretString ?? '{}') as {
        password?: string;
        userName?: string;
      };
      if (
        stored.password !== undefined &&
        stored.password === emulator.state.cvm.actualPassword(entry.instanceId, stored.userName)
      )
        verified++;
      else mismatched++;
    }

    const byRegionOs = new Map<string, { rotated: number; skipped: number; failed: number }>();
    for (const entry of report.instances) {
      const instance = emulator.state.cvm.instance(entry.instanceId);
      const os = instance ? (classifyOs(instance.OsName || 'linux')?.os ?? 'unknown') : 'unknown';
      const key = `${entry.region || '-'} ${os}`;
      const row = byRegionOs.get(key) ?? { rotated: 0, skipped: 0, failed: 0 };
      if (entry.result === 'rotated' || entry.result === 'skipped' || entry.result === 'failed')
        row[entry.result]++;
      byRegionOs.set(key, row);
    }
    const reasons = new Map<string, string[]>();
    for (const entry of report.instances.filter((i) => i.result !== 'rotated')) {
      const key = `${entry.result}: ${entry.reason ?? ''}`;
      reasons.set(key, [...(reasons.get(key) ?? []), entry.instanceId]);
    }

    console.log(`Run ${report.runId}: ${report.status.toUpperCase()}`);
    console.log(
      `  discovered ${report.counts.discovered}, rotated ${report.counts.rotated}, skipped ${report.counts.skipped}, failed ${report.counts.failed}\n`,
    );
    console.log('  region        os        rotated  skipped  failed');
    for (const [key, row] of [...byRegionOs].sort()) {
      const [region, os] = key.split(' ');
      console.log(
        `  ${(region ?? '').padEnd(13)} ${(os ?? '').padEnd(9)} ${String(row.rotated).padStart(7)}  ${String(row.skipped).padStart(7)}  ${String(row.failed).padStart(6)}`,
      );
    }
    console.log('\n  Not rotated, by reason:');
    for (const [reason, ids] of [...reasons].sort((a, b) => b[1].length - a[1].length)) {
      const sample = ids.slice(0, 3).join(', ') + (ids.length > 3 ? ', ...' : '');
      console.log(`    ${String(ids.length).padStart(4)}  ${reason.padEnd(45)} e.g. ${sample}`);
    }
    const example = report.instances.find((i) => i.result === 'rotated');
    console.log(
      "\n  Secrets: one per instance, named cvm-password-<instanceId>, in the instance's region (SSM).",
    );
    console.log(
      `  Verified against the emulator: ${verified} newest versions hold the actual password, ${mismatched} do not.`,
    );
    if (example) {
      console.log('  To read one yourself, keep an emulator running and rotate against it:');
      console.log(
        '    npm run emulator                                    # terminal 1: same demo fleet on :9000',
      );
      console.log(
        "    # terminal 2: TENCENTCLOUD_SECRET_ID / TENCENTCLOUD_SECRET_KEY = the emulator's built-in pair (README, The emulator)",
      );
      console.log(
        '    npx cvm-rotator rotate --endpoint http://127.0.0.1:9000 --regions ap-guangzhou --tags rotation=enabled --all',
      );
      console.log(
        `    npx cvm-rotator show ${example.instanceId} --region ${example.region} --endpoint http://127.0.0.1:9000`,
      );
    }
    console.log(`  Audit log (${lines.length} JSON lines, no passwords): ${auditPath}`);
    console.log(
      `  RUNNING instances are skipped by default; ROTATION_FORCE_STOP=true resets them with a forced shutdown.`,
    );
    console.log(`\nDone in ${((Date.now() - startedAt) / 1000).toFixed(1)} s.`);
    return mismatched === 0 && report.counts.rotated > 0 ? 0 : 1;
  } finally {
    await emulator.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
