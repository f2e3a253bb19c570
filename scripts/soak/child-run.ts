/**
 * Starts one rotation run in a child process and follows it: its messages, its output, its end.
 *
 * The child is `node --import tsx scripts/soak/child.ts` (no tsx wrapper process, so a SIGKILL
 * reaches the process that runs the rotator). Its environment has no proxy variables (the
 * Tencent SDK would send emulator traffic through `http_proxy`). Every child is SIGKILLed when
 * the soak exits, however it exits; the child also exits by itself when its IPC channel closes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withoutProxy } from '../../src/emulator/proxy';
import { type ChildConfig, type ChildMessage, isChildMessage } from './protocol';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD_SCRIPT = fileURLToPath(new URL('./child.ts', import.meta.url));

const live = new Set<ChildProcess>();
let cleanupInstalled = false;

function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

function installCleanup(): void {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ChildHandlers {
  readonly onMessage: (message: ChildMessage) => void;
  /** Each chunk of stdout and stderr, as text. */
  readonly onOutput: (text: string, stream: 'stdout' | 'stderr') => void;
}

/** A running child: send it its configuration once it is ready, kill it, await its end. */
export class ChildRun {
  private readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<ChildExit>;
  private killedAt: number | undefined;

  constructor(handlers: ChildHandlers) {
    installCleanup();
    const env = withoutProxy({ ...process.env, NO_PROXY: '127.0.0.1' });
    this.child = spawn(process.execPath, ['--import', 'tsx', CHILD_SCRIPT], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    live.add(this.child);
    this.child.stdout?.setEncoding('utf8');
    this.child.stderr?.setEncoding('utf8');
    this.child.stdout?.on('data', (text: string) => handlers.onOutput(text, 'stdout'));
    this.child.stderr?.on('data', (text: string) => handlers.onOutput(text, 'stderr'));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        live.delete(this.child);
        resolve({ code, signal });
      });
    });
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (message: unknown) => {
        if (!isChildMessage(message)) return;
        if (message.type === 'ready') resolve();
        handlers.onMessage(message);
      });
      this.child.once('error', reject);
      void this.exited.then(() => reject(new Error('the child exited before it was ready')));
    });
  }

  start(config: ChildConfig): void {
    this.child.send({ type: 'start', config });
  }

  /** SIGKILL: the process dies at once, whatever it was doing. Returns false if already gone. */
  kill(): boolean {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return false;
    this.killedAt = Date.now();
    return this.child.kill('SIGKILL');
  }

  get wasKilled(): boolean {
    return this.killedAt !== undefined;
  }
}
