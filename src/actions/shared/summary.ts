import type { VersionOutcome } from '../../gallery/ensure-version.js';

const ACTION_WORDS = {
  created: 'Created',
  finished: 'Finished creating (found in progress)',
  unchanged: 'Already published with the same content: nothing written',
  replaced: 'Replaced (deleted and created again)',
  'regions-updated': 'Same content; target regions updated',
} as const;

/** What a version summary shows, whichever action wrote the version. */
export interface VersionSummary {
  /** e.g. `publish-to-gallery: staging/capi-ubuntu-2404/1.31.2`. */
  title: string;
  version: VersionOutcome;
  /** A short description of the source. */
  source: string;
  endOfLifeDate?: string;
  communityImageId?: string;
  imageReference: string;
  resourceGroup: string;
  gallery: string;
  definition: string;
  versionName: string;
  /** Extra rows for the first table. */
  extraRows?: [string, string][];
}

/** The job summary: what happened, where, with which content, and how to look at it. */
export function versionSummary(s: VersionSummary): string {
  const v = s.version;
  const lines = [
    `### ${s.title}`,
    '',
    `**${ACTION_WORDS[v.action]}.**`,
    '',
    '| | |',
    '|---|---|',
    `| Image version | \`${v.id}\` |`,
    `| Source | ${s.source} |`,
    `| Content digest | \`${v.digest}\` |`,
    `| End of life | ${s.endOfLifeDate ?? 'not set'} |`,
    ...(s.communityImageId ? [`| Community image | \`${s.communityImageId}\` |`] : []),
    ...(s.extraRows ?? []).map(([k, val]) => `| ${k} | ${val} |`),
  ];
  if (v.gapMs !== undefined) {
    lines.push(`| Unavailable while replaced | ${Math.round(v.gapMs / 1000)} s |`);
  }
  lines.push('', '| Region | Replicas | Storage | State | Progress |', '|---|---|---|---|---|');
  for (const r of v.regions) {
    lines.push(
      `| ${r.region} | ${r.replicas} | ${r.storageAccountType} | ${r.state} | ${r.progress}% |`,
    );
  }
  lines.push(
    '',
    'CAPZ `image:`',
    '```yaml',
    s.imageReference.trimEnd(),
    '```',
    '',
    'Look at it:',
    '```sh',
    `az sig image-version show --resource-group ${s.resourceGroup} --gallery-name ${s.gallery} ` +
      `--gallery-image-definition ${s.definition} --gallery-image-version ${s.versionName} --expand ReplicationStatus`,
    '```',
    '',
  );
  return lines.join('\n');
}
