/**
 * Reads preflight's inputs: the same production inputs promote reads, checked the same way, so
 * that a run learns of a missing publisher-uri or a mistyped gallery before it builds.
 */
import { InputError } from '../../common/errors.js';
import {
  AZURE_CONNECTION_INPUTS,
  type AzureConnectionSettings,
  getAzureConnectionInputs,
  getBooleanInput,
  getOptionalInput,
  type InputReader,
} from '../../common/inputs.js';
import {
  checkName,
  communityPublicNameRule,
  galleryNameRule,
  resourceGroupNameRule,
} from '../../gallery/names.js';
import type { PreflightRequest } from '../../gallery/preflight.js';
import { readSharing, requiredName, SHARING_INPUTS } from '../shared/gallery-inputs.js';
import { PROMOTE_DEFAULTS } from '../promote/inputs.js';

export const PREFLIGHT_INPUTS = [
  ...AZURE_CONNECTION_INPUTS,
  'promote',
  'resource-group',
  'gallery',
  'create-gallery',
  'community-gallery-public-name',
  ...SHARING_INPUTS,
] as const;

/** promote's own defaults, so that preflight expects what promote will. */
export const PREFLIGHT_DEFAULTS = {
  promote: true,
  'create-gallery': PROMOTE_DEFAULTS['create-gallery'],
  sharing: PROMOTE_DEFAULTS.sharing,
} as const satisfies Record<string, string | number | boolean>;

export interface PreflightSettings extends PreflightRequest {
  readonly azure: AzureConnectionSettings;
}

export function getPreflightInputs(read: InputReader): PreflightSettings {
  const azure = getAzureConnectionInputs(read);
  // The workflows sign every job in with GitHub OIDC: without an identity every job fails.
  if (azure.clientId === undefined) {
    throw new InputError(
      'client-id',
      '',
      'Required: the build, validation and promotion sign in to Azure with it (GitHub OIDC).',
    );
  }
  const promote = getBooleanInput(read, 'promote', PREFLIGHT_DEFAULTS.promote);
  if (!promote) return { azure, promote };
  const publicName = getOptionalInput(read, 'community-gallery-public-name');
  return {
    azure,
    promote,
    production: {
      resourceGroup: requiredName(read, 'resource-group', resourceGroupNameRule),
      gallery: requiredName(read, 'gallery', galleryNameRule),
      createGallery: getBooleanInput(read, 'create-gallery', PREFLIGHT_DEFAULTS['create-gallery']),
      ...(publicName !== undefined
        ? {
            publicName: checkName(
              communityPublicNameRule,
              'community-gallery-public-name',
              publicName,
            ),
          }
        : {}),
    },
    sharing: readSharing(read, PREFLIGHT_DEFAULTS.sharing),
  };
}
