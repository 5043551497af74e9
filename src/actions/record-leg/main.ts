import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../common/errors.js';
import { environmentInputReader, getRequiredInput } from '../../github/inputs.js';
import { actionsLogger, runAction, setOutputs } from '../../github/runtime.js';
import { legRecord, recordName, type NeededJob } from '../../records/leg-record.js';

/** record-leg: one image.yml leg's record, as a JSON file named after the leg. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const read = environmentInputReader();
    const leg = parseJson('leg', getRequiredInput(read, 'leg')) as Record<string, unknown>;
    const jobs = parseJson('jobs', getRequiredInput(read, 'jobs')) as Record<string, NeededJob>;
    const directory = getRequiredInput(read, 'directory');
    const record = legRecord(leg, jobs);
    const name = recordName(
      record.os,
      String(leg['image-version'] || record['kubernetes-version']),
    );
    // path.join, not path.resolve: the bundler rewrites resolve() calls it takes for assets.
    const base = path.isAbsolute(directory) ? directory : path.join(process.cwd(), directory);
    const file = path.join(base, `${name}.json`);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
    actionsLogger.info(JSON.stringify(record, null, 2));
    setOutputs({ path: file, name });
  });
}

function parseJson(input: string, value: string): unknown {
  try {
    const parsed: unknown = JSON.parse(value);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
  } catch {
    // reported below
  }
  throw new InputError(input, value.slice(0, 80), 'A JSON object (toJSON(…) of the context).');
}
