import { cpus } from 'node:os';

/**
 * Busy and total CPU time of the whole machine so far, in ms (from os.cpus()). The benchmarks
 * print the machine's load beside each figure: this machine is shared, and a run measured while
 * another process took a core is not comparable.
 */
export function machineTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of cpus()) {
    const t = cpu.times;
    const sum = t.user + t.nice + t.sys + t.idle + t.irq;
    total += sum;
    busy += sum - t.idle;
  }
  return { busy, total };
}
