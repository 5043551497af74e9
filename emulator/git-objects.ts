/**
 * Git's object model as the stand-in's repositories keep it: blobs, trees and commits named by
 * the SHA-1 of `<type> <size>\0<body>`, exactly as git names them (git's own documentation,
 * "Git Internals - Git Objects", and `git hash-object`), so a SHA the stand-in answers is the SHA
 * GitHub would answer for the same content, and equal trees have equal SHAs.
 */
import { createHash } from 'node:crypto';

export type TreeMode = '100644' | '100755' | '040000' | '160000' | '120000';
export type EntryType = 'blob' | 'tree' | 'commit';

export interface TreeEntry {
  name: string;
  mode: TreeMode;
  type: EntryType;
  sha: string;
}

export interface Person {
  name: string;
  email: string;
  /** ISO time, as the REST API shows it. */
  date: string;
}

export type GitObject =
  | { type: 'blob'; /** base64 */ content: string }
  | { type: 'tree'; entries: TreeEntry[] }
  | {
      type: 'commit';
      tree: string;
      parents: string[];
      message: string;
      author: Person;
      committer: Person;
    };

/** The SHA-1 git gives an object of `type` with this body. */
export function objectSha(type: GitObject['type'], body: Buffer): string {
  return createHash('sha1')
    .update(Buffer.concat([Buffer.from(`${type} ${body.length}\0`), body]))
    .digest('hex');
}

/** The body git hashes for `object`. */
export function objectBody(object: GitObject): Buffer {
  if (object.type === 'blob') return Buffer.from(object.content, 'base64');
  if (object.type === 'tree') {
    // Entries in git's order: by name, a tree's name compared as if it ended in '/'. A tree's
    // mode is written without its leading zero (`40000`), though the REST API shows `040000`.
    const key = (e: TreeEntry): string => (e.type === 'tree' ? `${e.name}/` : e.name);
    const sorted = [...object.entries].sort((a, b) =>
      Buffer.compare(Buffer.from(key(a)), Buffer.from(key(b))),
    );
    return Buffer.concat(
      sorted.flatMap((e) => [
        Buffer.from(`${e.mode.replace(/^0+/, '')} ${e.name}\0`),
        Buffer.from(e.sha, 'hex'),
      ]),
    );
  }
  const stamp = (p: Person): string =>
    `${p.name} <${p.email}> ${Math.floor(Date.parse(p.date) / 1000)} +0000`;
  return Buffer.from(
    [
      `tree ${object.tree}`,
      ...object.parents.map((p) => `parent ${p}`),
      `author ${stamp(object.author)}`,
      `committer ${stamp(object.committer)}`,
      '',
      object.message,
    ].join('\n'),
  );
}

export function shaOf(object: GitObject): string {
  return objectSha(object.type, objectBody(object));
}

/** A file of a flattened tree: path → its entry (blobs and submodules; trees are implied). */
export type FlatTree = Map<string, Omit<TreeEntry, 'name'>>;

/** Every non-tree entry under `treeSha`, by full path. */
export function flatten(
  objects: Record<string, GitObject>,
  treeSha: string,
  prefix = '',
): FlatTree {
  const out: FlatTree = new Map();
  const tree = objects[treeSha];
  if (tree?.type !== 'tree') return out;
  for (const e of tree.entries) {
    const path = `${prefix}${e.name}`;
    if (e.type === 'tree') {
      for (const [p, inner] of flatten(objects, e.sha, `${path}/`)) out.set(p, inner);
    } else {
      out.set(path, { mode: e.mode, type: e.type, sha: e.sha });
    }
  }
  return out;
}

/**
 * Writes the trees of `files` into `objects`, innermost first, as git does; a folder left with
 * nothing in it disappears. @returns the root tree's SHA.
 */
export function writeTrees(objects: Record<string, GitObject>, files: FlatTree): string {
  const root: Folder = new Map();
  for (const [path, entry] of files) {
    const parts = path.split('/');
    let folder = root;
    for (const part of parts.slice(0, -1)) {
      let next = folder.get(part);
      if (!(next instanceof Map)) {
        next = new Map();
        folder.set(part, next);
      }
      folder = next;
    }
    folder.set(parts.at(-1)!, entry);
  }
  return writeFolder(objects, root);
}

type Folder = Map<string, Folder | Omit<TreeEntry, 'name'>>;

function writeFolder(objects: Record<string, GitObject>, folder: Folder): string {
  const entries: TreeEntry[] = [...folder].map(([name, value]) =>
    value instanceof Map
      ? { name, mode: '040000', type: 'tree', sha: writeFolder(objects, value) }
      : { name, ...value },
  );
  const tree: GitObject = { type: 'tree', entries };
  const sha = shaOf(tree);
  objects[sha] = tree;
  return sha;
}

/** Whether `ancestor` is `descendant` or one of its ancestors (a fast-forward is possible). */
export function isAncestor(
  objects: Record<string, GitObject>,
  ancestor: string,
  descendant: string,
): boolean {
  const seen = new Set<string>();
  const queue = [descendant];
  while (queue.length > 0) {
    const sha = queue.pop()!;
    if (sha === ancestor) return true;
    if (seen.has(sha)) continue;
    seen.add(sha);
    const commit = objects[sha];
    if (commit?.type === 'commit') queue.push(...commit.parents);
  }
  return false;
}
