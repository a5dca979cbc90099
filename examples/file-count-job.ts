/**
 * Word count over a file: lines → words → keyBy(word) → running count per word in keyed state →
 * `word,count` lines in a transactional file sink at ctx.outputDir.
 *
 *   weir run examples/file-count-job.ts --arg input=words.txt [--backend heap|wasm] [--parallelism N]
 *
 * Output is a deterministic function of the file: every word gets the lines `word,1` … `word,n`,
 * whichever subtasks read which lines. The file must not change while the job (or a resumed run of
 * it) reads it: the source's positions are byte offsets, checked against the file's size.
 */
import {
  Serializers,
  valueState,
  type JobContext,
  type KeyedProcessFunction,
  type SourceSpec,
  type StreamEnvironment,
  type ValueState,
} from '../src/index.js';

/** Running count per word; emits `word,count` for each occurrence. */
const countWords: KeyedProcessFunction<string, string, string> & { count?: ValueState<number> } = {
  open(rt) {
    this.count = rt.getState(valueState('count', Serializers.number));
  },
  processElement(_word, ctx, out) {
    const n = (this.count!.value() ?? 0) + 1;
    this.count!.update(n);
    out.collect(`${ctx.key},${n}`);
  },
};

export default function build(ctx: JobContext): StreamEnvironment {
  const input = ctx.args.input;
  if (input === undefined) throw new Error('file-count-job needs the input file: --arg input=<path>');
  const lines: SourceSpec<string> = { kind: 'file-lines', payload: { path: input } };

  const env = ctx.env({ jobName: 'file-count' });
  env
    .source(lines, { uid: 'lines' })
    .flatMap((line) => line.split(/\s+/).filter((w) => w !== ''))
    .keyBy((word) => word)
    .process(countWords, { uid: 'count' })
    .sink({ kind: 'transactional-file', payload: { dir: ctx.outputDir } }, { uid: 'out' });
  return env;
}
