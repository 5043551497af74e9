/**
 * The part of GitHub's Git database REST API that one commit to a branch needs
 * (docs.github.com/en/rest/git: refs, blobs, trees, commits), as a thin interface: src/runner/
 * implements it with octokit, tests with the stand-in (emulator/github-git.ts) behind it.
 */

/** A file to write: its path in the branch, and its bytes. */
export interface FileToCommit {
  path: string;
  content: Buffer;
}

export interface GitDatabase {
  /** `owner/name`, for messages. */
  readonly repository: string;
  /** The commit `heads/<branch>` points at; undefined when there is no such branch (404). */
  branchHead(branch: string): Promise<string | undefined>;
  /** The tree of a commit. */
  commitTree(commit: string): Promise<string>;
  /** Stores `content` as a blob; its SHA. */
  createBlob(content: Buffer): Promise<string>;
  /** A tree of `base` with these blobs (mode 100644) put at these paths; its SHA. */
  createTree(base: string | undefined, blobs: { path: string; sha: string }[]): Promise<string>;
  createCommit(message: string, tree: string, parents: string[]): Promise<string>;
  /** POST refs; a branch that exists already is a {@link RefRaceError}. */
  createBranch(branch: string, commit: string): Promise<void>;
  /** PATCH refs without force; a branch that moved meanwhile is a {@link RefRaceError}. */
  moveBranch(branch: string, commit: string): Promise<void>;
}

/** GitHub refused a request: its status, its message, and what it says the token needs. */
export class GitHubRequestError extends Error {
  constructor(
    readonly status: number,
    /** e.g. `create a blob in owner/name`. */
    readonly operation: string,
    readonly githubMessage: string,
    /** The `x-accepted-github-permissions` header of a 403, e.g. `contents=write`. */
    readonly acceptedPermissions?: string,
  ) {
    super(`GitHub refused to ${operation}: ${status} ${githubMessage}`);
    this.name = 'GitHubRequestError';
  }
}

/**
 * Someone else moved the branch between our read and our write: GitHub's 422 "Update is not a
 * fast forward" (PATCH refs) or "Reference already exists" (POST refs).
 */
export class RefRaceError extends Error {
  constructor(
    readonly branch: string,
    reason: string,
  ) {
    super(`branch '${branch}' changed meanwhile: ${reason}`);
    this.name = 'RefRaceError';
  }
}
