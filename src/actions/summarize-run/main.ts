import { getRequiredInput } from '../../common/inputs.js';
import { runSummary } from '../../records/leg-record.js';
import { readRunRecords } from '../../records/record-files.js';
import { runAction, writeSummary } from '../../runner/runtime.js';
import { declaredInputs } from '../../runner/spec.js';
import { SUMMARIZE_RUN } from './spec.js';

/** summarize-run: one table of every leg's record (record-leg) in the job summary. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const directory = getRequiredInput(declaredInputs(SUMMARIZE_RUN), 'records');
    await writeSummary(runSummary(readRunRecords(directory)));
  });
}
