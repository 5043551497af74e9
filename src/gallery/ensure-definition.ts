import type { ComputeManagementClient, GalleryImage } from '@azure/arm-compute';
import { ConfigurationError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { azureError, isNotFound } from '../azure/errors.js';
import type { WaitOptions } from './ensure-gallery.js';
import type { Architecture, HyperVGeneration, OsType, SecurityType } from './names.js';

export type DefinitionApi = Pick<ComputeManagementClient, 'galleryImages'>;

/** An image definition. Everything but description and end of life is fixed once created. */
export interface DefinitionSpec {
  resourceGroup: string;
  gallery: string;
  name: string;
  location: string;
  osType: OsType;
  osState: 'Generalized' | 'Specialized';
  hyperVGeneration: HyperVGeneration;
  architecture: Architecture;
  securityType: SecurityType;
  identifier: { publisher: string; offer: string; sku: string };
  description?: string;
}

export interface EnsuredDefinition {
  id: string;
  created: boolean;
}

/** Input names, so a mismatch message can say which input to change. */
const INPUT_FOR: Record<string, string> = {
  osType: 'os-type',
  osState: 'os-state',
  hyperVGeneration: 'hyper-v-generation',
  architecture: 'architecture',
  securityType: 'security-type',
  publisher: 'publisher',
  offer: 'offer',
  sku: 'sku',
};

/**
 * Makes sure the definition exists with exactly these immutable properties. New definitions get
 * every property set explicitly: since api 2025-03-03 Azure would otherwise default to V2 and
 * Trusted Launch, and nothing can change them afterwards.
 */
export async function ensureImageDefinition(
  api: DefinitionApi,
  spec: DefinitionSpec,
  logger: Logger,
  wait: WaitOptions,
): Promise<EnsuredDefinition> {
  let existing: GalleryImage | undefined;
  try {
    existing = await api.galleryImages.get(spec.resourceGroup, spec.gallery, spec.name);
  } catch (err) {
    if (!isNotFound(err)) throw azureError(err, `reading image definition '${spec.name}'`);
  }
  if (existing) {
    const differences = definitionDifferences(existing, spec);
    if (differences.length > 0) {
      throw new ConfigurationError(
        `Image definition '${spec.name}' in gallery '${spec.gallery}' exists with different fixed properties:\n` +
          differences.map((d) => `  - ${d}`).join('\n') +
          `\nThese cannot change after creation. Fix the inputs or publish to a new definition name.`,
      );
    }
    logger.info(`Image definition '${spec.name}' exists with the expected properties.`);
    return { id: existing.id!, created: false };
  }
  logger.info(
    `Creating image definition '${spec.name}' (${spec.osType}, ${spec.hyperVGeneration}, ${spec.architecture}, ${spec.securityType}).`,
  );
  const created = await api.galleryImages
    .createOrUpdate(spec.resourceGroup, spec.gallery, spec.name, definitionBody(spec), {
      updateIntervalInMs: wait.pollIntervalMs,
    })
    .catch((err: unknown) => {
      throw azureError(err, `creating image definition '${spec.name}'`);
    });
  return { id: created.id!, created: true };
}

export function definitionBody(spec: DefinitionSpec): GalleryImage {
  return {
    location: spec.location,
    osType: spec.osType,
    osState: spec.osState,
    hyperVGeneration: spec.hyperVGeneration,
    architecture: spec.architecture,
    identifier: spec.identifier,
    features: [{ name: 'SecurityType', value: spec.securityType }],
    ...(spec.description ? { description: spec.description } : {}),
  };
}

/** Every fixed property that differs, as "property: existing 'x', input 'name' asks 'y'". */
export function definitionDifferences(existing: GalleryImage, spec: DefinitionSpec): string[] {
  const actual: Record<string, string | undefined> = {
    osType: existing.osType,
    osState: existing.osState,
    hyperVGeneration: existing.hyperVGeneration ?? 'V1',
    architecture: existing.architecture ?? 'x64',
    // A definition without the feature is a plain (Standard) one.
    securityType: existing.features?.find((f) => f.name === 'SecurityType')?.value ?? 'Standard',
    publisher: existing.identifier?.publisher,
    offer: existing.identifier?.offer,
    sku: existing.identifier?.sku,
  };
  const wanted: Record<string, string> = {
    osType: spec.osType,
    osState: spec.osState,
    hyperVGeneration: spec.hyperVGeneration,
    architecture: spec.architecture,
    securityType: spec.securityType,
    ...spec.identifier,
  };
  return Object.keys(wanted)
    .filter((k) => String(actual[k] ?? '').toLowerCase() !== wanted[k]!.toLowerCase())
    .map(
      (k) =>
        `${k}: the definition has '${actual[k] ?? '(unset)'}', input '${INPUT_FOR[k]}' asks for '${wanted[k]}'`,
    );
}
