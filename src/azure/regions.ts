import { InputError } from '../common/errors.js';
import { normalizeRegionName } from '../gallery/names.js';

/**
 * Region names of the Azure public, US Government and China clouds. A typo in a region would
 * otherwise surface only when Azure refuses the version, after the gallery and definition were
 * already written; Azure Stack and other private endpoints are not checked.
 */
export const KNOWN_REGIONS: ReadonlySet<string> = new Set(
  (
    'eastus eastus2 southcentralus westus2 westus3 australiaeast southeastasia northeurope swedencentral ' +
    'uksouth westeurope centralus southafricanorth centralindia eastasia japaneast koreacentral canadacentral ' +
    'francecentral germanywestcentral italynorth norwayeast polandcentral spaincentral switzerlandnorth ' +
    'mexicocentral uaenorth brazilsouth israelcentral qatarcentral newzealandnorth indonesiacentral malaysiawest ' +
    'chilecentral austriaeast belgiumcentral denmarkeast northcentralus westus japanwest westcentralus canadaeast ' +
    'ukwest australiasoutheast australiacentral australiacentral2 koreasouth southindia westindia jioindiawest ' +
    'jioindiacentral francesouth germanynorth norwaywest switzerlandwest swedensouth brazilsoutheast ' +
    'southafricawest uaecentral eastus2euap centraluseuap ' +
    'usgovvirginia usgovarizona usgovtexas usdodeast usdodcentral ' +
    'chinanorth chinanorth2 chinanorth3 chinaeast chinaeast2 chinaeast3'
  ).split(' '),
);

const CHECKED_HOSTS = [
  'management.azure.com',
  'management.usgovcloudapi.net',
  'management.chinacloudapi.cn',
];

/** Whether region names can be checked for this ARM endpoint (Azure's clouds and the local stand-in). */
export function regionsAreKnownFor(armEndpoint: string): boolean {
  const host = new URL(armEndpoint).hostname.toLowerCase();
  return CHECKED_HOSTS.includes(host) || host === 'localhost' || /^127\.|^\[?::1\]?$/.test(host);
}

/** @throws InputError naming `input` when `region` is no Azure region. */
export function checkKnownRegion(input: string, region: string, armEndpoint: string): void {
  if (!regionsAreKnownFor(armEndpoint) || KNOWN_REGIONS.has(normalizeRegionName(region))) return;
  throw new InputError(
    input,
    region,
    "Expected an Azure region name such as 'eastus' or 'westeurope' (see 'az account list-locations -o table').",
  );
}
