/**
 * The soak's own instruments: if they cannot see a lost password, an out-of-sync secret or a
 * leak, the soak's zeros mean nothing. Each check here is shown failing on purpose.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConvergenceTracker } from '../../scripts/soak/convergence';
import { isEligible, isManaged, snapshotPasswords } from '../../scripts/soak/fleet';
import { inSync, lostUsers, SECRET_PREFIX, summarizeVersions } from '../../scripts/soak/invariants';
import { LeakScanner } from '../../scripts/soak/leaks';
import type { Emulator } from '../../src/emulator';
import { instanceId, testFleet } from '../helpers/fleet';
import { ssmClient } from '../helpers/sdk';
import { startTestEmulator } from '../helpers/world';

const REGION = 'ap-guangzhou';
let emulator: Emulator | undefined;
afterEach(async () => {
  await emulator?.close();
  emulator = undefined;
});

/** Stores a version of an instance's secret through the real SSM SDK, as the rotator would. */
async function store(
  emu: Emulator,
  id: string,
  versionId: string,
  content: { password: string; userName: string },
): Promise<void> {
  const client = ssmClient(emu, { region: REGION });
  const SecretName = `${SECRET_PREFIX}-${id}`;
  const SecretString = JSON.stringify({ ...content, status: 'current' });
  if (emu.state.ssm.secret(REGION, SecretName)) {
    await client.PutSecretValue({ SecretName, VersionId: versionId, SecretString });
  } else {
    await client.CreateSecret({ SecretName, VersionId: versionId, SecretString });
  }
}

describe('invariant checks', () => {
  it('sees a lost password, an out-of-sync secret, and their repairs', async () => {
    emulator = await startTestEmulator({ fleet: testFleet({ count: 2, regions: [REGION] }) });
    const emu = emulator;
    const id = instanceId(0);
    const initial = snapshotPasswords(emu.state.cvm.instances());
    const record = emu.state.cvm.instance(id);
    if (!record) throw new Error('no instance');
    const user = record.DefaultLoginUser;
    expect(isManaged(record)).toBe(true);
    expect(isEligible(record)).toBe(true);
    // Untouched: the initial password was never the rotator's to store, so nothing is lost,
    // but nothing is in sync either.
    expect(lostUsers(emu, record, initial)).toEqual([]);
    expect(inSync(emu, record)).toBe(false);

    // The password changed on the box and stored nowhere: lost.
    record.passwords.set(user, 'Box-Only-Passw0rd!');
    expect(lostUsers(emu, record, initial)).toEqual([user]);

    // Stored for another user: still lost (the operator would log in as the wrong account).
    await store(emu, id, 'v1', { password: 'Box-Only-Passw0rd!', userName: 'someone-else' });
    expect(lostUsers(emu, record, initial)).toEqual([user]);

    // Stored for the right user, but an older version: not lost, yet out of sync.
    await store(emu, id, 'v2', { password: 'Box-Only-Passw0rd!', userName: user });
    await store(emu, id, 'v3', { password: 'Never-Applied-Pw1!', userName: user });
    expect(lostUsers(emu, record, initial)).toEqual([]);
    expect(inSync(emu, record)).toBe(false);
    const summary = summarizeVersions(emu, record);
    expect(summary.map((v) => [v.versionId, v.holdsActualPassword])).toEqual([
      ['v3', false],
      ['v2', true],
      ['v1', false],
    ]);
    // Nothing a report may print carries a password.
    expect(JSON.stringify(summary)).not.toContain('Passw0rd');

    // The newest holds it: in sync.
    await store(emu, id, 'v4', { password: 'Box-Only-Passw0rd!', userName: user });
    expect(inSync(emu, record)).toBe(true);

    // A stopped-charging or busy instance is not eligible for the clean run's check.
    emu.state.cvm.update(id, { LatestOperationState: 'OPERATING' });
    expect(isEligible(record)).toBe(false);
  });
});

describe('convergence', () => {
  it('counts runs from the last disturbance in the out-of-sync stretch', () => {
    const t = new ConvergenceTracker(['i-a', 'i-b', 'i-c']);
    // Run 1: a in sync (took 1 run from creation); b disturbed and out; c out, undisturbed.
    t.observe('i-a', 1, false, true);
    t.observe('i-b', 1, true, false);
    t.observe('i-c', 1, false, false);
    // Run 2: b disturbed again, still out; c still out.
    t.observe('i-a', 2, false, true);
    t.observe('i-b', 2, true, false);
    t.observe('i-c', 2, false, false);
    // Run 3: all in sync. b: 3 - 2 = 1; c: 3 - 0 = 3 (never disturbed, out since creation).
    t.observe('i-a', 3, false, true);
    t.observe('i-b', 3, false, true);
    t.observe('i-c', 3, false, true);
    // Run 4: a falls out of sync without any disturbance (weather); run 6 it is back: 6 - 4 = 2.
    t.observe('i-a', 4, false, false);
    t.observe('i-a', 5, false, false);
    t.observe('i-a', 6, true, true);
    const s = t.summary();
    expect(s.histogram).toEqual({ '1': 2, '2': 1, '3': 1 });
    expect(s.maxRunsToConverge).toBe(3);
    expect(s.longest).toEqual({ instanceId: 'i-c', from: 0, to: 3 });
    expect(t.open()).toEqual([]);
  });

  it('keeps a stretch open until the instance is back in sync, and forgets deleted ones', () => {
    const t = new ConvergenceTracker(['i-a', 'i-b']);
    t.observe('i-a', 1, true, false);
    t.observe('i-b', 1, true, false);
    t.forget('i-b');
    t.observe('i-b', 2, false, true);
    expect(t.open()).toEqual(['i-a']);
    expect(t.summary().episodes).toBe(0);
  });
});

describe('leak scanner', () => {
  it('finds a known password, raw or JSON-escaped, and redacts it', () => {
    const secrets = ['Abc-123_xyz!Q9', 'Quote"And\\Back1', '{"password":"ignored-json"}'];
    const scanner = new LeakScanner(() => secrets);
    expect(scanner.count('nothing here')).toBe(0);
    expect(scanner.count('a line with Abc-123_xyz!Q9 inside')).toBe(1);
    expect(scanner.count(JSON.stringify({ message: 'x Quote"And\\Back1 y' }))).toBe(1);
    expect(scanner.redact('p=Abc-123_xyz!Q9;')).toBe('p=***;');
  });
});
