/** Child process of the `nexmark` suite: one run of one cell in a fresh process (see nexmark-run.ts). */
import { childInput, collectGarbage, replyToParent } from '../harness/child-process.js';
import { runNexmark, type NexmarkRunInput, type NexmarkRunMeasurement } from './nexmark-run.js';

void replyToParent(async (): Promise<NexmarkRunMeasurement> => {
  const input = childInput<NexmarkRunInput>();
  collectGarbage();
  return runNexmark(input);
});
