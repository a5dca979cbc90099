/**
 * Command-line parsing for `weir <command>`: each command declares its positionals and options once,
 * and the same declaration drives parsing, validation and `--help`. No dependency: the rules are few
 * (`--name value`, `--name=value`, flags, repeatable `--arg key=value`, `--` ends options), and every
 * mistake is a {@link UsageError} that names the option and what it expected.
 */

/** How an option's value is read. */
export type OptionKind =
  /** Any string. */
  | 'string'
  /** An integer >= `min` (default 0). */
  | 'integer'
  /** One of `choices`. */
  | 'choice'
  /** No value: present or absent. */
  | 'flag'
  /** `key=value`, repeatable; collected into a record (a key given twice is an error). */
  | 'key-value';

/** One `--name` a command accepts. */
export interface OptionSpec {
  /** Without the leading dashes, e.g. `checkpoint-dir`. */
  readonly name: string;
  readonly kind: OptionKind;
  /** Placeholder in help, e.g. `<dir>`. */
  readonly valueName?: string;
  readonly description: string;
  /** Shown in help only: commands apply their defaults themselves. */
  readonly defaultText?: string;
  /** `choice` only. */
  readonly choices?: readonly string[];
  /** `integer` only. Default 0. */
  readonly min?: number;
}

/** A command's grammar: `weir <name> <positionals...> [options]`. */
export interface CommandSpec {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Paragraph printed under the usage line of `--help`. */
  readonly description: string;
  /** Required positionals, in order. */
  readonly positionals: readonly { readonly name: string; readonly description: string }[];
  readonly options: readonly OptionSpec[];
}

/** A parsed option value: string, integer, flag or key-value record, per {@link OptionKind}. */
export type OptionValue = string | number | boolean | Readonly<Record<string, string>>;

/** What {@link parseCommandArgs} returns; `values` holds only the options given. */
export interface ParsedArgs {
  /** `--help` or `-h` was given: print help and ignore everything else. */
  readonly help: boolean;
  readonly positionals: readonly string[];
  readonly values: ReadonlyMap<string, OptionValue>;
}

/** A command line that does not fit the command's grammar; the CLI prints it and exits with status 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose `--help` would help, if known. */
    readonly command?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Parses `argv` (the words after the command name) against `spec`.
 *
 * @example
 * const parsed = parseCommandArgs(RUN_COMMAND, ['job.ts', '--backend', 'heap', '--arg', 'events=100']);
 * parsed.values.get('backend'); // 'heap'
 * parsed.values.get('arg');     // { events: '100' }
 */
export function parseCommandArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const fail = (message: string): never => {
    throw new UsageError(`weir ${spec.name}: ${message}`, spec.name);
  };
  const end = argv.indexOf('--');
  const beforeEnd = end < 0 ? argv : argv.slice(0, end);
  if (beforeEnd.includes('--help') || beforeEnd.includes('-h')) return { help: true, positionals: [], values: new Map() };
  const byName = new Map(spec.options.map((o) => [o.name, o]));
  const positionals: string[] = [];
  const values = new Map<string, OptionValue>();
  let optionsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]!;
    if (optionsEnded || !word.startsWith('-') || word === '-') {
      positionals.push(word);
      continue;
    }
    if (word === '--') {
      optionsEnded = true;
      continue;
    }
    if (!word.startsWith('--')) fail(`unknown option '${word}' (options are spelled --name; see weir ${spec.name} --help)`);
    const eq = word.indexOf('=');
    const name = word.slice(2, eq < 0 ? undefined : eq);
    const option = byName.get(name);
    if (option === undefined) {
      const hint = closestName(name, [...byName.keys()]);
      fail(`unknown option --${name}${hint === undefined ? '' : ` (did you mean --${hint}?)`}; see weir ${spec.name} --help`);
    }
    const opt = option!;
    if (opt.kind === 'flag') {
      if (eq >= 0) fail(`--${name} takes no value`);
      if (values.has(name)) fail(`--${name} given twice`);
      values.set(name, true);
      continue;
    }
    let raw: string;
    if (eq >= 0) {
      raw = word.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) fail(`--${name} needs a value${expectation(opt)}`);
      raw = next!;
      i++;
    }
    if (opt.kind === 'key-value') {
      const kv = raw.indexOf('=');
      if (kv <= 0) fail(`--${name} expects key=value, got '${raw}'`);
      const key = raw.slice(0, kv);
      const prev = (values.get(name) ?? {}) as Readonly<Record<string, string>>;
      if (Object.hasOwn(prev, key)) fail(`--${name} ${key}=… given twice`);
      values.set(name, { ...prev, [key]: raw.slice(kv + 1) });
      continue;
    }
    if (values.has(name)) fail(`--${name} given twice`);
    values.set(name, convert(opt, raw, fail));
  }
  const want = spec.positionals;
  if (positionals.length < want.length) {
    fail(`missing <${want[positionals.length]!.name}>: usage: ${usageLine(spec)}`);
  }
  if (positionals.length > want.length) fail(`unexpected argument '${positionals[want.length]}'`);
  return { help: false, positionals, values };
}

function convert(opt: OptionSpec, raw: string, fail: (m: string) => never): OptionValue {
  switch (opt.kind) {
    case 'string':
      if (raw === '') fail(`--${opt.name} must not be empty`);
      return raw;
    case 'integer': {
      const min = opt.min ?? 0;
      const n = /^-?\d+$/.test(raw) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n) || n < min) fail(`--${opt.name} must be an integer >= ${min}, got '${raw}'`);
      return n;
    }
    case 'choice': {
      const choices = opt.choices ?? [];
      if (!choices.includes(raw)) fail(`--${opt.name} must be one of ${choices.join(', ')}; got '${raw}'`);
      return raw;
    }
    default:
      throw new Error(`internal: option kind ${opt.kind} has no converter`);
  }
}

function expectation(opt: OptionSpec): string {
  if (opt.kind === 'choice') return ` (${(opt.choices ?? []).join('|')})`;
  if (opt.kind === 'key-value') return ' (key=value)';
  return opt.valueName === undefined ? '' : ` ${opt.valueName}`;
}

/** The known name within edit distance 2 of `name`, if exactly one is closest. */
function closestName(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

function usageLine(spec: CommandSpec): string {
  return `weir ${spec.name}${spec.positionals.map((p) => ` <${p.name}>`).join('')} [options]`;
}

/** The `--help` text of a command. */
export function formatCommandHelp(spec: CommandSpec): string {
  const rows: [string, string][] = [
    ...spec.positionals.map((p): [string, string] => [`<${p.name}>`, p.description]),
    ...spec.options.map((o): [string, string] => {
      const value = o.kind === 'flag' ? '' : ` ${o.valueName ?? (o.kind === 'choice' ? (o.choices ?? []).join('|') : '<value>')}`;
      const def = o.defaultText === undefined ? '' : ` (default ${o.defaultText})`;
      return [`--${o.name}${value}`, o.description + def];
    }),
    ['-h, --help', 'show this help'],
  ];
  const width = Math.max(...rows.map(([left]) => left.length));
  return [
    `Usage: ${usageLine(spec)}`,
    '',
    spec.description,
    '',
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
  ].join('\n');
}

/** Typed reads of {@link ParsedArgs.values}; the parser has already checked each value's kind. */
export const optionValues = {
  string(parsed: ParsedArgs, name: string): string | undefined {
    return parsed.values.get(name) as string | undefined;
  },
  integer(parsed: ParsedArgs, name: string): number | undefined {
    return parsed.values.get(name) as number | undefined;
  },
  flag(parsed: ParsedArgs, name: string): boolean {
    return parsed.values.get(name) === true;
  },
  keyValues(parsed: ParsedArgs, name: string): Readonly<Record<string, string>> {
    return (parsed.values.get(name) ?? {}) as Readonly<Record<string, string>>;
  },
};
