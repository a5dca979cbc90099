/**
 * The comparison behind `weir chaos`: two outputs as multisets of lines (order does not matter;
 * parallel subtasks interleave), and what the second one lost, duplicated or made up.
 */

/** One differing line and by how many copies it differs. */
export interface LineDifference {
  readonly line: string;
  readonly count: number;
}

/** Result of {@link diffLineMultisets}. Counts are in lines (copies), not distinct lines. */
export interface LineDiff {
  readonly referenceLines: number;
  readonly actualLines: number;
  /** Copies in the reference missing from the actual output. */
  readonly lost: number;
  /** Extra copies in the actual output of lines the reference has. */
  readonly duplicated: number;
  /** Copies in the actual output of lines the reference never had. */
  readonly unexpected: number;
  /** A few examples of each, in first-seen order. */
  readonly examples: {
    readonly lost: readonly LineDifference[];
    readonly duplicated: readonly LineDifference[];
    readonly unexpected: readonly LineDifference[];
  };
}

/** True when the two outputs hold the same lines the same number of times. */
export function outputsMatch(diff: LineDiff): boolean {
  return diff.lost === 0 && diff.duplicated === 0 && diff.unexpected === 0;
}

/**
 * Compares `actual` against `reference` as multisets of lines.
 *
 * @example
 * diffLineMultisets(['a', 'b', 'b'], ['a', 'a', 'b', 'c']);
 * // lost 1 (b), duplicated 1 (a), unexpected 1 (c)
 */
export function diffLineMultisets(reference: Iterable<string>, actual: Iterable<string>, maxExamples = 5): LineDiff {
  /** Reference line → copies in reference minus copies in actual. */
  const balance = new Map<string, number>();
  /** Lines the reference does not have → copies in actual. */
  const foreign = new Map<string, number>();
  let referenceLines = 0;
  let actualLines = 0;
  for (const line of reference) {
    balance.set(line, (balance.get(line) ?? 0) + 1);
    referenceLines++;
  }
  for (const line of actual) {
    const b = balance.get(line);
    if (b === undefined) foreign.set(line, (foreign.get(line) ?? 0) + 1);
    else balance.set(line, b - 1);
    actualLines++;
  }
  const examples = { lost: [] as LineDifference[], duplicated: [] as LineDifference[], unexpected: [] as LineDifference[] };
  const note = (list: LineDifference[], line: string, count: number): void => {
    if (list.length < maxExamples) list.push({ line, count });
  };
  let lost = 0;
  let duplicated = 0;
  for (const [line, b] of balance) {
    if (b > 0) {
      lost += b;
      note(examples.lost, line, b);
    } else if (b < 0) {
      duplicated -= b;
      note(examples.duplicated, line, -b);
    }
  }
  let unexpected = 0;
  for (const [line, n] of foreign) {
    unexpected += n;
    note(examples.unexpected, line, n);
  }
  return { referenceLines, actualLines, lost, duplicated, unexpected, examples };
}
