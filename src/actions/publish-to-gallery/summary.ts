import type { PublishResult } from './publish.js';
import type { PublishToGallerySettings } from './inputs.js';

const ACTION_WORDS = {
  created: 'Created',
  finished: 'Finished creating (found in progress)',
  unchanged: 'Already published with the same content: nothing written',
  replaced: 'Replaced (deleted and created again)',
  'regions-updated': 'Same content; target regions updated',
} as const;

/** The job summary: what happened, where, with which content, and how to look at it. */
export function publishSummary(settings: PublishToGallerySettings, result: PublishResult): string {
  const v = result.version;
  const lines = [
    `### publish-to-gallery: ${settings.gallery}/${settings.imageDefinition}/${settings.imageVersion}`,
    '',
    `**${ACTION_WORDS[v.action]}.**`,
    '',
    '| | |',
    '|---|---|',
    `| Image version | \`${v.id}\` |`,
    `| Source | ${settings.source.kind} \`${settings.source.kind === 'vhd' ? settings.source.uri : settings.source.id}\` |`,
    `| Content digest | \`${v.digest}\` |`,
    `| End of life | ${result.endOfLifeDate ?? 'not set'} |`,
    ...(result.communityImageId ? [`| Community image | \`${result.communityImageId}\` |`] : []),
  ];
  if (v.gapMs !== undefined) {
    lines.push(`| Unavailable while replaced | ${Math.round(v.gapMs / 1000)} s |`);
  }
  lines.push('', '| Region | Replicas | Storage | State | Progress |', '|---|---|---|---|---|');
  for (const r of v.regions)
    lines.push(
      `| ${r.region} | ${r.replicas} | ${r.storageAccountType} | ${r.state} | ${r.progress}% |`,
    );
  lines.push(
    '',
    'CAPZ `image:`',
    '```yaml',
    result.imageReference.trimEnd(),
    '```',
    '',
    'Look at it:',
    '```sh',
    `az sig image-version show --resource-group ${settings.resourceGroup} --gallery-name ${settings.gallery} ` +
      `--gallery-image-definition ${settings.imageDefinition} --gallery-image-version ${settings.imageVersion} --expand ReplicationStatus`,
    '```',
    '',
  );
  return lines.join('\n');
}
