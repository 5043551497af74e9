/**
 * Reads and validates every cleanup input (docs/design.md, "contracts") before any Azure call. Cleanup deletes,
 * so it is a dry run unless `dry-run` is explicitly `false`.
 */
import { InputError } from '../../common/errors.js';
import {
  galleryNameRule,
  imageDefinitionNameRule,
  resourceGroupNameRule,
  checkName,
} from '../../gallery/names.js';
import type { CleanupRequest } from '../../gallery/retention/cleanup.js';
import {
  AZURE_CONNECTION_INPUTS,
  type AzureConnectionSettings,
  getAzureConnectionInputs,
  getBooleanInput,
  getIntegerInput,
  getListInput,
  getOptionalInput,
  getPollIntervalSeconds,
  type InputReader,
  parseHttpsUrl,
} from '../../common/inputs.js';
import { optional, requiredName } from '../shared/gallery-inputs.js';

export const CLEANUP_INPUTS = [
  ...AZURE_CONNECTION_INPUTS,
  'resource-group',
  'gallery',
  'image-definitions',
  'keep-minors',
  'keep-patches',
  'grace-days',
  'older-than-days',
  'blob-container-url',
  'protect',
  'yank',
  'yank-reason',
  'yank-delete',
  'dry-run',
  'delete-empty-definitions',
  'max-concurrency',
  'poll-interval-seconds',
] as const;

export const CLEANUP_DEFAULTS = {
  /** Deleting is never the default. */
  'dry-run': true,
  'yank-delete': false,
  'delete-empty-definitions': false,
  /** Enough to go fast without drawing ARM's write throttling. */
  'max-concurrency': 4,
  'poll-interval-seconds': 5,
} as const satisfies Record<string, string | number | boolean>;

/** cleanup's inputs: the cleanup request and how to sign in to Azure. */
export interface CleanupSettings extends CleanupRequest {
  readonly azure: AzureConnectionSettings;
}

export function getCleanupInputs(read: InputReader): CleanupSettings {
  const count = (name: string, max: number): number | undefined => {
    const value = getOptionalInput(read, name);
    return value === undefined
      ? undefined
      : getIntegerInput(read, name, { min: 0, max, defaultValue: 0 });
  };
  const definitions = getListInput(read, 'image-definitions').map((d) =>
    checkName(imageDefinitionNameRule, 'image-definitions', d),
  );
  const yank = getListInput(read, 'yank');
  const yankReason = getOptionalInput(read, 'yank-reason') ?? '';
  if (yank.length > 0 && yankReason === '') {
    throw new InputError(
      'yank-reason',
      '',
      'Required with yank: it is recorded on the version so users know why it was pulled.',
    );
  }
  const keepPatches = count('keep-patches', 1000);
  const keepMinors = count('keep-minors', 100);
  if (keepPatches === 0)
    throw new InputError(
      'keep-patches',
      '0',
      'Expected at least 1; leave it unset to keep every patch.',
    );
  if (keepMinors === 0)
    throw new InputError(
      'keep-minors',
      '0',
      'Expected at least 1; leave it unset to keep every minor.',
    );
  return {
    azure: getAzureConnectionInputs(read),
    resourceGroup: requiredName(read, 'resource-group', resourceGroupNameRule),
    gallery: requiredName(read, 'gallery', galleryNameRule),
    definitions,
    policy: {
      ...optional('keepMinors', keepMinors),
      ...optional('keepPatches', keepPatches),
      ...optional('graceDays', count('grace-days', 3650)),
      ...optional('olderThanDays', count('older-than-days', 3650)),
      protect: getListInput(read, 'protect').map((p) => checkPattern('protect', p)),
      yank: yank.map((p) => checkPattern('yank', p)),
      deleteYanked: getBooleanInput(read, 'yank-delete', CLEANUP_DEFAULTS['yank-delete']),
    },
    ...optional('blobContainerUrl', readContainerUrl(read)),
    yankReason,
    dryRun: getBooleanInput(read, 'dry-run', CLEANUP_DEFAULTS['dry-run']),
    deleteEmptyDefinitions: getBooleanInput(
      read,
      'delete-empty-definitions',
      CLEANUP_DEFAULTS['delete-empty-definitions'],
    ),
    maxConcurrency: getIntegerInput(read, 'max-concurrency', {
      min: 1,
      max: 32,
      defaultValue: CLEANUP_DEFAULTS['max-concurrency'],
    }),
    pollIntervalSeconds: getPollIntervalSeconds(read, CLEANUP_DEFAULTS['poll-interval-seconds']),
  };
}

function readContainerUrl(read: InputReader): string | undefined {
  const value = getOptionalInput(read, 'blob-container-url');
  return value === undefined ? undefined : parseHttpsUrl('blob-container-url', value);
}

/** `1.31.2`, `1.31.*`, `capi-ubun2-2404/1.31.2`: a version pattern, optionally with its definition. */
function checkPattern(input: string, pattern: string): string {
  if (/^([A-Za-z0-9][\w.*?-]*\/)?[0-9*?][0-9.*?]*$/.test(pattern)) return pattern;
  throw new InputError(
    input,
    pattern,
    "Expected a version or glob such as '1.31.2' or '1.30.*', optionally as '<definition>/<version>'.",
  );
}
