import { versionSummary } from '../shared/summary.js';
import type { PublishToGallerySettings } from './inputs.js';
import type { PublishResult } from '../../gallery/publish.js';

export function publishSummary(settings: PublishToGallerySettings, result: PublishResult): string {
  const src = settings.source;
  return versionSummary({
    title: `publish-to-gallery: ${settings.gallery}/${settings.imageDefinition}/${settings.imageVersion}`,
    version: result.version,
    source: `${src.kind} \`${src.kind === 'vhd' ? src.uri : src.id}\``,
    ...(result.endOfLifeDate ? { endOfLifeDate: result.endOfLifeDate } : {}),
    ...(result.communityImageId ? { communityImageId: result.communityImageId } : {}),
    imageReference: result.imageReference,
    resourceGroup: settings.resourceGroup,
    gallery: settings.gallery,
    definition: settings.imageDefinition,
    versionName: settings.imageVersion,
  });
}
