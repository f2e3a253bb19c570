// The Tencent Node SDK sends every request through `http_proxy` when it is set and ignores
// NO_PROXY (facts/tencent-cloud-api.md §5.3), which would carry emulator traffic off 127.0.0.1.
for (const name of ['http_proxy', 'HTTP_PROXY', 'https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']) {
  delete process.env[name];
}
