import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { environmentInputReader, getRequiredInput } from '../../github/inputs.js';
import { runAction, writeSummary } from '../../github/runtime.js';
import { parseLegRecord, runSummary } from '../../records/leg-record.js';

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
    const records = files
      .sort()
      .map((f) => parseLegRecord(readFileSync(path.join(directory, f), 'utf8'), f));
    await writeSummary(runSummary(records));
  });
}
