/**
 * Azure public-cloud regions: programmatic name → display name. ARM answers with display names
 * in some places (a version's `targetRegions[].name`, replication summaries) and accepts either on
 * input, so clients must compare regions by normalised name; the stand-in makes them do so.
 */
export const REGIONS: Record<string, string> = {
  eastus: 'East US',
  eastus2: 'East US 2',
  southcentralus: 'South Central US',
  westus2: 'West US 2',
  westus3: 'West US 3',
  australiaeast: 'Australia East',
  southeastasia: 'Southeast Asia',
  northeurope: 'North Europe',
  swedencentral: 'Sweden Central',
  uksouth: 'UK South',
  westeurope: 'West Europe',
  centralus: 'Central US',
  southafricanorth: 'South Africa North',
  centralindia: 'Central India',
  eastasia: 'East Asia',
  japaneast: 'Japan East',
  koreacentral: 'Korea Central',
  canadacentral: 'Canada Central',
  francecentral: 'France Central',
  germanywestcentral: 'Germany West Central',
  italynorth: 'Italy North',
  norwayeast: 'Norway East',
  polandcentral: 'Poland Central',
  switzerlandnorth: 'Switzerland North',
  mexicocentral: 'Mexico Central',
  uaenorth: 'UAE North',
  brazilsouth: 'Brazil South',
  israelcentral: 'Israel Central',
  qatarcentral: 'Qatar Central',
  northcentralus: 'North Central US',
  westus: 'West US',
  japanwest: 'Japan West',
  westcentralus: 'West Central US',
  canadaeast: 'Canada East',
  ukwest: 'UK West',
  australiasoutheast: 'Australia Southeast',
  australiacentral: 'Australia Central',
  koreasouth: 'Korea South',
  southindia: 'South India',
  westindia: 'West India',
  francesouth: 'France South',
  germanynorth: 'Germany North',
  norwaywest: 'Norway West',
  switzerlandwest: 'Switzerland West',
  swedensouth: 'Sweden South',
  brazilsoutheast: 'Brazil Southeast',
  southafricawest: 'South Africa West',
  uaecentral: 'UAE Central',
  eastus2euap: 'East US 2 EUAP',
  centraluseuap: 'Central US EUAP',
};

/** `"West US 2"`, `"westus2"`, `"WestUS2"` → `"westus2"`. */
export function normalizeRegion(name: string): string {
  return name.replace(/\s+/g, '').toLowerCase();
}

export function isKnownRegion(name: string): boolean {
  return normalizeRegion(name) in REGIONS;
}

export function displayRegion(name: string): string {
  return REGIONS[normalizeRegion(name)] ?? name;
}
