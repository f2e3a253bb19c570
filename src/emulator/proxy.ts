/**
 * The Tencent Node SDK sends every request through `http_proxy` when it is set and ignores
 * NO_PROXY (facts/tencent-cloud-api.md §5.3), which would carry emulator traffic off 127.0.0.1.
 * Everything that points the SDK at the emulator (tests, the demo, benchmarks, the soak, the
 * deploy check) clears these first.
 */
export const PROXY_VARIABLES = [
  'http_proxy',
  'HTTP_PROXY',
  'https_proxy',
  'HTTPS_PROXY',
  'all_proxy',
  'ALL_PROXY',
] as const;

/** Removes the proxy variables from `env` (default: this process's environment). */
export function clearProxy(env: Record<string, string | undefined> = process.env): void {
  for (const name of PROXY_VARIABLES) delete env[name];
}

/** A copy of `env` without the proxy variables, for a child process. */
export function withoutProxy<T extends Record<string, string | undefined>>(env: T): T {
  const copy = { ...env };
  clearProxy(copy);
  return copy;
}
