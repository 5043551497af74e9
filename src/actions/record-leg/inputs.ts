/** Reads the record-leg inputs: what to do, and with which leg. */
import path from 'node:path';
import {
  getBooleanInput,
  getEnumInput,
  getOptionalInput,
  getRequiredInput,
  type InputReader,
} from '../../common/inputs.js';
import type { NeededJob } from '../../records/leg-record.js';
import { parseJsonObject } from '../../records/record-files.js';

export type RecordLegSettings =
  | { mode: 'read'; directory: string; skipValidation: boolean }
  | {
      mode: 'write';
      directory: string;
      leg: Record<string, unknown>;
      jobs: Record<string, NeededJob>;
    }
  | { mode: 'promotion'; directory: string; leg: Record<string, unknown>; step?: object };

export function getRecordLegInputs(read: InputReader): RecordLegSettings {
  const mode = getEnumInput(read, 'mode', ['write', 'read', 'promotion'] as const, 'write');
  // path.join, not path.resolve: the bundler rewrites resolve() calls it takes for assets.
  const given = getRequiredInput(read, 'directory');
  const directory = path.isAbsolute(given) ? given : path.join(process.cwd(), given);
  if (mode === 'read') {
    return { mode, directory, skipValidation: getBooleanInput(read, 'skip-validation', false) };
  }
  const leg = parseJsonObject('leg', getRequiredInput(read, 'leg'));
  if (mode === 'promotion') {
    const step = getOptionalInput(read, 'step');
    return { mode, directory, leg, ...(step ? { step: parseJsonObject('step', step) } : {}) };
  }
  const jobs = parseJsonObject('jobs', getRequiredInput(read, 'jobs')) as Record<string, NeededJob>;
  return { mode, directory, leg, jobs };
}
