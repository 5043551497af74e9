import { SUBSCRIPTION } from './emulator.js';
import type { TestEmulator } from './emulator.js';

export interface SeededImage {
  resourceGroup?: string;
  gallery?: string;
  definition?: string;
  version?: string;
  location?: string;
  osType?: 'Linux' | 'Windows';
  hyperVGeneration?: 'V1' | 'V2';
  /** The definition's SecurityType feature; none when undefined. */
  securityType?: string;
  diskControllerTypes?: string;
  architecture?: 'x64' | 'Arm64';
  /** Regions the version is replicated to (finished); the location when unset. */
  regions?: string[];
  /** Seed the definition only, when the version must come from elsewhere. */
  withoutVersion?: boolean;
}

/**
 * Puts a finished gallery, definition and version straight into the stand-in's world
 * (`POST /_emulator/seed`), for tests that boot VMs from it. Returns the version's ID.
 */
export async function seedImageVersion(emu: TestEmulator, spec: SeededImage = {}): Promise<string> {
  const rg = spec.resourceGroup ?? 'rg-staging';
  const gallery = spec.gallery ?? 'staging_gallery';
  const definition = spec.definition ?? 'capi-ubuntu-2404';
  const version = spec.version ?? '1.31.2';
  const location = spec.location ?? 'westus2';
  const rgId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/${rg}`;
  const galleryId = `${rgId}/providers/Microsoft.Compute/galleries/${gallery}`;
  const definitionId = `${galleryId}/images/${definition}`;
  const versionId = `${definitionId}/versions/${version}`;
  const features = [
    ...(spec.securityType ? [{ name: 'SecurityType', value: spec.securityType }] : []),
    ...(spec.diskControllerTypes
      ? [{ name: 'DiskControllerTypes', value: spec.diskControllerTypes }]
      : []),
  ];
  const resources = [
    { id: rgId, location },
    { id: galleryId, location },
    {
      id: definitionId,
      location,
      properties: {
        osType: spec.osType ?? 'Linux',
        osState: 'Generalized',
        hyperVGeneration: spec.hyperVGeneration ?? 'V2',
        architecture: spec.architecture ?? 'x64',
        identifier: { publisher: 'capz', offer: 'capi', sku: `${definition}-${gallery}` },
        ...(features.length ? { features } : {}),
      },
    },
  ];
  const existing = await emu.admin<{ id: string }[]>('GET', '/resources');
  const fresh = resources.filter(
    (r) => !existing.some((e) => e.id.toLowerCase() === r.id.toLowerCase()),
  );
  if (!spec.withoutVersion) {
    fresh.push({
      id: versionId,
      location,
      properties: {
        publishingProfile: {
          targetRegions: (spec.regions ?? [location]).map((name) => ({ name })),
        },
        storageProfile: { osDiskImage: { sizeInGB: 30, hostCaching: 'ReadOnly' } },
      },
    } as never);
  }
  await emu.admin('POST', '/seed', { resources: fresh });
  return versionId;
}
