import type { OutputStream } from './io';

/** What the progress line counts, from the audit events (src/audit/events.ts). */
export interface ProgressCounts {
  rotated: number;
  failed: number;
  skipped: number;
  /** Instances whose ResetInstancesPassword was accepted and not yet verified. */
  resetting: number;
}

const REDRAW_MS = 100;

/**
 * A single updating status line on a terminal, fed with the run's audit lines:
 * `rotating… 12 rotated · 1 failed · 3 skipped · 40 resetting · 8.2 s`. Redrawn on events at most
 * every 100 ms and every second for the clock; `clear()` removes it before the summary.
 */
export class ProgressLine {
  readonly counts: ProgressCounts = { rotated: 0, failed: 0, skipped: 0, resetting: 0 };
  private lastDraw = 0;
  private drawn = false;
  private ticker: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly stream: OutputStream,
    private readonly started: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Draws at once, then every second: discovery of a large fleet says nothing for a while. */
  start(): void {
    this.draw(true);
    this.ticker = setInterval(() => this.draw(true), 1000);
    this.ticker.unref();
  }

  /** Feeds one audit line (a JSON object); anything else is ignored. */
  onLine(line: string): void {
    let entry: { event?: unknown; instanceIds?: unknown };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    switch (entry.event) {
      case 'instance.rotated':
        this.counts.rotated++;
        this.counts.resetting = Math.max(0, this.counts.resetting - 1);
        break;
      case 'instance.failed':
        this.counts.failed++;
        // Approximate: a failure before the reset was never counted as resetting.
        this.counts.resetting = Math.max(0, this.counts.resetting - 1);
        break;
      case 'instance.skipped':
        this.counts.skipped++;
        break;
      case 'batch.reset.requested':
        if (Array.isArray(entry.instanceIds)) this.counts.resetting += entry.instanceIds.length;
        break;
      default:
        return;
    }
    this.draw(false);
  }

  draw(force: boolean): void {
    const now = this.now();
    if (!force && now - this.lastDraw < REDRAW_MS) return;
    this.lastDraw = now;
    const { rotated, failed, skipped, resetting } = this.counts;
    const parts = [`${rotated} rotated`, `${failed} failed`, `${skipped} skipped`];
    if (resetting > 0) parts.push(`${resetting} resetting`);
    parts.push(`${((now - this.started) / 1000).toFixed(1)} s`);
    const text = `rotating… ${parts.join(' · ')}`;
    const width = Math.max(20, (this.stream.columns ?? 80) - 1);
    // \r + "erase line": one line that updates in place.
    this.stream.write(`\r\u001b[2K${text.slice(0, width)}`);
    this.drawn = true;
  }

  clear(): void {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.ticker = undefined;
    if (this.drawn) this.stream.write('\r\u001b[2K');
    this.drawn = false;
  }
}
