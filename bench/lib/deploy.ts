/**
 * The deployed function's Node configuration, read from serverless.yml, so that every rotation
 * runner runs with the flags SCF gives the function: `NODE_OPTIONS` in
 * `inputs.environment.variables` (today `--max-old-space-size=160`, a V8 heap cap for the 256 MB
 * container).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';

export interface DeployedNode {
  /** The NODE_OPTIONS value, '' when serverless.yml sets none. */
  readonly nodeOptions: string;
  /** Where it came from, for the output. */
  readonly source: string;
  /** `inputs.memorySize`, MB (undefined when absent). */
  readonly memoryMb: number | undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads `inputs.environment.variables.NODE_OPTIONS` and `inputs.memorySize` of serverless.yml. */
export function deployedNode(root: string): DeployedNode {
  const file = join(root, 'serverless.yml');
  const doc: unknown = load(readFileSync(file, 'utf8'));
  const inputs = isRecord(doc) && isRecord(doc.inputs) ? doc.inputs : {};
  const environment = isRecord(inputs.environment) ? inputs.environment : {};
  const variables = isRecord(environment.variables) ? environment.variables : {};
  const value = variables.NODE_OPTIONS;
  if (value !== undefined && typeof value !== 'string') {
    throw new Error('serverless.yml: inputs.environment.variables.NODE_OPTIONS is not a string');
  }
  const memory = inputs.memorySize;
  return {
    nodeOptions: (value ?? '').trim(),
    source: 'serverless.yml inputs.environment.variables.NODE_OPTIONS',
    memoryMb: typeof memory === 'number' ? memory : undefined,
  };
}
