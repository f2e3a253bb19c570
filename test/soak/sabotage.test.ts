/**
 * The soak can fail: against a rotator broken on purpose it must report the breakage and exit 1.
 * `skip-persist` drops one in five writes of a new password before the reset (passwords applied
 * but stored nowhere); `leak` prints one reset password on the rotator's stdout.
 */
import { describe, expect, it } from 'vitest';
import { runSoakScript } from '../../scripts/soak/script';

const SMALL = ['--runs', '1', '--instances', '30', '--kill-rate', '0', '--regions', '2'];

describe('soak against a sabotaged rotator', () => {
  it('counts passwords applied but never stored as lost, and exits 1', async () => {
    const { code, summary } = await runSoakScript(
      [...SMALL, '--sabotage', 'skip-persist'],
      100_000,
    );
    expect(summary.passwordsLost as number).toBeGreaterThan(0);
    expect(code).toBe(1);
  }, 110_000);

  it('finds a password printed by the rotator, and exits 1', async () => {
    const { code, summary } = await runSoakScript([...SMALL, '--sabotage', 'leak'], 100_000);
    expect(summary.leaks as number).toBeGreaterThan(0);
    expect(code).toBe(1);
  }, 110_000);
});
