/**
 * `weir <command>`: picks the command and turns its outcome into an exit status (0 success, 1 the
 * job or test failed, 2 a bad command line). bin/weir.js calls {@link main}.
 */
import { readFileSync } from 'node:fs';
import { UsageError, type CommandSpec } from './args.js';
import { CHAOS_COMMAND, chaosCommand } from './chaos-command.js';
import { INSPECT_COMMAND, inspectCommand } from './inspect-command.js';
import { LIST_COMMAND, listCommand } from './list-command.js';
import { consoleOutput, type CliOutput } from './output.js';
import { reportFailure, RUN_COMMAND, runCommand } from './run-command.js';
import { SAVEPOINT_COMMAND, savepointCommand } from './savepoint-command.js';
import { STOP_COMMAND, stopCommand } from './stop-command.js';
import { VERIFY_COMMAND, verifyCommand } from './verify-command.js';

const COMMANDS: ReadonlyMap<string, { spec: CommandSpec; run: (argv: readonly string[], io: CliOutput) => Promise<number> }> = new Map([
  ['run', { spec: RUN_COMMAND, run: runCommand }],
  ['chaos', { spec: CHAOS_COMMAND, run: chaosCommand }],
  ['savepoint', { spec: SAVEPOINT_COMMAND, run: savepointCommand }],
  ['stop', { spec: STOP_COMMAND, run: stopCommand }],
  ['list', { spec: LIST_COMMAND, run: listCommand }],
  ['inspect', { spec: INSPECT_COMMAND, run: inspectCommand }],
  ['verify', { spec: VERIFY_COMMAND, run: verifyCommand }],
]);

function overview(): string {
  const width = Math.max(...[...COMMANDS.keys()].map((k) => k.length));
  return [
    'Usage: weir <command> [options]',
    '',
    'Commands:',
    ...[...COMMANDS].map(([name, c]) => `  ${name.padEnd(width)}  ${c.spec.summary}`),
    '',
    'weir <command> --help shows a command\'s options; weir --version the version.',
  ].join('\n');
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/**
 * Runs the command line `argv` (without `node` and the script); resolves with the exit status.
 *
 * @example
 * process.exitCode = await main(['run', 'examples/demo-job.ts', '--backend', 'heap']);
 */
export async function main(argv: readonly string[], io: CliOutput = consoleOutput): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(overview());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = rest[0] === undefined ? undefined : COMMANDS.get(rest[0]);
    return topic === undefined ? (io.out(overview()), 0) : topic.run(['--help'], io);
  }
  if (name === '--version' || name === '-v') {
    io.out(version());
    return 0;
  }
  const command = COMMANDS.get(name);
  if (command === undefined) {
    io.err(`weir: unknown command '${name}' (commands: ${[...COMMANDS.keys()].join(', ')}; see weir --help)`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(e.message);
      return 2;
    }
    reportFailure(io, `${name} failed`, e);
    return 1;
  }
}
