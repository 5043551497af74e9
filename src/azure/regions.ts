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

/** The cloud a region belongs to; regions of one cloud do not exist in another. */
export function cloudOfRegion(region: string): Cloud {
  const name = normalizeRegionName(region);
  if (/^(usgov|usdod)/.test(name)) return 'Azure US Government';
  if (name.startsWith('china')) return 'Azure China';
  return 'Azure public cloud';
}

type Cloud = 'Azure public cloud' | 'Azure US Government' | 'Azure China';

/** The cloud an ARM endpoint belongs to; the local stand-in plays the public cloud. */
function cloudOfEndpoint(armEndpoint: string): Cloud | undefined {
  const host = new URL(armEndpoint).hostname.toLowerCase();
  if (host === 'management.usgovcloudapi.net') return 'Azure US Government';
  if (host === 'management.chinacloudapi.cn') return 'Azure China';
  return regionsAreKnownFor(armEndpoint) ? 'Azure public cloud' : undefined;
}

/**
 * @throws InputError naming `input` when `region` is no Azure region, or a region of another
 * cloud than `arm-endpoint`'s (Azure would answer with an error about the resource group).
 */
export function checkKnownRegion(input: string, region: string, armEndpoint: string): void {
  if (!regionsAreKnownFor(armEndpoint)) return;
  if (!KNOWN_REGIONS.has(normalizeRegionName(region))) {
    throw new InputError(
      input,
      region,
      "Expected an Azure region name such as 'eastus' or 'westeurope' (see 'az account list-locations -o table').",
    );
  }
  const cloud = cloudOfRegion(region);
  const endpointCloud = cloudOfEndpoint(armEndpoint);
  if (endpointCloud !== undefined && cloud !== endpointCloud) {
    throw new InputError(
      input,
      region,
      `It is a region of ${cloud}, but input 'arm-endpoint' (${armEndpoint}) is ${endpointCloud}'s. ` +
        `Expected a region of ${endpointCloud}, or the arm-endpoint and authority-host of ${cloud}.`,
    );
  }
}
