import type { Clock } from '../clock';
import type { Random } from '../random';
import type { FaultOptions, ResetTiming, ServiceDef } from '../types';
import { describeImages, describeInstances } from './describe';
import type { CvmState, InstanceSeed } from './model';
import { resetInstancesPassword } from './reset';
import { CvmStore } from './store';

export interface CvmDeps {
  clock: Clock;
  random: Random;
  /** Read when a reset completes, so tests can change faults while resets are in flight. */
  faults: () => FaultOptions;
  resetTiming: ResetTiming;
  fleet: InstanceSeed[];
}

/**
 * The CVM 2017-03-12 service: DescribeInstances, DescribeImages and the asynchronous
 * ResetInstancesPassword, with the error codes of facts/tencent-cloud-api.md §1–2.
 */
export function createCvm(deps: CvmDeps): { service: ServiceDef; state: CvmState & CvmStore } {
  const store = new CvmStore({
    clock: deps.clock,
    random: deps.random,
    faults: deps.faults,
    resetTiming: deps.resetTiming,
  });
  for (const seed of deps.fleet) store.addInstance(seed);
  const service: ServiceDef = {
    version: '2017-03-12',
    name: 'CVM',
    // CVM's internal error code differs from most products' InternalError (facts §4.2, §9.11).
    internalErrorCode: 'InternalServerError',
    actions: {
      DescribeInstances: describeInstances(store),
      DescribeImages: describeImages(store),
      ResetInstancesPassword: resetInstancesPassword(store),
    },
  };
  return { service, state: store };
}

export type { CvmInstance } from './store';
