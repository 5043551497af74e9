/**
 * Input readers shared by the actions that write gallery versions (publish-to-gallery, promote):
 * replication, sharing and the community gallery inputs, checked the same way everywhere.
 */
import { checkKnownRegion } from '../../azure/regions.js';
import { InputError } from '../../common/errors.js';
import {
  checkName,
  MAX_REPLICAS_PER_REGION,
  type NameRule,
  publicNamePrefixRule,
  REPLICATION_MODES,
  type ReplicationMode,
  STORAGE_ACCOUNT_TYPES,
  type StorageAccountType,
} from '../../gallery/names.js';
import {
  getBooleanInput,
  getEnumInput,
  getIntegerInput,
  getOptionalInput,
  getRequiredInput,
  getTargetRegionsInput,
  type InputReader,
} from '../../common/inputs.js';

/** The inputs readReplication reads. */
export const REPLICATION_INPUTS = [
  'target-regions',
  'replica-count',
  'storage-account-type',
  'replication-mode',
  'exclude-from-latest',
] as const;

/** The inputs readSharing reads. */
export const SHARING_INPUTS = [
  'sharing',
  'public-name-prefix',
  'publisher-uri',
  'publisher-contact',
  'eula',
] as const;

/** The replication defaults of the action reading them. */
export interface ReplicationDefaults {
  'replica-count': number;
  'storage-account-type': StorageAccountType;
  'replication-mode': ReplicationMode;
  'exclude-from-latest': boolean;
}

import {
  type ReplicationSettings,
  SHARING_MODES,
  type SharingMode,
  type SharingSettings,
} from '../../gallery/request.js';

export {
  SHARING_MODES,
  type ReplicationSettings,
  type SharingMode,
  type SharingSettings,
  type TargetRegion,
} from '../../gallery/request.js';

/** `{ key: value }`, or `{}` when value is undefined (exactOptionalPropertyTypes-proof). */
export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

export function requiredName(read: InputReader, name: string, rule: NameRule): string {
  return checkName(rule, name, getRequiredInput(read, name));
}

/** Location and target regions must be regions of the cloud (where we can know them). */
export function checkRegions(
  replication: ReplicationSettings,
  location: string,
  armEndpoint: string,
): ReplicationSettings {
  checkKnownRegion('location', location, armEndpoint);
  for (const region of replication.targetRegions)
    checkKnownRegion('target-regions', region.name, armEndpoint);
  return replication;
}

/** Target regions with defaults filled in, and `location` among them. */
export function readReplication(
  read: InputReader,
  location: string,
  defaults: ReplicationDefaults,
): ReplicationSettings {
  const replicaCount = getIntegerInput(read, 'replica-count', {
    min: 1,
    max: MAX_REPLICAS_PER_REGION,
    defaultValue: defaults['replica-count'],
  });
  const storageAccountType = getEnumInput(
    read,
    'storage-account-type',
    STORAGE_ACCOUNT_TYPES,
    defaults['storage-account-type'],
  );
  const listed = getTargetRegionsInput(read, 'target-regions');
  const regions = listed.some((r) => r.name === location)
    ? listed
    : [{ name: location }, ...listed];
  return {
    targetRegions: regions.map((region) => ({
      name: region.name,
      replicas: region.replicas ?? replicaCount,
      storageAccountType: region.storageAccountType ?? storageAccountType,
    })),
    replicaCount,
    storageAccountType,
    mode: getEnumInput(read, 'replication-mode', REPLICATION_MODES, defaults['replication-mode']),
    excludeFromLatest: getBooleanInput(
      read,
      'exclude-from-latest',
      defaults['exclude-from-latest'],
    ),
  };
}

/** The inputs only a community gallery uses, and how each is checked. */
const COMMUNITY_INPUTS = {
  'public-name-prefix': (value: string) =>
    checkName(publicNamePrefixRule, 'public-name-prefix', value),
  'publisher-uri': (value: string) => parseWebUrl('publisher-uri', value),
  'publisher-contact': (value: string) => parseEmail('publisher-contact', value),
  eula: (value: string) => value,
} as const;

/**
 * `private`, or `community` with all four community inputs. Community inputs given to a
 * private gallery are refused rather than ignored: they suggest the user meant community.
 */
export function readSharing(read: InputReader, defaultMode: SharingMode): SharingSettings {
  const mode = getEnumInput(read, 'sharing', SHARING_MODES, defaultMode);
  const names = Object.keys(COMMUNITY_INPUTS) as (keyof typeof COMMUNITY_INPUTS)[];
  if (mode === 'private') {
    for (const name of names) {
      const value = getOptionalInput(read, name);
      if (value !== undefined) {
        throw new InputError(
          name,
          value,
          'Only used with sharing: community. Remove it or set sharing: community.',
        );
      }
    }
    return { kind: 'private' };
  }
  const [publicNamePrefix, publisherUri, publisherContact, eula] = names.map((name) => {
    const value = getOptionalInput(read, name);
    if (value === undefined) {
      throw new InputError(
        name,
        '',
        'Required with sharing: community; Azure shows it to everyone.',
      );
    }
    return COMMUNITY_INPUTS[name](value);
  }) as [string, string, string, string];
  return { kind: 'community', publicNamePrefix, publisherUri, publisherContact, eula };
}

/** An absolute http(s) URL: the publisher's web site, shown as a link. */
function parseWebUrl(name: string, value: string): string {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (url?.protocol !== 'https:' && url?.protocol !== 'http:') {
    throw new InputError(name, value, 'Expected a web address such as https://example.com.');
  }
  return value;
}

/** A plausible e-mail address; Azure shows it as the support contact. */
function parseEmail(name: string, value: string): string {
  if (/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) return value;
  throw new InputError(name, value, 'Expected an e-mail address such as support@example.com.');
}
