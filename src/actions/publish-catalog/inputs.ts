/**
 * Reads and checks publish-catalog's inputs before anything is sent to GitHub: where the catalog
 * is, and which repository, branch and folder it goes to.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { InputError } from '../../common/errors.js';
import {
  getOptionalInput,
  getRequiredInput,
  type InputReader,
  parseHttpsUrl,
} from '../../common/inputs.js';

export const PUBLISH_CATALOG_INPUTS = [
  'catalog',
  'repository',
  'branch',
  'path',
  'github-token',
  'github-api-url',
] as const;

export const PUBLISH_CATALOG_DEFAULTS = {
  branch: 'gallery-catalog',
} as const;

export interface PublishCatalogSettings {
  /** The folder holding catalog.json and catalog.md. */
  readonly catalogDir: string;
  /** `owner/name`. */
  readonly repository: string;
  readonly branch: string;
  /** Folder in the branch, without leading or trailing slashes; '' for the root. */
  readonly folder: string;
  readonly token: string;
  readonly apiUrl: string;
  /** For the links in the outputs and the summary, e.g. https://github.com. */
  readonly serverUrl: string;
}

export function getPublishCatalogInputs(
  read: InputReader,
  env: NodeJS.ProcessEnv = process.env,
): PublishCatalogSettings {
  const catalogDir = catalogFolder(getRequiredInput(read, 'catalog'));
  const repository = getOptionalInput(read, 'repository') ?? env.GITHUB_REPOSITORY ?? '';
  if (!/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/.test(repository)) {
    throw new InputError('repository', repository, "Expected 'owner/name'.");
  }
  const branch = getOptionalInput(read, 'branch') ?? PUBLISH_CATALOG_DEFAULTS.branch;
  const refProblem = branchProblem(branch);
  if (refProblem) throw new InputError('branch', branch, refProblem);
  const folder = folderIn(getOptionalInput(read, 'path') ?? '');
  const token = getOptionalInput(read, 'github-token');
  if (token === undefined) {
    throw new InputError(
      'github-token',
      '',
      "Required: a token that may push to the repository (the default, github.token, with the job's permissions contents: write).",
    );
  }
  const apiUrl =
    getOptionalInput(read, 'github-api-url') ?? env.GITHUB_API_URL ?? 'https://api.github.com';
  return {
    catalogDir,
    repository,
    branch,
    folder,
    token,
    apiUrl: parseHttpsUrl('github-api-url', apiUrl),
    serverUrl: (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, ''),
  };
}

/** The catalog's folder: the input itself, or the folder of the catalog.json or .md it names. */
function catalogFolder(value: string): string {
  const expected =
    "Expected the folder holding catalog.json and catalog.md: the inventory action's output-dir, or where the 'catalog' artifact was downloaded.";
  if (!existsSync(value))
    throw new InputError('catalog', value, `No such file or folder. ${expected}`);
  if (statSync(value).isDirectory()) return value;
  if (/^catalog\.(json|md)$/.test(path.basename(value))) return path.dirname(value);
  throw new InputError('catalog', value, expected);
}

/**
 * Why `name` cannot be a branch, after git's rules for ref names (git-scm.com/docs/
 * git-check-ref-format): no `..`, `@{`, control characters, space, `~^:?*[\`; no part starting
 * with `.` or ending with `.lock`; no leading `-`, trailing `/` or `.`, or `//`.
 */
export function branchProblem(name: string): string | undefined {
  const bad =
    name === '@' ||
    name.startsWith('-') ||
    name.startsWith('/') ||
    name.endsWith('/') ||
    name.endsWith('.') ||
    name.includes('..') ||
    name.includes('//') ||
    name.includes('@{') ||
    [...name].some((ch) => ch.charCodeAt(0) <= 0x20 || ch.charCodeAt(0) === 0x7f) ||
    /[~^:?*[\\]/.test(name) ||
    name.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock'));
  return bad ? 'Expected a branch name git accepts, e.g. gallery-catalog or gh-pages.' : undefined;
}

/** A folder in the branch: relative, `/`-separated, no `.`, `..` or `.git` parts. */
function folderIn(value: string): string {
  const trimmed = value.replace(/^\.\/+/, '').replace(/\/+$/, '');
  if (trimmed === '' || trimmed === '.') return '';
  const parts = trimmed.split('/');
  if (
    trimmed.startsWith('/') ||
    trimmed.includes('\\') ||
    parts.some((p) => p === '' || p === '.' || p === '..' || p.toLowerCase() === '.git')
  ) {
    throw new InputError(
      'path',
      value,
      "Expected a folder of the branch such as 'catalog' or 'docs/images' (relative, no '..'); empty for the branch's root.",
    );
  }
  return trimmed;
}
