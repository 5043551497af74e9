import { provenanceTags } from '../../common/provenance.js';
import { systemClock } from '../../gallery/clock.js';
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
import { PROMOTE } from './spec.js';
import { versionSummary } from '../shared/summary.js';
import { getPromoteInputs } from './inputs.js';
import { promote } from '../../gallery/promote.js';

/** promote: the validated staging version copied to the production gallery, everywhere. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const now = new Date();
    const settings = getPromoteInputs(declaredInputs(PROMOTE), now);
    const loadSupportCalendar = releaseCalendarLoader();
    // A promotion records only the run that made it (promote.ts renames it promoted-by).
    const { 'published-by': url } = provenanceTags(runProvenance());
    const result = await promote(settings, {
      clients: azureForAction(settings.azure, 'promote'),
      logger: actionsLogger,
      clock: systemClock,
      pollIntervalMs: settings.pollIntervalSeconds * 1000,
      now,
      loadSupportCalendar,
      provenance: url ? { 'published-by': url } : {},
      ...(settings.attestations ? { attestations: settings.attestations } : {}),
    });
    setOutputs(PROMOTE, {
      'image-version-id': result.version.id,
      'community-image-id': result.communityImageId,
      'image-reference': result.imageReference,
      created: String(result.version.created),
    });
    const p = result.settings;
    await writeSummary(
      versionSummary({
        title: `promote: ${p.gallery}/${p.imageDefinition}/${p.imageVersion}`,
        version: result.version,
        source: `staging version \`${settings.source.id}\``,
        ...(result.endOfLifeDate ? { endOfLifeDate: result.endOfLifeDate } : {}),
        ...(result.communityImageId ? { communityImageId: result.communityImageId } : {}),
        imageReference: result.imageReference,
        resourceGroup: p.resourceGroup,
        gallery: p.gallery,
        definition: p.imageDefinition,
        versionName: p.imageVersion,
        extraRows: [
          ['Security type', p.definition.securityType],
          [
            'Identifier',
            `${result.identifier.publisher}/${result.identifier.offer}/${result.identifier.sku}` +
              (result.definitionExisted ? ' (existing definition)' : ' (new definition)'),
          ],
          ...(result.attestation
            ? [
                ['Attestation', `${result.attestation.status}: ${result.attestation.reason}`] as [
                  string,
                  string,
                ],
              ]
            : []),
        ],
      }),
    );
  });
}
