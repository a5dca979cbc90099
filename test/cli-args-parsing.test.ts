import { describe, expect, it } from 'vitest';
import { formatCommandHelp, parseCommandArgs, UsageError, type CommandSpec } from '../src/cli/args.js';
import { CHAOS_COMMAND } from '../src/cli/chaos-command.js';
import { RUN_COMMAND } from '../src/cli/run-command.js';

const spec: CommandSpec = {
  name: 'try',
  summary: 'a test command',
  description: 'Parses things.',
  positionals: [{ name: 'file', description: 'the file' }],
  options: [
    { name: 'dir', kind: 'string', valueName: '<dir>', description: 'a directory', defaultText: './x' },
    { name: 'count', kind: 'integer', min: 1, valueName: '<n>', description: 'how many' },
    { name: 'mode', kind: 'choice', choices: ['fast', 'slow'], description: 'speed' },
    { name: 'force', kind: 'flag', description: 'do it' },
    { name: 'arg', kind: 'key-value', description: 'pairs' },
  ],
};

const parse = (...argv: string[]) => parseCommandArgs(spec, argv);
const errorOf = (...argv: string[]): string => {
  try {
    parse(...argv);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
};

describe('parseCommandArgs', () => {
  it('reads positionals, --name value, --name=value, flags and repeated key=value pairs', () => {
    const p = parse('job.ts', '--dir', 'out', '--count=3', '--mode', 'slow', '--force', '--arg', 'a=1', '--arg=b=x=y');
    expect(p.help).toBe(false);
    expect(p.positionals).toEqual(['job.ts']);
    expect(Object.fromEntries(p.values)).toEqual({ dir: 'out', count: 3, mode: 'slow', force: true, arg: { a: '1', b: 'x=y' } });
  });

  it('options may come before the positional, and -- ends options', () => {
    expect(parse('--force', 'job.ts').positionals).toEqual(['job.ts']);
    expect(parse('--', '--odd-name.ts').positionals).toEqual(['--odd-name.ts']);
  });

  it('--help or -h wins over everything else, but not after --', () => {
    expect(parse('--bogus', '--help').help).toBe(true);
    expect(parse('-h').help).toBe(true);
    expect(errorOf('--', '--help', 'x')).toMatch(/unexpected argument 'x'/);
  });

  it('names an unknown option and suggests the closest known one', () => {
    expect(errorOf('job.ts', '--dri', 'x')).toBe('weir try: unknown option --dri (did you mean --dir?); see weir try --help');
    expect(errorOf('job.ts', '--zzzzzz')).toBe('weir try: unknown option --zzzzzz; see weir try --help');
    expect(errorOf('job.ts', '-x')).toMatch(/unknown option '-x'/);
  });

  it('rejects a missing value, naming what was expected', () => {
    expect(errorOf('job.ts', '--dir')).toBe('weir try: --dir needs a value <dir>');
    expect(errorOf('job.ts', '--mode', '--force')).toBe('weir try: --mode needs a value (fast|slow)');
    expect(errorOf('job.ts', '--arg')).toBe('weir try: --arg needs a value (key=value)');
  });

  it('rejects bad values with the option and the value', () => {
    expect(errorOf('job.ts', '--count', 'three')).toBe("weir try: --count must be an integer >= 1, got 'three'");
    expect(errorOf('job.ts', '--count', '0')).toBe("weir try: --count must be an integer >= 1, got '0'");
    expect(errorOf('job.ts', '--count', '1.5')).toMatch(/--count must be an integer/);
    expect(errorOf('job.ts', '--mode', 'medium')).toBe("weir try: --mode must be one of fast, slow; got 'medium'");
    expect(errorOf('job.ts', '--dir=')).toBe('weir try: --dir must not be empty');
    expect(errorOf('job.ts', '--force=yes')).toBe('weir try: --force takes no value');
    expect(errorOf('job.ts', '--arg', 'novalue')).toBe("weir try: --arg expects key=value, got 'novalue'");
    expect(errorOf('job.ts', '--arg', '=v')).toBe("weir try: --arg expects key=value, got '=v'");
  });

  it('rejects an option given twice, and a key-value key given twice', () => {
    expect(errorOf('job.ts', '--dir', 'a', '--dir', 'b')).toBe('weir try: --dir given twice');
    expect(errorOf('job.ts', '--force', '--force')).toBe('weir try: --force given twice');
    expect(errorOf('job.ts', '--arg', 'k=1', '--arg', 'k=2')).toBe('weir try: --arg k=… given twice');
  });

  it('checks the number of positionals', () => {
    expect(errorOf()).toBe('weir try: missing <file>: usage: weir try <file> [options]');
    expect(errorOf('a.ts', 'b.ts')).toBe("weir try: unexpected argument 'b.ts'");
  });

  it('help lists every positional and option with its value and default', () => {
    const help = formatCommandHelp(spec);
    expect(help).toMatch(/^Usage: weir try <file> \[options\]\n\nParses things\./);
    expect(help).toMatch(/--dir <dir>\s+a directory \(default \.\/x\)/);
    expect(help).toMatch(/--mode fast\|slow\s+speed/);
    expect(help).toMatch(/--force\s+do it/);
    expect(help).toMatch(/-h, --help/);
  });
});

describe('weir run / weir chaos grammars', () => {
  it('run accepts its documented options', () => {
    const p = parseCommandArgs(RUN_COMMAND, [
      'job.ts', '--checkpoint-dir', 'c', '--backend', 'heap', '--parallelism', '2', '--job-id', 'j',
      '--allow-empty-restore', '--fresh', '--output-dir', 'o', '--arg', 'events=10',
    ]);
    expect(p.values.get('backend')).toBe('heap');
    expect(p.values.get('parallelism')).toBe(2);
    expect(p.values.get('arg')).toEqual({ events: '10' });
  });

  it('run rejects an unknown backend and a zero parallelism', () => {
    expect(() => parseCommandArgs(RUN_COMMAND, ['job.ts', '--backend', 'rocksdb'])).toThrow(
      "weir run: --backend must be one of heap, wasm; got 'rocksdb'",
    );
    expect(() => parseCommandArgs(RUN_COMMAND, ['job.ts', '--parallelism', '0'])).toThrow(/--parallelism must be an integer >= 1/);
  });

  it('chaos accepts its documented options', () => {
    const p = parseCommandArgs(CHAOS_COMMAND, [
      'job.ts', '--kills', '3', '--seed', '7', '--work-dir', 'w', '--backend', 'wasm', '--parallelism', '2',
      '--arg', 'a=b', '--min-uptime-ms', '100', '--timeout-ms', '5000',
    ]);
    expect(p.values.get('kills')).toBe(3);
    expect(p.values.get('timeout-ms')).toBe(5000);
  });
});
