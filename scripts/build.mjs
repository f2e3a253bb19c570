// Bundles the function into one CommonJS file, dist/index.js, that runs without node_modules on
// SCF's Nodejs16.13 and Nodejs18.15 runtimes (facts/serverless-deploy.md §5: handler
// `index.main_handler`, CommonJS at the package root, esbuild target node16), and the operator
// CLI into dist/cli.js. Prints each file's size.
import { chmodSync, renameSync, statSync } from 'node:fs';
import { build } from 'esbuild';

const entries = [
  { in: 'src/index.ts', out: 'dist/index.js', target: 'node16' },
  {
    in: 'src/cli/main.ts',
    out: 'dist/cli.js',
    target: 'node18',
    banner: '#!/usr/bin/env node',
    optional: true,
  },
];

for (const entry of entries) {
  try {
    statSync(entry.in);
  } catch {
    if (entry.optional) continue;
    throw new Error(`missing entry ${entry.in}`);
  }
  // Written aside and renamed into place: tests that run the bundle may be reading it while
  // another test rebuilds it, and a rename is atomic.
  const partial = `${entry.out}.${process.pid}.tmp`;
  await build({
    entryPoints: [entry.in],
    outfile: partial,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: entry.target,
    minify: true,
    keepNames: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'warning',
    ...(entry.banner ? { banner: { js: entry.banner } } : {}),
  });
  if (entry.banner) chmodSync(partial, 0o755);
  renameSync(partial, entry.out);
  const bytes = statSync(entry.out).size;
  console.log(
    `${entry.out}: ${bytes.toLocaleString('en-US')} bytes (${(bytes / 1024 / 1024).toFixed(2)} MB)`,
  );
}
