/**
 * Publishes a catalog the inventory action wrote (catalog.json and catalog.md) to a folder of a
 * branch, as one commit, so that a developer reads what a gallery holds without any Azure
 * access: on github.com, where the folder's README.md (the catalog again) shows under the file
 * list, or on GitHub Pages when Pages serves that branch.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigurationError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { commitFiles, type CommitFilesOutcome } from '../../github/commit-files.js';
import type { GitDatabase } from '../../github/git-database.js';
import { type Catalog, INVENTORY_SCHEMA_VERSION } from './schema.js';

/** The names the catalog has in the branch's folder. */
export const PUBLISHED_FILES = {
  json: 'catalog.json',
  markdown: 'catalog.md',
  /** The same text as catalog.md: github.com shows a folder's README.md, Pages makes it the index. */
  readme: 'README.md',
} as const;

export interface PublishCatalogRequest {
  /** The folder holding catalog.json and catalog.md, as the inventory action writes them. */
  catalogDir: string;
  branch: string;
  /** Folder in the branch, no leading or trailing slash; '' is the branch's root. */
  folder: string;
  /** The run that publishes, for the commit message. */
  runUrl?: string;
}

export interface PublishCatalogOutcome extends CommitFilesOutcome {
  catalog: Catalog;
  /** Paths in the branch, by kind. */
  paths: Record<keyof typeof PUBLISHED_FILES, string>;
}

export async function publishCatalog(
  request: PublishCatalogRequest,
  ctx: { git: GitDatabase; logger: Logger; sleep?: (ms: number) => Promise<void> },
): Promise<PublishCatalogOutcome> {
  const { catalog, json, markdown } = await readCatalogFiles(request.catalogDir);
  const at = (name: string): string => (request.folder ? `${request.folder}/${name}` : name);
  const paths = {
    json: at(PUBLISHED_FILES.json),
    markdown: at(PUBLISHED_FILES.markdown),
    readme: at(PUBLISHED_FILES.readme),
  };
  const outcome = await commitFiles(
    {
      branch: request.branch,
      files: [
        { path: paths.json, content: json },
        { path: paths.markdown, content: markdown },
        { path: paths.readme, content: markdown },
      ],
      message: commitMessage(catalog, request.runUrl),
    },
    ctx,
  );
  return { ...outcome, catalog, paths };
}

/**
 * Reads and checks the two files: a catalog of this schema, and its Markdown beside it. Errors
 * name the input they came from (`catalog`), before anything is sent to GitHub.
 */
export async function readCatalogFiles(
  dir: string,
): Promise<{ catalog: Catalog; json: Buffer; markdown: Buffer }> {
  const read = async (name: string): Promise<Buffer> => {
    try {
      return await readFile(path.join(dir, name));
    } catch {
      throw new ConfigurationError(
        `Input 'catalog': '${dir}' has no ${name}. Give the folder the inventory action wrote (its output-dir), or where the 'catalog' artifact was downloaded.`,
      );
    }
  };
  const json = await read(PUBLISHED_FILES.json);
  const markdown = await read(PUBLISHED_FILES.markdown);
  let catalog: Catalog;
  try {
    catalog = JSON.parse(json.toString('utf8')) as Catalog;
  } catch (error) {
    throw new ConfigurationError(
      `Input 'catalog': ${path.join(dir, PUBLISHED_FILES.json)} is not JSON (${(error as Error).message}).`,
    );
  }
  if (catalog?.schemaVersion !== INVENTORY_SCHEMA_VERSION || typeof catalog.gallery !== 'object') {
    throw new ConfigurationError(
      `Input 'catalog': ${path.join(dir, PUBLISHED_FILES.json)} is not an inventory catalog of schema v${INVENTORY_SCHEMA_VERSION} (docs/inventory-schema.md).`,
    );
  }
  return { catalog, json, markdown };
}

/** e.g. `Catalog of ClusterAPI: 3 versions, 2 current`, the read time and the run. */
export function commitMessage(catalog: Catalog, runUrl?: string): string {
  const g = catalog.gallery;
  const name = g.kind === 'private' ? g.name : g.publicName;
  const c = catalog.counts;
  return [
    `Catalog of ${name}: ${c.versions} versions, ${c.current} current`,
    '',
    `Read ${catalog.generatedAt}.`,
    ...(runUrl ? [`Run: ${runUrl}`] : []),
  ].join('\n');
}
