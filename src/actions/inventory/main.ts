import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { takeInventory } from '../../gallery/inventory/inventory.js';
import { catalogMarkdown } from '../../gallery/inventory/markdown.js';
import {
  actionsLogger,
  azureForAction,
  releaseCalendarLoader,
  runAction,
  setOutputs,
  writeSummary,
} from '../../runner/runtime.js';
import { getInventoryInputs } from './inputs.js';
import { declaredInputs } from '../../runner/spec.js';
import { INVENTORY } from './spec.js';

/** GitHub's job summary holds at most 1 MiB a step; past that, the catalog is in the files. */
const SUMMARY_LIMIT = 900_000;

/** inventory: what a gallery holds, as JSON, Markdown and the job summary. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const settings = getInventoryInputs(declaredInputs(INVENTORY));
    const loadCalendar = releaseCalendarLoader();
    const { compute } = azureForAction(settings.azure, 'inventory');
    const calendar = await loadCalendar();
    const { catalog } = await takeInventory(settings.target, settings.filters, {
      compute,
      calendar,
      now: new Date(),
      logger: actionsLogger,
      ...(settings.verifyProvenance && settings.githubApiUrl
        ? {
            attestations: {
              apiUrl: settings.githubApiUrl,
              ...(settings.githubToken ? { token: settings.githubToken } : {}),
              ...settings.trust,
            },
          }
        : {}),
    });
    await mkdir(settings.outputDir, { recursive: true });
    const json = path.join(settings.outputDir, 'catalog.json');
    const md = path.join(settings.outputDir, 'catalog.md');
    const markdown = catalogMarkdown(catalog);
    await writeFile(json, JSON.stringify(catalog, null, 2) + '\n');
    await writeFile(md, markdown);
    setOutputs(INVENTORY, {
      json,
      markdown: md,
      latest: JSON.stringify(catalog.latest),
      counts: JSON.stringify(catalog.counts),
    });
    await writeSummary(
      markdown.length <= SUMMARY_LIMIT
        ? markdown
        : catalogMarkdown({ ...catalog, definitions: [] }) +
            `\nThe full catalog (${catalog.counts.versions} versions) is too long for the job summary: see ${md}.\n`,
    );
  });
}
