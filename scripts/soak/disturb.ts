/**
 * "Someone else" acting on the fleet while a run goes: instances started, stopped, rebooted or
 * deleted between the rotator's discovery and its reset (and at other random moments). Each act
 * goes through the emulator exactly as the real API behaves: the state changes and
 * `LatestOperation*` is overwritten.
 */
import type { Emulator, InstanceRecord } from '../../src/emulator';
import type { Random } from '../../src/emulator/random';
import { isManaged } from './fleet';

export type ExternalAct = 'StartInstances' | 'StopInstances' | 'RebootInstances' | 'delete';

export interface Disturbance {
  readonly instanceId: string;
  readonly region: string;
  readonly act: ExternalAct;
  /** What the soak was reacting to: a checkpoint step or `timer`. */
  readonly trigger: string;
  /** Real ms since the run started. */
  readonly atMs: number;
}

/** Deleting too much would leave little to rotate: at most this fraction of the fleet. */
const MAX_DELETED_FRACTION = 0.05;
const DELETE_PROBABILITY = 0.08;

export class Disturber {
  private deleted = 0;
  private readonly maxDeleted: number;

  constructor(
    private readonly emulator: Emulator,
    private readonly random: Random,
    fleetSize: number,
    /** Called with the instance just before the act (the soak reads its state first). */
    private readonly before: (instanceId: string) => void,
  ) {
    this.maxDeleted = Math.floor(fleetSize * MAX_DELETED_FRACTION);
  }

  /** Acts on up to `count` random managed instances (of `region` if given); returns the acts. */
  act(count: number, trigger: string, atMs: number, region?: string): Disturbance[] {
    const candidates = this.emulator.state.cvm
      .instances(region)
      .filter(
        (r) =>
          isManaged(r) &&
          r.LatestOperationState !== 'OPERATING' &&
          (r.InstanceState === 'RUNNING' || r.InstanceState === 'STOPPED'),
      );
    const done: Disturbance[] = [];
    for (let i = 0; i < count && candidates.length > 0; i++) {
      const index = this.random.int(0, candidates.length - 1);
      const record = candidates[index] as InstanceRecord;
      candidates.splice(index, 1);
      const act = this.pickAct(record);
      this.before(record.InstanceId);
      if (act === 'delete') {
        this.emulator.state.cvm.removeInstance(record.InstanceId);
        this.deleted++;
      } else {
        this.emulator.state.cvm.externalOperation(record.InstanceId, act);
      }
      done.push({ instanceId: record.InstanceId, region: record.region, act, trigger, atMs });
    }
    return done;
  }

  private pickAct(record: InstanceRecord): ExternalAct {
    if (this.deleted < this.maxDeleted && this.random.next() < DELETE_PROBABILITY) return 'delete';
    if (record.InstanceState === 'STOPPED') return 'StartInstances';
    return this.random.next() < 0.6 ? 'StopInstances' : 'RebootInstances';
  }
}
