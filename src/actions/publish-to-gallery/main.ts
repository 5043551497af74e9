import { provenanceTags } from '../../common/provenance.js';
import { BlobClient } from '@azure/storage-blob';
import { systemClock } from '../../gallery/clock.js';
import { blobDigest } from '../../gallery/digest.js';
import {
  actionsLogger,
  azureForAction,
  releaseCalendarLoader,
  runAction,
  runProvenance,
  setOutputs,
  writeSummary,
} from '../../runner/runtime.js';
import { declaredInputs } from '../../runner/spec.js';
import { PUBLISH_TO_GALLERY } from './spec.js';
import { getInputs } from './inputs.js';
import { publish } from '../../gallery/publish.js';
import { subjectDigestOf } from '../../provenance/subject.js';
import { publishSummary } from './summary.js';

/** publish-to-gallery: gallery, definition and version made sure of, from the given source. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const read = declaredInputs(PUBLISH_TO_GALLERY);
    const now = new Date();
    // Every input is checked before anything talks to Azure.
    const settings = getInputs(read, now);
    const loadSupportCalendar = releaseCalendarLoader();

    const clients = azureForAction(settings.azure, 'publish-to-gallery');
    const result = await publish(settings, {
      clients,
      logger: actionsLogger,
      clock: systemClock,
      pollIntervalMs: settings.pollIntervalSeconds * 1000,
      now,
      loadSupportCalendar,
      readBlobDigest: async (uri) =>
        blobDigest((await new BlobClient(uri, clients.credential).getProperties()).metadata),
      ...(settings.sourceSha256 ? { sourceSha256: settings.sourceSha256 } : {}),
      provenance: {
        ...provenanceTags(runProvenance()),
        ...(settings.kubernetesVersion ? { 'kubernetes-version': settings.imageVersion } : {}),
      },
    });

    setOutputs(PUBLISH_TO_GALLERY, {
      'image-version-id': result.version.id,
      'image-definition-id': result.definitionId,
      'gallery-id': result.galleryId,
      'community-image-id': result.communityImageId,
      'image-reference': result.imageReference,
      created: String(result.version.created),
      'content-digest': result.version.digest,
      'subject-digest': subjectDigestOf(result.version.digest),
    });
    await writeSummary(publishSummary(settings, result));
  });
}
