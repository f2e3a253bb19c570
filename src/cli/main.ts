/**
 * The `cvm-rotator` bin (package.json "bin" → dist/cli.js, built by scripts/build.mjs; `npm run
 * cli -- …` from a clone). Wires the real process into run(): streams, environment, Ctrl+C, and
 * the exit code, set with process.exitCode so that piped output is flushed before exit.
 */
import type { CliIo } from './io';
import { run } from './program';

const io: CliIo = {
  stdout: {
    write: (text) => void process.stdout.write(text),
    isTTY: process.stdout.isTTY === true,
    columns: process.stdout.columns,
  },
  stderr: {
    write: (text) => void process.stderr.write(text),
    isTTY: process.stderr.isTTY === true,
    columns: process.stderr.columns,
  },
  env: process.env,
  onInterrupt: (handler) => {
    const listener = () => {
      handler();
      // 128 + SIGINT, the shell convention for a command stopped by Ctrl+C.
      process.exit(130);
    };
    process.once('SIGINT', listener);
    return () => process.off('SIGINT', listener);
  },
};

run(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `cvm-rotator: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
