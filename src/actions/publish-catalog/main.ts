import { publishCatalog } from '../../gallery/inventory/publish.js';
import { gitDatabase } from '../../runner/github.js';
import {
  actionsLogger,
  runAction,
  runUrl,
  setOutputs,
  writeSummary,
} from '../../runner/runtime.js';
import { declaredInputs } from '../../runner/spec.js';
import { getPublishCatalogInputs } from './inputs.js';
import { PUBLISH_CATALOG } from './spec.js';
import { blobUrl, publishCatalogSummary } from './summary.js';

/**
 * publish-catalog: commits the inventory's catalog (catalog.json, catalog.md and a README.md)
 * to a folder of a branch, in one commit, or none when the branch already holds it.
 */
export async function run(): Promise<void> {
  await runAction(async () => {
    const settings = getPublishCatalogInputs(declaredInputs(PUBLISH_CATALOG));
    const git = gitDatabase(settings.token, settings.repository, settings.apiUrl);
    const url = runUrl();
    const outcome = await publishCatalog(
      {
        catalogDir: settings.catalogDir,
        branch: settings.branch,
        folder: settings.folder,
        ...(url ? { runUrl: url } : {}),
      },
      { git, logger: actionsLogger },
    );
    setOutputs(PUBLISH_CATALOG, {
      changed: String(outcome.changed),
      'commit-sha': outcome.commit,
      'markdown-url': blobUrl(settings, outcome.paths.markdown),
      'json-url': blobUrl(settings, outcome.paths.json),
    });
    await writeSummary(publishCatalogSummary(settings, outcome));
  });
}
