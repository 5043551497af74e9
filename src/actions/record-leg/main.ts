import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../common/errors.js';
import {
  environmentInputReader,
  getBooleanInput,
  getEnumInput,
  getOptionalInput,
  getRequiredInput,
  type InputReader,
} from '../../github/inputs.js';
import { actionsLogger, runAction, setOutputs } from '../../github/runtime.js';
import {
  legRecord,
  type LegRecord,
  type NeededJob,
  parseLegRecord,
  promotable,
  promotionRecord,
  recordName,
} from '../../records/leg-record.js';

/**
 * record-leg: `write` one image.yml leg's record, as a JSON file named after the leg; `read` one
 * back (images.yml's promote job); `promotion`: record images.yml's promote step for the leg.
 */
export async function run(): Promise<void> {
  await runAction(async () => {
    const read = environmentInputReader();
    const mode = getEnumInput(read, 'mode', ['write', 'read', 'promotion'] as const, 'write');
    // path.join, not path.resolve: the bundler rewrites resolve() calls it takes for assets.
    const given = getRequiredInput(read, 'directory');
    const directory = path.isAbsolute(given) ? given : path.join(process.cwd(), given);
    if (mode === 'read') return readRecord(read, directory);
    const leg = parseJson('leg', getRequiredInput(read, 'leg')) as Record<string, unknown>;
    const version = String(leg['image-version'] || leg['kubernetes-version'] || '');
    let record: LegRecord;
    let name: string;
    if (mode === 'promotion') {
      const step = getOptionalInput(read, 'step');
      record = promotionRecord(leg, step ? (parseJson('step', step) as never) : null);
      name = `promotion-${recordName(record.os, version).slice('image-'.length)}`;
    } else {
      const jobs = parseJson('jobs', getRequiredInput(read, 'jobs')) as Record<string, NeededJob>;
      record = legRecord(leg, jobs);
      name = recordName(record.os, version);
    }
    const file = path.join(directory, `${name}.json`);
    mkdirSync(directory, { recursive: true });
    writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
    actionsLogger.info(JSON.stringify(record, null, 2));
    setOutputs({ path: file, name });
  });
}

/** The one record in `directory` (a downloaded record artifact), as outputs. */
function readRecord(read: InputReader, directory: string): void {
  let files: string[] = [];
  try {
    files = readdirSync(directory).filter((f) => f.endsWith('.json'));
  } catch {
    // reported below
  }
  if (files.length !== 1) {
    throw new InputError(
      'directory',
      directory,
      `Expected one record file there, found ${files.length}.`,
    );
  }
  const record = parseLegRecord(readFileSync(path.join(directory, files[0]!), 'utf8'), files[0]!);
  const ok = promotable(record, getBooleanInput(read, 'skip-validation', false));
  actionsLogger.info(
    `${record.os} ${record['image-version'] ?? record['kubernetes-version']}: ` +
      (ok ? 'published and validated, to be promoted.' : 'not promotable (see its record).'),
  );
  setOutputs({
    path: path.join(directory, files[0]!),
    name: files[0]!.replace(/\.json$/, ''),
    'staging-image-version-id': record['staging-image-version-id'] ?? '',
    'validation-result': record['validation-result'] ?? '',
    'image-version': record['image-version'] ?? '',
    promotable: String(ok),
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
