import { readOneRecord, writeRecord } from '../../records/record-files.js';
import { actionsLogger, runAction, setOutputs } from '../../runner/runtime.js';
import { declaredInputs } from '../../runner/spec.js';
import { getRecordLegInputs } from './inputs.js';
import { RECORD_LEG } from './spec.js';

const NONE = {
  path: undefined,
  name: undefined,
  'staging-image-version-id': undefined,
  'validation-result': undefined,
  'image-version': undefined,
  promotable: undefined,
};

/**
 * record-leg: `write` one image.yml leg's record, as a JSON file named after the leg; `read` one
 * back (images.yml's promote job); `promotion`: record images.yml's promote step for the leg.
 */
export async function run(): Promise<void> {
  await runAction(async () => {
    const settings = getRecordLegInputs(declaredInputs(RECORD_LEG));
    if (settings.mode === 'read') {
      const { path, name, record, promotable } = readOneRecord(
        settings.directory,
        settings.skipValidation,
        actionsLogger,
      );
      return setOutputs(RECORD_LEG, {
        path,
        name,
        'staging-image-version-id': record['staging-image-version-id'] ?? '',
        'validation-result': record['validation-result'] ?? '',
        'image-version': record['image-version'] ?? '',
        promotable: String(promotable),
      });
    }
    const from =
      settings.mode === 'write'
        ? { mode: settings.mode, jobs: settings.jobs }
        : { mode: settings.mode, ...(settings.step ? { step: settings.step } : {}) };
    const written = writeRecord(settings.directory, settings.leg, from, actionsLogger);
    setOutputs(RECORD_LEG, { ...NONE, ...written });
  });
}
