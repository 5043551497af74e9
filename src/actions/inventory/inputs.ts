/**
 * Reads and validates every inventory input before any Azure call. Two routes: a gallery by
 * `resource-group` + `gallery` (needs read rights on it), or a community gallery by
 * `public-name` + `location` (readable by any Azure identity).
 */
import { InputError } from '../../common/errors.js';
import {
  AZURE_CONNECTION_INPUTS,
  type AzureConnectionSettings,
  getAzureConnectionInputs,
  getBooleanInput,
  getListInput,
  getOptionalInput,
  type InputReader,
  parseHttpsUrl,
} from '../../common/inputs.js';
import {
  checkName,
  galleryNameRule,
  imageDefinitionNameRule,
  normalizeRegionName,
  regionNameRule,
  resourceGroupNameRule,
} from '../../gallery/names.js';
import type { CatalogFilters } from '../../gallery/inventory/catalog.js';
import type { InventoryTarget } from '../../gallery/inventory/inventory.js';
import { VERSION_STATES, type VersionState } from '../../gallery/inventory/schema.js';
import { readAttestationTrust, type AttestationTrust } from '../shared/attestation-inputs.js';

export const INVENTORY_INPUTS = [
  ...AZURE_CONNECTION_INPUTS,
  'resource-group',
  'gallery',
  'public-name',
  'location',
  'image-definitions',
  'minor-versions',
  'states',
  'verify-provenance',
  'github-token',
  'github-api-url',
  'attestation-public-key',
  'trusted-root',
  'certificate-oidc-issuer',
  'signer-workflow',
  'output-dir',
] as const;

export const INVENTORY_DEFAULTS = {
  'verify-provenance': true,
} as const;

export interface InventorySettings {
  readonly azure: AzureConnectionSettings;
  readonly target: InventoryTarget;
  readonly filters: CatalogFilters;
  readonly verifyProvenance: boolean;
  readonly githubToken?: string;
  readonly githubApiUrl?: string;
  /** `trusted-root`, `certificate-oidc-issuer`, `signer-workflow`, `attestation-public-key`. */
  readonly trust: AttestationTrust;
  /** Where catalog.json and catalog.md are written. */
  readonly outputDir: string;
}

export function getInventoryInputs(
  read: InputReader,
  env: NodeJS.ProcessEnv = process.env,
): InventorySettings {
  const azure = getAzureConnectionInputs(read);
  const resourceGroup = getOptionalInput(read, 'resource-group');
  const gallery = getOptionalInput(read, 'gallery');
  const publicName = getOptionalInput(read, 'public-name');
  const location = getOptionalInput(read, 'location');
  let target: InventoryTarget;
  if (publicName !== undefined) {
    if (gallery !== undefined) {
      throw new InputError(
        'public-name',
        publicName,
        "Give either 'public-name' with 'location' (a community gallery) or 'resource-group' with 'gallery', not both.",
      );
    }
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(publicName)) {
      throw new InputError(
        'public-name',
        publicName,
        "Expected a community gallery public name such as 'ClusterAPI-f72ceb4f-5159-4c26-a0fe-2ea738f0d019'.",
      );
    }
    if (location === undefined) {
      throw new InputError(
        'location',
        '',
        "Required with 'public-name': the community API is read per region.",
      );
    }
    target = {
      kind: 'community',
      publicName,
      location: normalizeRegionName(checkName(regionNameRule, 'location', location)),
    };
  } else {
    if (gallery === undefined) {
      throw new InputError(
        'gallery',
        '',
        "Give 'resource-group' and 'gallery' (a gallery you can read), or 'public-name' and 'location' (a community gallery).",
      );
    }
    if (resourceGroup === undefined) {
      throw new InputError('resource-group', '', "Required with 'gallery'.");
    }
    target = {
      kind: 'private',
      subscriptionId: azure.subscriptionId,
      resourceGroup: checkName(resourceGroupNameRule, 'resource-group', resourceGroup),
      gallery: checkName(galleryNameRule, 'gallery', gallery),
    };
  }
  const minors = getListInput(read, 'minor-versions').map((m) => {
    const match = /^v?(\d+\.\d+)$/.exec(m);
    if (!match)
      throw new InputError('minor-versions', m, "Expected Kubernetes minors such as '1.31'.");
    return match[1]!;
  });
  const states = getListInput(read, 'states').map((s) => {
    const state = VERSION_STATES.find((x) => x === s.toLowerCase());
    if (!state) throw new InputError('states', s, `Expected any of ${VERSION_STATES.join(', ')}.`);
    return state as VersionState;
  });
  const apiUrl = getOptionalInput(read, 'github-api-url') ?? env.GITHUB_API_URL;
  const token = getOptionalInput(read, 'github-token');
  return {
    azure,
    target,
    filters: {
      definitions: getListInput(read, 'image-definitions').map((d) =>
        checkName(imageDefinitionNameRule, 'image-definitions', d),
      ),
      minors,
      states,
    },
    verifyProvenance: getBooleanInput(
      read,
      'verify-provenance',
      INVENTORY_DEFAULTS['verify-provenance'],
    ),
    ...(token !== undefined ? { githubToken: token } : {}),
    ...(apiUrl !== undefined ? { githubApiUrl: parseHttpsUrl('github-api-url', apiUrl) } : {}),
    trust: readAttestationTrust(read, env),
    outputDir:
      getOptionalInput(read, 'output-dir') ?? `${env.RUNNER_TEMP ?? '.'}/compute-gallery-inventory`,
  };
}
