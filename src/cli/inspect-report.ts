/** The text `weir inspect` prints for a summary: a header, then per operator a state table and a subtask table. */
import type { OperatorSummary, RestorePointSummary, SubtaskSummary } from '../storage/snapshot-inspection.js';
import { formatBytes, formatDuration } from './units.js';

/** Lines describing `s`, for a terminal. */
export function formatInspection(s: RestorePointSummary): string[] {
  const st = s.settings;
  const lines = [
    `${s.type} ${s.checkpointId} of job "${s.jobId}"${s.stateBackend === undefined ? '' : ` (${s.stateBackend} backend)`}: ${s.path}`,
    `  triggered ${new Date(s.triggerTimestamp).toISOString()}, completed after ${formatDuration(s.completionTimestamp - s.triggerTimestamp)}`,
    `  settings: ${st.mode}, interval ${formatDuration(st.intervalMs)}, ${st.incremental ? 'incremental' : 'full'}, ` +
      `codec ${st.codec}${st.codec === 'none' ? '' : ` level ${st.codecLevel}`}, retain ${st.retainCount}`,
    `  ${totals(s)} (without _metadata)`,
  ];
  if (s.operators.length === 0) lines.push('', 'no operator state');
  for (const op of s.operators) lines.push('', ...formatOperator(op));
  return lines;
}

function totals(t: { files: number; bytes: number; rawBytes: number }): string {
  return `${t.files} file${t.files === 1 ? '' : 's'}, ${formatBytes(t.bytes)} on disk, ${formatBytes(t.rawBytes)} raw`;
}

function formatOperator(op: OperatorSummary): string[] {
  const lines = [`operator "${op.uid}": parallelism ${op.parallelism}, maxParallelism ${op.maxParallelism}, ${totals(op)}`];
  if (op.states.length > 0) {
    lines.push(
      ...table(
        ['state', 'kind', 'serializer', 'ttl', 'entries'],
        op.states.map((x) => [x.name, x.kind, x.serializerId, x.ttl ? 'yes' : 'no', String(x.entries)]),
        new Set([4]),
      ),
    );
  }
  const keyed = op.subtasks.some((x) => x.keyGroups !== undefined);
  const withOperatorState = op.subtasks.some((x) => x.operatorStateEntries !== undefined);
  const header = ['subtask', ...(keyed ? ['key groups'] : []), 'handles', 'files', 'on disk', 'raw'];
  if (keyed) header.push('keyed entries');
  if (withOperatorState) header.push('operator-state entries');
  const rows = op.subtasks.map((x) => {
    const row = [String(x.subtaskIndex), ...(keyed ? [keyGroupsText(x)] : []), x.handles.join(' ') || '-', String(x.files), formatBytes(x.bytes), formatBytes(x.rawBytes)];
    if (keyed) row.push(String(Object.values(x.keyedEntries).reduce((a, b) => a + b, 0)));
    if (withOperatorState) row.push(x.operatorStateEntries === undefined ? '-' : x.operatorStateEntries === null ? 'opaque' : String(x.operatorStateEntries));
    return row;
  });
  const right = new Set(header.map((h, i) => (['subtask', 'files', 'on disk', 'raw', 'keyed entries', 'operator-state entries'].includes(h) ? i : -1)));
  lines.push(...table(header, rows, right));
  return lines;
}

/** Inclusive, as Flink prints key-group ranges. */
function keyGroupsText(x: SubtaskSummary): string {
  if (x.keyGroups === undefined) return '-';
  return x.keyGroups.end > x.keyGroups.start ? `${x.keyGroups.start}-${x.keyGroups.end - 1}` : 'none';
}

/** Columns padded to their widest cell, indented two spaces; `right` holds right-aligned column indexes. */
function table(header: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    '  ' + cells.map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}
