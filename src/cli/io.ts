/**
 * Where the CLI writes and what it reads from its process, as a seam: the bin passes the real
 * process, tests pass buffers. Nothing in src/cli touches `process.stdout`, `process.env` or
 * `process.exit` directly except main.ts.
 */
export interface OutputStream {
  write(text: string): void;
  /** A terminal: progress lines and tables instead of machine output. */
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Registers a handler for Ctrl+C during a rotation (main.ts wires SIGINT); returns a function
   * that removes it. Absent in tests.
   */
  readonly onInterrupt?: (handler: () => void) => () => void;
}

/** Exit codes, documented in docs/cli.md. */
export const EXIT = {
  /** Everything rotated (or nothing to do); a plan without problems; a read that found it. */
  ok: 0,
  /** A partial or failed run, an instance not rotated, a secret not found, a cloud error. */
  failed: 1,
  /** Bad usage or configuration (flags, ROTATION_* variables, credentials, the event). */
  usage: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
