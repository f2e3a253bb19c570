import { afterAll } from 'vitest';
import { clearProxy } from '../src/emulator/proxy';
import { allReceivedSecrets, capturedOutput } from './helpers/world';

// The Tencent Node SDK sends every request through `http_proxy` when it is set and ignores
// NO_PROXY (facts/tencent-cloud-api.md §5.3), which would carry emulator traffic off 127.0.0.1.
clearProxy();

// Everything this test file writes to stdout/stderr or the console is kept, and after the file
// it is scanned for every password and secret string any emulator of the file received: no
// password may reach any output, on any path.
const captured: string[] = [];
const keep = (chunk: unknown) => {
  captured.push(
    typeof chunk === 'string'
      ? chunk
      : Buffer.isBuffer(chunk)
        ? chunk.toString('utf8')
        : String(chunk),
  );
};
for (const stream of [process.stdout, process.stderr]) {
  const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  (stream as unknown as { write: (...args: unknown[]) => boolean }).write = (
    chunk: unknown,
    ...rest: unknown[]
  ) => {
    keep(chunk);
    return original(chunk, ...rest);
  };
}
for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
  const original = console[method].bind(console);
  console[method] = (...args: unknown[]) => {
    keep(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    original(...args);
  };
}

afterAll(() => {
  const output = `${captured.join('')}\n${capturedOutput()}`;
  const leaked = allReceivedSecrets().filter(
    (secret) => secret.length >= 6 && output.includes(secret),
  );
  if (leaked.length > 0) {
    throw new Error(
      `${leaked.length} password(s) or secret string(s) appeared in this test file's output`,
    );
  }
});
