import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { environmentInputReader, getRequiredInput } from '../../github/inputs.js';
import { runAction, writeSummary } from '../../github/runtime.js';
import { parseLegRecord, runSummary, withPromotions } from '../../records/leg-record.js';

/** summarize-run: one table of every leg's record (record-leg) in the job summary. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const directory = getRequiredInput(environmentInputReader(), 'records');
    let files: string[] = [];
    try {
      files = readdirSync(directory).filter((f) => f.endsWith('.json'));
    } catch {
      // no leg left a record: the summary says so
    }
    const read = (f: string) => parseLegRecord(readFileSync(path.join(directory, f), 'utf8'), f);
    const sorted = files.sort();
    // images.yml promotes after every leg: its promotion-* records complete the image-* ones.
    const promotions = sorted.filter((f) => f.startsWith('promotion-')).map(read);
    const records = sorted.filter((f) => !f.startsWith('promotion-')).map(read);
    await writeSummary(runSummary(withPromotions(records, promotions)));
  });
}
