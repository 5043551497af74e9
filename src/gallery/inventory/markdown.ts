/** The catalog as Markdown: for the job summary, a file on a branch, or Pages. */
import type { Catalog, CatalogVersion } from './schema.js';

const cell = (s: string | number | null | undefined): string =>
  s === null || s === undefined || s === ''
    ? '–'
    : String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function catalogMarkdown(catalog: Catalog): string {
  const g = catalog.gallery;
  const title =
    g.kind === 'private'
      ? `${g.name} (resource group ${g.resourceGroup}${g.publicNames.length ? `, community ${g.publicNames.join(', ')}` : ''})`
      : `community gallery ${g.publicName} in ${g.location}`;
  const c = catalog.counts;
  const lines = [
    `## Image catalog: ${title}`,
    '',
    `Generated ${catalog.generatedAt} (schema v${catalog.schemaVersion}). ` +
      `${c.versions} versions in ${c.definitions} definitions: ${c.current} current, ${c['end-of-life']} end of life, ` +
      `${c.yanked} yanked, ${c['in-progress']} in progress, ${c.failed} failed.`,
  ];
  const filters = catalog.filters;
  if (filters.definitions.length + filters.minors.length + filters.states.length > 0) {
    lines.push(
      '',
      `Filtered: ${[
        filters.definitions.length ? `definitions ${filters.definitions.join(', ')}` : '',
        filters.minors.length ? `minors ${filters.minors.join(', ')}` : '',
        filters.states.length ? `states ${filters.states.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ')}.`,
    );
  }
  if (catalog.latest.length > 0) {
    lines.push('', '### Newest supported image per OS', '');
    for (const l of catalog.latest) {
      lines.push(
        `**${l.osTarget ?? l.definition}** — ${l.definition} ${l.version}:`,
        '',
        '```yaml',
        'image:',
        ...l.imageReference
          .trimEnd()
          .split('\n')
          .map((x) => `  ${x}`),
        '```',
        '',
      );
    }
  }
  for (const d of catalog.definitions) {
    lines.push(
      '',
      `### ${d.name}`,
      '',
      [
        d.osTarget ? `OS target ${d.osTarget}` : '',
        d.osType ?? '',
        d.hyperVGeneration ? `Hyper-V ${d.hyperVGeneration}` : '',
        d.securityType ? `security ${d.securityType}` : '',
        d.architecture ?? '',
        d.identifier ? `${d.identifier.publisher}/${d.identifier.offer}/${d.identifier.sku}` : '',
      ]
        .filter(Boolean)
        .join(' · '),
      '',
    );
    if (d.versions.length === 0) {
      lines.push('No versions.');
      continue;
    }
    lines.push(
      '| Version | Kubernetes | State | Published | End of life | Days left | Latest | Regions | Provenance |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    for (const v of d.versions) lines.push(row(v));
  }
  return lines.join('\n') + '\n';
}

function row(v: CatalogVersion): string {
  const state =
    v.state === 'yanked' && v.yanked
      ? `yanked: ${v.yanked.reason}`
      : v.state === 'in-progress'
        ? `in progress (${v.provisioningState})`
        : v.state;
  const regions = v.regions
    .map(
      (r) =>
        `${r.name}${r.replicas !== null ? `×${r.replicas}` : ''}${r.state !== 'Completed' ? ` (${r.state}${r.progress !== undefined ? ` ${r.progress}%` : ''})` : ''}`,
    )
    .join(', ');
  const p = v.provenance;
  const provenance = [
    `attestation ${p.attestation.status}`,
    p.imageBuilderVersion ? `image-builder ${p.imageBuilderVersion}` : '',
    p.imageBuilderCommit ? `commit ${p.imageBuilderCommit.slice(0, 12)}` : '',
    p.publishedBy ? `[run](${p.publishedBy})` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return `| ${cell(v.version)} | ${cell(v.kubernetesVersion)} | ${cell(state)} | ${cell(v.publishedDate?.slice(0, 10))} | ${cell(v.endOfLifeDate)}${v.endOfLifeSource === 'kubernetes' ? ' (minor)' : ''} | ${cell(v.daysLeft)} | ${v.excludeFromLatest ? 'excluded' : 'yes'} | ${cell(regions)} | ${cell(provenance)} |`;
}
