/**
 * Writes files into a folder of a branch as one commit, through GitHub's Git database API:
 * blobs, then a tree on the branch's tree, then a commit whose parent is the branch's head, then
 * the ref moved without force (docs.github.com/en/rest/git/trees#create-a-tree: `base_tree`
 * keeps every other file; /rest/git/refs#update-a-reference: `force: false` refuses anything but
 * a fast forward). The contents API would make one commit per file; this makes one for all.
 *
 * - No branch: the first commit has no parent (an orphan), and the branch is created.
 * - Same files: the new tree has the SHA of the branch's tree (git names trees by content), so
 *   nothing is committed.
 * - The branch moved meanwhile (another run published): read it again and retry, a bounded
 *   number of times.
 */
import { ConfigurationError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import {
  type FileToCommit,
  type GitDatabase,
  GitHubRequestError,
  RefRaceError,
} from './git-database.js';

export interface CommitFilesRequest {
  branch: string;
  files: readonly FileToCommit[];
  message: string;
}

export interface CommitFilesContext {
  git: GitDatabase;
  logger: Logger;
  /** How many times the whole read-commit-move is tried when the branch moves meanwhile. */
  maxAttempts?: number;
  /** Injected in tests. */
  sleep?: (ms: number) => Promise<void>;
}

export interface CommitFilesOutcome {
  /** False when the branch already held these files. */
  changed: boolean;
  /** The new commit, or the branch's head when nothing changed. */
  commit: string;
  /** The branch did not exist and was created. */
  createdBranch: boolean;
  attempts: number;
}

export const DEFAULT_COMMIT_ATTEMPTS = 5;

export async function commitFiles(
  request: CommitFilesRequest,
  ctx: CommitFilesContext,
): Promise<CommitFilesOutcome> {
  const { git, logger } = ctx;
  const maxAttempts = ctx.maxAttempts ?? DEFAULT_COMMIT_ATTEMPTS;
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  try {
    // Blobs are named by their content: made once (one per distinct content), they serve every
    // attempt.
    const made = new Map<string, string>();
    const blobs = [];
    for (const file of request.files) {
      const key = file.content.toString('base64');
      const sha = made.get(key) ?? (await git.createBlob(file.content));
      made.set(key, sha);
      blobs.push({ path: file.path, sha });
    }
    for (let attempt = 1; ; attempt++) {
      const head = await git.branchHead(request.branch);
      const base = head === undefined ? undefined : await git.commitTree(head);
      const tree = await git.createTree(base, blobs);
      if (head !== undefined && tree === base) {
        logger.info(`${git.repository}@${request.branch} already holds these files (${head}).`);
        return { changed: false, commit: head, createdBranch: false, attempts: attempt };
      }
      const commit = await git.createCommit(request.message, tree, head ? [head] : []);
      try {
        if (head === undefined) await git.createBranch(request.branch, commit);
        else await git.moveBranch(request.branch, commit);
        logger.info(
          `${head === undefined ? 'Created' : 'Moved'} ${git.repository}@${request.branch} to ${commit}.`,
        );
        return { changed: true, commit, createdBranch: head === undefined, attempts: attempt };
      } catch (error) {
        if (!(error instanceof RefRaceError)) throw error;
        if (attempt >= maxAttempts) {
          throw new Error(
            `${git.repository}@${request.branch} kept changing while this commit was made (${maxAttempts} attempts); nothing was committed. Run the job again.`,
          );
        }
        logger.warning(
          `${error.message}; reading it again (attempt ${attempt + 1} of ${maxAttempts}).`,
        );
        await sleep(500 * 2 ** (attempt - 1));
      }
    }
  } catch (error) {
    throw error instanceof GitHubRequestError
      ? explain(error, git.repository, request.branch)
      : error;
  }
}

/** GitHub's refusals, said as what the user has to change. */
function explain(error: GitHubRequestError, repository: string, branch: string): Error {
  switch (error.status) {
    case 401:
      return new ConfigurationError(
        `GitHub did not accept the token for ${repository} (${error.githubMessage}): check input 'github-token'.`,
      );
    case 403:
      return new ConfigurationError(
        `The token may not write to ${repository} (${error.githubMessage}; GitHub accepts: ${error.acceptedPermissions ?? 'contents=write'}). ` +
          "Give the job 'permissions: contents: write', or pass in 'github-token' a token that may push to the repository.",
      );
    case 404:
      return new ConfigurationError(
        `Repository ${repository} was not found, or the token cannot see it (GitHub answered 404 to: ${error.operation}). ` +
          "A job's GITHUB_TOKEN reaches only the repository of its workflow; for another one, pass a token in 'github-token'.",
      );
    case 409:
      return new ConfigurationError(
        `${repository} is empty (${error.githubMessage}): GitHub's Git database API cannot write to a repository with no commit. Push a first commit, then run again.`,
      );
    case 422:
      return new ConfigurationError(
        `GitHub refused to ${error.operation} (${error.githubMessage}); check input 'branch' ('${branch}') and 'path'.`,
      );
    default:
      return error;
  }
}
