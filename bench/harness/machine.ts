/** The machine a run happened on, recorded beside every result file and README table. */
import os from 'node:os';

export interface Machine {
  /** CPU model name. */
  readonly cpus: string;
  readonly cores: number;
  readonly node: string;
  readonly totalMemoryBytes: number;
}

export function describeMachine(): Machine {
  const cpus = os.cpus();
  return {
    cpus: cpus[0]?.model.trim().replace(/\s+/g, ' ') ?? 'unknown',
    cores: cpus.length,
    node: process.version,
    totalMemoryBytes: os.totalmem(),
  };
}

/** One line for tables: `Intel Xeon …, 2 cores, 23.4 GiB, Node v20.20.2`. */
export function machineLine(m: Machine): string {
  const gib = (m.totalMemoryBytes / 2 ** 30).toFixed(1);
  return `${m.cpus}, ${m.cores} cores, ${gib} GiB, Node ${m.node}`;
}
