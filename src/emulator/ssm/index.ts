import type { Clock } from '../clock';
import { createRandom, type Random } from '../random';
import type { ServiceDef } from '../types';
import { createSsmActions } from './actions';
import type { SsmLimits, SsmState } from './model';
import { SecretStore } from './store';

export { EMULATOR_UIN } from './actions';

export interface SsmDeps {
  readonly clock: Clock;
  readonly limits: SsmLimits;
  /** Seeds the ListSecretVersionIds scramble; defaults to `createRandom(1)` for reproducibility. */
  readonly random?: Random;
}

/**
 * The emulated Secrets Manager (SSM 2019-09-23, facts/tencent-cloud-api.md §3): custom secrets
 * only, stored per region, with the documented limits, status rules and error codes. Every action
 * is regional (SSM storage is per region, "同一region内不可重复").
 */
export function createSsm(deps: SsmDeps): { service: ServiceDef; state: SsmState } {
  const store = new SecretStore(deps.clock, deps.limits);
  const actions = createSsmActions({ store, random: deps.random ?? createRandom(1) });
  return {
    service: {
      version: '2019-09-23',
      name: 'SSM',
      // SSM uses the common `InternalError`, unlike CVM's `InternalServerError` (facts §4.2).
      internalErrorCode: 'InternalError',
      actions,
    },
    state: store,
  };
}
