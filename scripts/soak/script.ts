/**
 * Runs the soak script in its own process (as `npm run soak` does) and reads its JSON line: the
 * harness of test/soak/*.test.ts.
 */
import { spawn } from 'node:child_process';
import { withoutProxy } from '../../src/emulator/proxy';
import { ROOT } from './child-run';

export interface SoakOutcome {
  readonly code: number | null;
  readonly summary: Record<string, unknown>;
  /** The progress lines and findings (stderr); never a password. */
  readonly stderr: string;
}

export function runSoakScript(args: readonly string[], timeoutMs: number): Promise<SoakOutcome> {
  const env = withoutProxy({ ...process.env });
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'scripts/soak.ts', ...args, '--json'],
      {
        cwd: ROOT,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => {
      stdout += t;
    });
    child.stderr.setEncoding('utf8').on('data', (t: string) => {
      stderr += t;
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('error', fail);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').at(-1) ?? '';
      try {
        done({ code, summary: JSON.parse(last) as Record<string, unknown>, stderr });
      } catch {
        fail(new Error(`no JSON summary (exit ${code}); stderr tail:\n${stderr.slice(-3000)}`));
      }
    });
  });
}
