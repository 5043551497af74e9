import type { Logger } from '../common/logger.js';

/** The part of octokit plan needs: one page of a repository's releases. */
export type ListReleasesPage = (
  page: number,
) => Promise<{ tag_name: string; draft: boolean; prerelease: boolean }[]>;

/**
 * Release tags of kubernetes/kubernetes, newest first, page by page. Reading stops once a whole
 * page holds nothing newer than `stopBelowMinor` (patches of old minors keep coming out, so the
 * order is by date, not by version), or after `maxPages`.
 */
export async function listReleaseTags(
  listPage: ListReleasesPage,
  options: { keepPage: (tags: string[]) => boolean; maxPages: number; logger: Logger },
): Promise<string[]> {
  const tags: string[] = [];
  for (let page = 1; page <= options.maxPages; page++) {
    const releases = await listPage(page);
    const pageTags = releases.filter((r) => !r.draft).map((r) => r.tag_name);
    tags.push(...pageTags);
    if (releases.length < 100 || !options.keepPage(pageTags)) break;
  }
  options.logger.info(`Read ${tags.length} release tags of kubernetes/kubernetes.`);
  return tags;
}
