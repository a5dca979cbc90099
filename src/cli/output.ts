/** Where a command prints: injected so tests can capture lines, `consoleOutput` for the real CLI. */
export interface CliOutput {
  /** Normal output (progress, reports). */
  out(line: string): void;
  /** Errors and warnings. */
  err(line: string): void;
}

/** Prints to stdout and stderr. */
export const consoleOutput: CliOutput = {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
};
