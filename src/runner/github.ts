/**
 * What the actions read from and write to GitHub: the event that started the run, a REST client,
 * kubernetes/kubernetes's releases (plan) and a repository's Git database (publish-catalog).
 */
import * as github from '@actions/github';
import { type GitDatabase, GitHubRequestError, RefRaceError } from '../github/git-database.js';
import type { ListReleasesPage } from '../plan/releases.js';

/** The workflow run's context: event name, payload, API URL. */
export function githubContext(): typeof github.context {
  return github.context;
}

/** A REST client for the run's GitHub (its API URL, GITHUB_API_URL), signed in with `token`. */
export function githubClient(
  token: string,
  apiUrl: string = github.context.apiUrl,
): ReturnType<typeof github.getOctokit> {
  return github.getOctokit(token, { baseUrl: apiUrl });
}

/** One page of kubernetes/kubernetes' releases at a time, as plan reads them. */
export function kubernetesReleases(token: string): ListReleasesPage {
  const octokit = githubClient(token);
  return async (page) =>
    (
      await octokit.rest.repos.listReleases({
        owner: 'kubernetes',
        repo: 'kubernetes',
        per_page: 100,
        page,
      })
    ).data;
}

/**
 * `repository`'s Git database through octokit (`octokit.rest.git.*`, the routes of
 * docs.github.com/en/rest/git). GitHub's refusals become {@link GitHubRequestError}s, and the
 * two 422s of a branch moved by someone else {@link RefRaceError}s.
 */
export function gitDatabase(token: string, repository: string, apiUrl?: string): GitDatabase {
  const octokit = githubClient(token, apiUrl);
  const [owner = '', repo = ''] = repository.split('/');
  /** One request; a 422 whose message matches `race` means another run moved `branch`. */
  const call = async <T>(
    operation: string,
    fn: () => Promise<T>,
    race?: { branch: string; message: RegExp },
  ): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      const e = asGitHubError(error, `${operation} in ${repository}`);
      if (race && e.status === 422 && race.message.test(e.githubMessage)) {
        throw new RefRaceError(race.branch, e.githubMessage);
      }
      throw e;
    }
  };
  return {
    repository,
    async branchHead(branch) {
      try {
        const { data } = await octokit.rest.git.getRef({ owner, repo, ref: `heads/${branch}` });
        return data.object.sha;
      } catch (error) {
        // commitFiles writes its blobs first, so the repository exists and the token sees it:
        // a 404 here is the branch's.
        if ((error as { status?: number }).status === 404) return undefined;
        throw asGitHubError(error, `read branch '${branch}' of ${repository}`);
      }
    },
    commitTree: async (commit) =>
      (
        await call('read a commit', () =>
          octokit.rest.git.getCommit({ owner, repo, commit_sha: commit }),
        )
      ).data.tree.sha,
    createBlob: async (content) =>
      (
        await call('create a blob', () =>
          octokit.rest.git.createBlob({
            owner,
            repo,
            content: content.toString('base64'),
            encoding: 'base64',
          }),
        )
      ).data.sha,
    createTree: async (base, blobs) =>
      (
        await call('create a tree', () =>
          octokit.rest.git.createTree({
            owner,
            repo,
            ...(base ? { base_tree: base } : {}),
            tree: blobs.map((b) => ({
              path: b.path,
              mode: '100644' as const,
              type: 'blob' as const,
              sha: b.sha,
            })),
          }),
        )
      ).data.sha,
    createCommit: async (message, tree, parents) =>
      (
        await call('create a commit', () =>
          octokit.rest.git.createCommit({ owner, repo, message, tree, parents }),
        )
      ).data.sha,
    createBranch: async (branch, commit) => {
      await call(
        `create branch '${branch}'`,
        () => octokit.rest.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha: commit }),
        { branch, message: /already exists/i },
      );
    },
    moveBranch: async (branch, commit) => {
      await call(
        `move branch '${branch}'`,
        () =>
          octokit.rest.git.updateRef({
            owner,
            repo,
            ref: `heads/${branch}`,
            sha: commit,
            force: false,
          }),
        { branch, message: /fast.forward/i },
      );
    },
  };
}

/** Octokit's RequestError (status, response.data.message, headers) as a GitHubRequestError. */
function asGitHubError(error: unknown, operation: string): GitHubRequestError {
  if (error instanceof GitHubRequestError) return error;
  const e = error as {
    status?: number;
    message?: string;
    response?: { data?: unknown; headers?: Record<string, string | undefined> };
  };
  if (typeof e.status !== 'number') throw error;
  const data = e.response?.data as { message?: string } | undefined;
  return new GitHubRequestError(
    e.status,
    operation,
    data?.message ?? e.message ?? '',
    e.response?.headers?.['x-accepted-github-permissions'],
  );
}
