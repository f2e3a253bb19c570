/**
 * How many runs an instance needs to get back in sync (see docs/soak.md, "Runs to converge").
 *
 * After every run (fault runs 1..N, then the clean run N+1) each managed instance that still
 * exists is either in sync (the newest version of its secret holds its actual password) or not.
 * A maximal stretch of runs a..b after which it was out of sync, followed by run s = b+1 after
 * which it is in sync again, is one episode. The instance's last disturbance in that stretch is
 * the latest run c in a..b that disturbed it (the run was killed, someone else started, stopped
 * or rebooted it, or one of its resets was made to fail); with none, c = a (the run that left it
 * out of sync; a = 0 for the fleet as created, before any rotation). The episode took s - c runs.
 * The soak reports the maximum over all episodes of all instances; an episode still open after
 * the clean run is counted in `outOfSyncAfterCleanRun` instead.
 */
export interface ConvergenceSummary {
  /** Closed episodes. */
  readonly episodes: number;
  readonly maxRunsToConverge: number;
  /** Runs needed → number of episodes. */
  readonly histogram: Readonly<Record<string, number>>;
  /** The instance and runs of (one of) the longest episodes, for the report. */
  readonly longest?: { readonly instanceId: string; readonly from: number; readonly to: number };
  /** Instances still out of sync after the last run observed (never converged). */
  readonly open: number;
  /** For those: the earliest run that left one of them out of sync … */
  readonly openSince?: number;
  /** … and the latest run that disturbed one of them (none after it counts). */
  readonly openLastDisturbance?: number;
}

interface Track {
  /** First run of the current out-of-sync stretch; undefined while in sync. */
  stretchStart: number | undefined;
  /** Latest disturbance within the current stretch. */
  lastDisturbance: number | undefined;
}

export class ConvergenceTracker {
  private readonly tracks = new Map<string, Track>();
  private readonly histogram = new Map<number, number>();
  private episodes = 0;
  private longest: ConvergenceSummary['longest'];
  private max = 0;

  /** Every managed instance starts out of sync: nothing is stored for it yet (run 0). */
  constructor(instanceIds: Iterable<string>) {
    for (const id of instanceIds)
      this.tracks.set(id, { stretchStart: 0, lastDisturbance: undefined });
  }

  /** The instance left the fleet (deleted): it leaves the invariant set. */
  forget(instanceId: string): void {
    this.tracks.delete(instanceId);
  }

  /** Records the state after `run`; `disturbed` tells whether the run disturbed the instance. */
  observe(instanceId: string, run: number, disturbed: boolean, synced: boolean): void {
    const track = this.tracks.get(instanceId);
    if (!track) return;
    if (track.stretchStart === undefined) {
      if (!synced) track.stretchStart = run;
      track.lastDisturbance = !synced && disturbed ? run : undefined;
      return;
    }
    if (!synced) {
      if (disturbed) track.lastDisturbance = run;
      return;
    }
    const cause = track.lastDisturbance ?? track.stretchStart;
    const took = run - cause;
    this.episodes++;
    this.histogram.set(took, (this.histogram.get(took) ?? 0) + 1);
    if (this.longest === undefined || took > this.max) {
      this.max = took;
      this.longest = { instanceId, from: cause, to: run };
    }
    track.stretchStart = undefined;
    track.lastDisturbance = undefined;
  }

  /** Instances still out of sync (stretch open). */
  open(): string[] {
    return [...this.tracks].filter(([, t]) => t.stretchStart !== undefined).map(([id]) => id);
  }

  summary(): ConvergenceSummary {
    const open = [...this.tracks.values()].filter((t) => t.stretchStart !== undefined);
    const since = open.map((t) => t.stretchStart as number);
    const disturbed = open.flatMap((t) => t.lastDisturbance ?? []);
    return {
      open: open.length,
      ...(since.length > 0 ? { openSince: Math.min(...since) } : {}),
      ...(disturbed.length > 0 ? { openLastDisturbance: Math.max(...disturbed) } : {}),
      episodes: this.episodes,
      maxRunsToConverge: this.max,
      histogram: Object.fromEntries([...this.histogram].sort((a, b) => a[0] - b[0])),
      ...(this.longest ? { longest: this.longest } : {}),
    };
  }
}
