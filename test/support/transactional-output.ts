/** What a transactional-file sink left besides its committed files (src/cli/committed-output.ts reads those). */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Files left in the sink directory's `.pending/` and `.inprogress/`: none after a clean finish. */
export function uncommittedFiles(dir: string): string[] {
  const out: string[] = [];
  for (const sub of ['.pending', '.inprogress']) {
    try {
      for (const n of readdirSync(join(dir, sub))) out.push(`${sub}/${n}`);
    } catch {
      // never created
    }
  }
  return out;
}
