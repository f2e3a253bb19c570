/**
 * The execution role's CAM policies (deploy/*.json): least privilege that still covers every call
 * the function makes. The policy grants no wildcard action, scopes the only destructive CVM call by
 * the rotation tag, and scopes the SSM writes to the secret prefix.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_DEFAULTS } from '../../src/config/env';

const ROOT = resolve(__dirname, '../..');
const DEPLOY = join(ROOT, 'deploy');

interface Statement {
  effect: string;
  action: string[];
  resource: string[];
  condition?: Record<string, Record<string, string[]>>;
}
interface Policy {
  version: string;
  statement: Statement[];
}

const read = (name: string): Policy =>
  JSON.parse(readFileSync(join(DEPLOY, name), 'utf8')) as Policy;
const policy = read('cam-policy.json');
const statementsFor = (p: Policy, action: string) =>
  p.statement.filter((s) => s.action.includes(action));

/** Every API action the function's Tencent adapters call: `.cvm(region).X(`, `.ssm(…)`, `.scf(…)`. */
function actionsCalledByTheFunction(): string[] {
  const dir = join(ROOT, 'src', 'cloud', 'tencent');
  const actions = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(join(dir, file), 'utf8');
    for (const match of source.matchAll(/\.(cvm|ssm|scf)\([^)]*\)\s*\.([A-Z]\w+)\(/g)) {
      actions.add(`${match[1]}:${match[2]}`);
    }
  }
  return [...actions].sort();
}

describe('deploy/cam-policy.json', () => {
  it('is CAM policy syntax 2.0 with allow statements only', () => {
    expect(policy.version).toBe('2.0');
    expect(policy.statement.length).toBeGreaterThan(0);
    for (const statement of policy.statement) {
      expect(statement.effect).toBe('allow');
      expect(statement.action.length).toBeGreaterThan(0);
      expect(statement.resource.length).toBeGreaterThan(0);
    }
  });

  it('names no wildcard action', () => {
    for (const file of readdirSync(DEPLOY).filter((f) => /^cam-policy.*\.json$/.test(f))) {
      for (const action of read(file).statement.flatMap((s) => s.action)) {
        expect(action, `${file}: ${action}`).toMatch(/^[a-z]+:[A-Z][A-Za-z]+$/);
      }
    }
  });

  it('allows ResetInstancesPassword only on instances tagged rotation=enabled', () => {
    const statements = statementsFor(policy, 'cvm:ResetInstancesPassword');
    expect(statements).toHaveLength(1);
    const [reset] = statements;
    expect(reset?.action).toEqual(['cvm:ResetInstancesPassword']);
    expect(reset?.condition).toEqual({
      'for_any_value:string_equal': { 'qcs:resource_tag': ['rotation&enabled'] },
    });
  });

  it('leaves only the listing calls, which cannot be tag-scoped, on every resource', () => {
    const unscoped = policy.statement
      .filter((s) => s.resource.includes('*') && s.condition === undefined)
      .flatMap((s) => s.action)
      .sort();
    expect(unscoped).toEqual(['cvm:DescribeImages', 'cvm:DescribeInstances', 'ssm:ListSecrets']);
  });

  it('limits every SSM call on a secret to names with the default prefix', () => {
    const prefix = `${ENV_DEFAULTS.ROTATION_SECRET_PREFIX}-*`;
    for (const statement of policy.statement.filter((s) =>
      s.action.some((a) => a.startsWith('ssm:')),
    )) {
      const actions = statement.action.join(',');
      if (actions === 'ssm:ListSecrets') continue;
      if (actions === 'ssm:CreateSecret') {
        // CreateSecret's resource is the account's secret space; it cannot be name-scoped.
        expect(statement.resource).toEqual(['qcs::ssm::uin/<OWNER_UIN>:secret/*']);
        continue;
      }
      for (const resource of statement.resource) {
        expect(resource, actions).toMatch(/^qcs::ssm:\*:uin\/<OWNER_UIN>:secret\/creatorUin\/\*\//);
        expect(resource.endsWith(`/${prefix}`), actions).toBe(true);
      }
    }
  });

  it('covers every CVM and SSM call the function makes', () => {
    const granted = new Set(policy.statement.flatMap((s) => s.action));
    const called = actionsCalledByTheFunction().filter((action) => !action.startsWith('scf:'));
    expect(called).toEqual(
      expect.arrayContaining(['cvm:ResetInstancesPassword', 'ssm:CreateSecret']),
    );
    expect(called.filter((action) => !granted.has(action))).toEqual([]);
  });
});

describe('the optional policies and the role', () => {
  it('grants KMS only on the configured key, in a separate file', () => {
    expect(policy.statement.flatMap((s) => s.action).some((a) => a.startsWith('kms:'))).toBe(false);
    const kms = read('cam-policy-kms.json');
    expect(kms.statement.flatMap((s) => s.resource)).toEqual([
      'qcs::kms:*:uin/<OWNER_UIN>:key/creatorUin/*/<KMS_KEY_ID>',
    ]);
  });

  it("grants InvokeFunction, the CAM action of the fan-out's SCF Invoke, only on the function itself", () => {
    expect(actionsCalledByTheFunction().filter((a) => a.startsWith('scf:'))).toEqual([
      'scf:Invoke',
    ]);
    expect(policy.statement.flatMap((s) => s.action).some((a) => a.startsWith('scf:'))).toBe(false);
    const invoke = read('cam-policy-invoke.json');
    expect(invoke.statement.flatMap((s) => s.action)).toEqual(['scf:InvokeFunction']);
    expect(invoke.statement.flatMap((s) => s.resource)).toEqual([
      'qcs::scf:<REGION>:uin/<OWNER_UIN>:namespace/default/function/cvm-password-rotator-<STAGE>',
    ]);
  });

  it('lets only SCF assume the execution role', () => {
    const trust = JSON.parse(readFileSync(join(DEPLOY, 'cam-role-trust.json'), 'utf8')) as {
      statement: Array<{ action: string; principal: { service: string } }>;
    };
    expect(trust.statement).toEqual([
      { action: 'name/sts:AssumeRole', effect: 'allow', principal: { service: 'scf.qcloud.com' } },
    ]);
  });
});
