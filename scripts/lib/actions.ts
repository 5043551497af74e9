/**
 * Where the actions of this repository live, in one place for the bundler, the smoke runner and
 * the workflow linter. An action is a folder `src/actions/<name>/` with a `main.ts` exporting
 * `async function run(): Promise<void>`; its metadata is `actions/<name>/action.yml`, except the
 * root action (`plan`), whose metadata is the repository's own `action.yml`.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The action whose metadata is the repository's root `action.yml`. */
export const ROOT_ACTION = 'plan';

/** The folder of the shared bundle inside `dist/`; no action may take this name. */
export const COMMON_DIR = 'common';

/** The repository this script file belongs to. */
export const repositoryRoot = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
);

export interface ActionSource {
  /** The folder name under `src/actions/` and `dist/`. */
  name: string;
  /** Absolute path of `src/actions/<name>/main.ts`. */
  entry: string;
  /**
   * Absolute path of `src/actions/<name>/post.ts`, when the action has one: its `run()` becomes
   * the action's `post:` step (`dist/<name>/post.js`), which the runner runs after the job even
   * when the main step failed or was cancelled.
   */
  post?: string;
}

/** Repository-relative path of an action's metadata file. */
export function metadataPathOf(name: string): string {
  return name === ROOT_ACTION ? 'action.yml' : `actions/${name}/action.yml`;
}

/** Repository-relative path of an action's entry stub in `dist/`. */
export function distEntryOf(name: string): string {
  return `dist/${name}/index.js`;
}

/** Repository-relative path of an action's `post:` entry stub in `dist/`. */
export function distPostEntryOf(name: string): string {
  return `dist/${name}/post.js`;
}

/**
 * The action a metadata file belongs to (`action.yml` → `plan`, `actions/x/action.yml` → `x`), or
 * undefined for a path that is neither.
 */
export function actionNameOfMetadata(relativePath: string): string | undefined {
  const parts = relativePath.split(/[\\/]/);
  if (parts.length === 1 && /^action\.ya?ml$/.test(parts[0] ?? '')) return ROOT_ACTION;
  if (parts.length === 3 && parts[0] === 'actions' && /^action\.ya?ml$/.test(parts[2] ?? '')) {
    return parts[1];
  }
  return undefined;
}

/** Every action with a `src/actions/<name>/main.ts`, sorted by name. */
export async function discoverActions(root: string): Promise<ActionSource[]> {
  const actionsDir = path.join(root, 'src', 'actions');
  const names = await listDirectories(actionsDir);
  const found: ActionSource[] = [];
  for (const name of names) {
    const entry = path.join(actionsDir, name, 'main.ts');
    if (!(await isFile(entry))) continue; // a shared helper folder, not an action
    if (name === COMMON_DIR) {
      throw new Error(`src/actions/${COMMON_DIR}/main.ts: '${COMMON_DIR}' is reserved for dist/.`);
    }
    const post = path.join(actionsDir, name, 'post.ts');
    found.push({ name, entry, ...((await isFile(post)) ? { post } : {}) });
  }
  return found;
}

/** Repository-relative paths of every action metadata file: the root one and `actions/*`. */
export async function findActionMetadata(root: string): Promise<string[]> {
  const found: string[] = [];
  for (const file of ['action.yml', 'action.yaml']) {
    if (await isFile(path.join(root, file))) found.push(file);
  }
  for (const name of await listDirectories(path.join(root, 'actions'))) {
    for (const file of ['action.yml', 'action.yaml']) {
      if (await isFile(path.join(root, 'actions', name, file)))
        found.push(`actions/${name}/${file}`);
    }
  }
  return found;
}

/** Names of the sub-folders of `dir`, sorted; none when it does not exist. */
export async function listDirectories(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { withFileTypes: true });
    return entries
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

export async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
