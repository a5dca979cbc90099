/**
 * A markdown table with backends side by side: one row per (case, keys, metric), one column per
 * backend, then ratio columns. Ratios divide raw metric values from the same run (`a ÷ b`); the
 * metric column says whether higher (↑) or lower (↓) is better.
 */
import type { BenchResult } from './suite.js';

type NumericField = {
  [F in keyof BenchResult]-?: NonNullable<BenchResult[F]> extends number ? F : never;
}[keyof BenchResult];

export interface MetricColumn {
  readonly field: NumericField;
  /** Shown in the metric column, with its direction, e.g. `ops/s ↑`. */
  readonly label: string;
  readonly format: (v: number) => string;
  /** Restrict to these cases (default: any case that has the field). */
  readonly cases?: readonly string[];
}

export interface TableSpec {
  readonly caseOrder: readonly string[];
  readonly backends: readonly string[];
  readonly metrics: readonly MetricColumn[];
  /** Ratio columns `[numerator, denominator]` backends. */
  readonly ratios: readonly (readonly [string, string])[];
}

export function formatKeys(n: number): string {
  if (n >= 1e6 && n % 1e6 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 1e3 === 0) return `${n / 1e3}k`;
  return String(n);
}

/** 3 significant digits with a k/M/G suffix: 1234567 → `1.23 M`. */
export function formatSi(v: number): string {
  const units: [number, string][] = [[1e9, ' G'], [1e6, ' M'], [1e3, ' k']];
  for (const [scale, unit] of units) if (Math.abs(v) >= scale) return `${(v / scale).toPrecision(3)}${unit}`;
  return v.toPrecision(3);
}

/** Fixed precision for ms, bytes per entry and MB/s: 3 significant digits, no exponent. */
export function formatPlain(v: number): string {
  if (Math.abs(v) >= 100) return Math.round(v).toString();
  return v.toPrecision(3);
}

function formatRatio(v: number): string {
  return `${v >= 10 ? v.toFixed(1) : v.toFixed(2)}×`;
}

export function renderSideBySideTable(results: readonly BenchResult[], spec: TableSpec): string {
  const order = (c: string) => {
    const i = spec.caseOrder.indexOf(c);
    return i < 0 ? spec.caseOrder.length : i;
  };
  const groups = new Map<string, { case: string; keys: number | undefined; byBackend: Map<string, BenchResult> }>();
  for (const r of results) {
    const id = `${r.case}\u0000${r.keys ?? ''}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { case: r.case, keys: r.keys, byBackend: new Map() }));
    g.byBackend.set(r.backend, { ...g.byBackend.get(r.backend), ...r });
  }
  const sorted = [...groups.values()].sort(
    (a, b) => order(a.case) - order(b.case) || a.case.localeCompare(b.case) || (a.keys ?? 0) - (b.keys ?? 0),
  );

  const header = ['case', 'keys', 'metric', ...spec.backends, ...spec.ratios.map(([a, b]) => `${a} ÷ ${b}`)];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 3 ? ' --- ' : ' ---: ')).join('|')}|`];
  for (const g of sorted) {
    for (const m of spec.metrics) {
      if (m.cases && !m.cases.includes(g.case)) continue;
      const value = (backend: string) => g.byBackend.get(backend)?.[m.field];
      if (spec.backends.every((b) => value(b) === undefined)) continue;
      const cells = spec.backends.map((b) => {
        const v = value(b);
        return v === undefined ? '—' : m.format(v);
      });
      const ratios = spec.ratios.map(([a, b]) => {
        const x = value(a);
        const y = value(b);
        // a ratio of a negative or zero measurement (memory noise) means nothing
        return x === undefined || y === undefined || x < 0 || y <= 0 ? '—' : formatRatio(x / y);
      });
      const keys = g.keys === undefined ? '' : formatKeys(g.keys);
      lines.push(`| \`${g.case}\` | ${keys} | ${m.label} | ${[...cells, ...ratios].join(' | ')} |`);
    }
  }
  return lines.join('\n');
}
