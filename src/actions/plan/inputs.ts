/** Reads and validates the plan inputs (docs/design.md, "contracts") before any call to GitHub or Azure. */
import { InputError } from '../../common/errors.js';
import { capzImageTarget, galleryNameRule, resourceGroupNameRule } from '../../gallery/names.js';
import type { CapzImageTarget } from '../../gallery/names.js';
import {
  AZURE_CONNECTION_INPUTS,
  type AzureConnectionSettings,
  getAzureConnectionInputs,
  getBooleanInput,
  getIntegerInput,
  getListInput,
  getOptionalInput,
  type InputReader,
} from '../../common/inputs.js';
import { requiredName } from '../shared/gallery-inputs.js';

export const PLAN_INPUTS = [
  'kubernetes-versions',
  'minor-versions',
  'include-prereleases',
  'operating-systems',
  'gallery',
  'resource-group',
  'github-token',
  ...AZURE_CONNECTION_INPUTS,
] as const;

export const PLAN_DEFAULTS = {
  /** Kubernetes supports its three newest minors. */
  'minor-versions': 3,
  'include-prereleases': false,
  'operating-systems': 'ubuntu-2404',
} as const satisfies Record<string, string | number | boolean>;

export interface PlanSettings {
  /** `kubernetes-versions`, as given (parsed against the trigger later). */
  readonly kubernetesVersions?: string;
  readonly minorVersions: number;
  readonly includePrereleases: boolean;
  /** `operating-systems`: the OS targets, with CAPZ's definition names. */
  readonly targets: CapzImageTarget[];
  /** `gallery` + `resource-group` + Azure sign-in: skip what this gallery already has. */
  readonly published?: { resourceGroup: string; gallery: string; azure: AzureConnectionSettings };
  readonly githubToken?: string;
}

export function getPlanInputs(read: InputReader): PlanSettings {
  const targets = getListInput(read, 'operating-systems');
  const gallery = getOptionalInput(read, 'gallery');
  const resourceGroup = getOptionalInput(read, 'resource-group');
  if ((gallery === undefined) !== (resourceGroup === undefined)) {
    const missing = gallery === undefined ? 'gallery' : 'resource-group';
    throw new InputError(
      missing,
      '',
      'gallery and resource-group go together: they name the gallery whose versions are skipped.',
    );
  }
  const token = getOptionalInput(read, 'github-token');
  const versions = getOptionalInput(read, 'kubernetes-versions');
  return {
    ...(versions !== undefined ? { kubernetesVersions: versions } : {}),
    minorVersions: getIntegerInput(read, 'minor-versions', {
      min: 1,
      max: 10,
      defaultValue: PLAN_DEFAULTS['minor-versions'],
    }),
    includePrereleases: getBooleanInput(
      read,
      'include-prereleases',
      PLAN_DEFAULTS['include-prereleases'],
    ),
    targets: (targets.length ? targets : [PLAN_DEFAULTS['operating-systems']]).map((os) =>
      capzImageTarget(os, 'operating-systems'),
    ),
    ...(gallery !== undefined
      ? {
          published: {
            gallery: requiredName(read, 'gallery', galleryNameRule),
            resourceGroup: requiredName(read, 'resource-group', resourceGroupNameRule),
            azure: getAzureConnectionInputs(read),
          },
        }
      : {}),
    ...(token !== undefined ? { githubToken: token } : {}),
  };
}
