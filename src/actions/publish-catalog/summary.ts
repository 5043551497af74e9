import type { PublishCatalogOutcome } from '../../gallery/inventory/publish.js';
import type { PublishCatalogSettings } from './inputs.js';

type Where = Pick<PublishCatalogSettings, 'serverUrl' | 'repository' | 'branch'>;

/** The github.com page of a file on the branch (what the contents API calls its `html_url`). */
export function blobUrl(where: Where, filePath: string): string {
  const encoded = filePath.split('/').map(encodeURIComponent).join('/');
  return `${where.serverUrl}/${where.repository}/blob/${where.branch}/${encoded}`;
}

/** Where the catalog went, and whether this run changed it. */
export function publishCatalogSummary(
  settings: PublishCatalogSettings,
  outcome: PublishCatalogOutcome,
): string {
  const commitUrl = `${settings.serverUrl}/${settings.repository}/commit/${outcome.commit}`;
  const what = !outcome.changed
    ? 'Unchanged: the branch already holds this catalog, nothing was committed.'
    : outcome.createdBranch
      ? `Created branch \`${settings.branch}\` with the catalog.`
      : 'Committed the new catalog.';
  const c = outcome.catalog.counts;
  return [
    `### publish-catalog: ${settings.repository}@${settings.branch}`,
    '',
    `**${what}**`,
    '',
    '| | |',
    '|---|---|',
    `| Commit | [\`${outcome.commit.slice(0, 12)}\`](${commitUrl}) |`,
    `| Catalog | [${outcome.paths.markdown}](${blobUrl(settings, outcome.paths.markdown)}) · [${outcome.paths.json}](${blobUrl(settings, outcome.paths.json)}) |`,
    `| Read | ${outcome.catalog.generatedAt}: ${c.versions} versions, ${c.current} current |`,
    '',
  ].join('\n');
}
