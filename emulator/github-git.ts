/**
 * GitHub's Git database API on the stand-in, for the repositories the admin API creates, with
 * the token checks GitHub applies to a job's GITHUB_TOKEN:
 *
 * - `GET  /api/v3/repos/{owner}/{repo}/git/ref/{ref}` (`heads/<branch>`): 200, or 404.
 * - `GET|POST …/git/commits[/{sha}]`, `…/git/trees[/{sha}][?recursive=1]`, `…/git/blobs[/{sha}]`.
 * - `POST …/git/refs {ref, sha}`: 201; 422 "Reference already exists".
 * - `PATCH …/git/refs/{ref} {sha, force}`: 200; 422 "Update is not a fast forward" unless force.
 * - Every `…/git/…` route of a repository with no commit: 409 "Git Repository is empty."
 *
 * Shapes and status codes are those of GitHub's OpenAPI description as @octokit/openapi-types
 * 29 carries it (`git/get-ref`, `git/create-ref`, `git/update-ref`, `git/create-blob`,
 * `git/create-tree`, `git/create-commit`: 404, 409, 422); the messages are GitHub's as users
 * quote them (github/rest-api-description#637 and github/docs#31951 for the 409 of an empty
 * repository; grafana/github-api-commit-action#56 for the non-fast-forward 422).
 *
 * Tokens: the admin API mints installation-style tokens (`ghs_…`) for one repository with a set
 * of permissions, as GitHub mints a job's GITHUB_TOKEN from its `permissions:` (docs.github.com
 * "GITHUB_TOKEN": "The token's permissions are limited to the repository that contains your
 * workflow"). A write needs `contents: write`; without it GitHub answers 403 "Resource not
 * accessible by integration" with the header `x-accepted-github-permissions: contents=write`
 * (github.blog changelog 2023-08-10); a private repository the token cannot read is a 404; an
 * unknown token is a 401 "Bad credentials".
 *
 * Raw files: `GET /raw/{owner}/{repo}/{ref}/{path}` on the same host, the layout GitHub
 * Enterprise Server uses without subdomain isolation (docs.github.com "Enabling subdomain
 * isolation": `http(s)://HOSTNAME/raw/`), as raw.githubusercontent.com serves them on github.com.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  flatten,
  type GitObject,
  isAncestor,
  type Person,
  shaOf,
  type TreeMode,
  writeTrees,
} from './git-objects.js';
import { GITHUB_API_PREFIX } from './github.js';
import type { Req, Res } from './http.js';

type Level = 'none' | 'read' | 'write';

interface StoredRepository {
  id: number;
  private: boolean;
  defaultBranch: string;
  /** `refs/heads/<branch>` → commit SHA. */
  refs: Record<string, string>;
  objects: Record<string, GitObject>;
}

interface StoredToken {
  repository: string;
  permissions: Record<string, Level>;
}

interface World {
  repositories: Record<string, StoredRepository>;
  tokens: Record<string, StoredToken>;
}

/** Who commits when a request names no author: a job's GITHUB_TOKEN commits as this bot. */
const BOT = {
  name: 'github-actions[bot]',
  email: '41898282+github-actions[bot]@users.noreply.github.com',
};
const MODES: readonly TreeMode[] = ['100644', '100755', '040000', '160000', '120000'];
const DOCS = 'https://docs.github.com/rest/git';
const SHA = /^[0-9a-f]{40}$/;

export class GitRepositories {
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'github-git.json');
  }

  /** Routes under `/api/v3/repos/{owner}/{repo}/git/` and `/raw/`; undefined for others. */
  handle(req: Req): Res | undefined {
    if (req.method === 'GET' && req.path.startsWith('/raw/')) return this.raw(req);
    if (!req.path.toLowerCase().startsWith(GITHUB_API_PREFIX)) return undefined;
    const m = /^\/repos\/([^/]+)\/([^/]+)\/git\/(.+)$/i.exec(
      req.path.slice(GITHUB_API_PREFIX.length),
    );
    if (!m) return undefined;
    const world = this.load();
    const name = Object.keys(world.repositories).find(
      (n) => n.toLowerCase() === `${m[1]}/${m[2]}`.toLowerCase(),
    );
    const write = req.method !== 'GET';
    if (!name) return fail(404, 'Not Found', 'git');
    const repo = world.repositories[name]!;
    const refused = access(world, req, name, repo, write);
    if (refused) return refused;
    if (Object.keys(repo.objects).length === 0) return fail(409, 'Git Repository is empty.', 'git');
    let body: Record<string, unknown> = {};
    if (write) {
      try {
        body = (req.rawBody.trim() ? JSON.parse(req.rawBody) : {}) as Record<string, unknown>;
      } catch {
        return fail(400, 'Problems parsing JSON', 'git');
      }
    }
    const api = `${req.origin}${GITHUB_API_PREFIX}/repos/${name}/git`;
    // Clients encode the slashes of a ref (`heads%2Fmain`, as octokit's URL templates do).
    const out = route(`${req.method} ${decodeURIComponent(m[3]!)}`, {
      repo,
      name,
      api,
      body,
      recursive: req.query.get('recursive'),
      author: BOT,
    });
    if (out.status < 300 && write) this.save(world);
    return out;
  }

  /**
   * Admin routes under `/_emulator/github/`: `POST repositories`, `POST tokens`, `GET branch`
   * (emulator/README.md shows each); undefined for any other path.
   */
  admin(req: Req): Res | undefined {
    const path = req.path.toLowerCase();
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (path === '/_emulator/github/repositories' && req.method === 'POST') {
      return this.createRepository(body);
    }
    if (path === '/_emulator/github/tokens' && req.method === 'POST') return this.mintToken(body);
    if (path === '/_emulator/github/branch' && req.method === 'GET') {
      return this.readBranch(req.query.get('repository') ?? '', req.query.get('branch') ?? '');
    }
    return undefined;
  }

  reset(): void {
    this.save({ repositories: {}, tokens: {} });
  }

  private createRepository(body: Record<string, unknown>): Res {
    const { repository, files } = body;
    if (typeof repository !== 'string' || !/^[\w.-]+\/[\w.-]+$/.test(repository)) {
      return bad("a repository needs 'repository': 'owner/name'");
    }
    if (
      files !== undefined &&
      (typeof files !== 'object' ||
        files === null ||
        Object.values(files).some((v) => typeof v !== 'string'))
    ) {
      return bad("'files' must map paths to their text");
    }
    const world = this.load();
    const known = world.repositories[repository];
    if (known && body.replace !== true) {
      // A stand-in reused on its data dir (the demo's --yank run) keeps what was written.
      return {
        status: 200,
        body: { repository, id: known.id, defaultBranch: known.defaultBranch, existing: true },
      };
    }
    const branch = typeof body.defaultBranch === 'string' ? body.defaultBranch : 'main';
    const repo: StoredRepository = {
      id: 90_000_000 + Object.keys(world.repositories).length,
      private: body.private === true,
      defaultBranch: branch,
      refs: {},
      objects: {},
    };
    let commit: string | undefined;
    if (body.empty !== true) {
      const given = (files as Record<string, string> | undefined) ?? {
        'README.md': `# ${repository.split('/')[1]}\n`,
      };
      const flat = new Map(
        Object.entries(given).map(([path, text]) => [
          path,
          { mode: '100644' as const, type: 'blob' as const, sha: putBlob(repo, Buffer.from(text)) },
        ]),
      );
      const tree = writeTrees(repo.objects, flat);
      commit = putCommit(repo, tree, [], 'Initial commit', BOT);
      repo.refs[`refs/heads/${branch}`] = commit;
    }
    world.repositories[repository] = repo;
    this.save(world);
    return { status: 201, body: { repository, id: repo.id, defaultBranch: branch, commit } };
  }

  private mintToken(body: Record<string, unknown>): Res {
    const { repository, permissions } = body;
    if (typeof repository !== 'string' || !/^[\w.-]+\/[\w.-]+$/.test(repository)) {
      return bad("a token needs 'repository': 'owner/name'");
    }
    const given = (permissions ?? {}) as Record<string, unknown>;
    if (Object.values(given).some((l) => l !== 'none' && l !== 'read' && l !== 'write')) {
      return bad("'permissions' maps scopes to none, read or write");
    }
    const world = this.load();
    const token = `ghs_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'x').slice(0, 36)}`;
    world.tokens[token] = { repository, permissions: given as Record<string, Level> };
    this.save(world);
    return { status: 201, body: { token, repository, permissions: given } };
  }

  private readBranch(repository: string, branch: string): Res {
    const repo = this.load().repositories[repository];
    const head = repo?.refs[`refs/heads/${branch}`];
    if (!repo || !head)
      return {
        status: 404,
        body: { error: { code: 'NotFound', message: `${repository} has no branch '${branch}'` } },
      };
    const commit = repo.objects[head] as Extract<GitObject, { type: 'commit' }>;
    const history: string[] = [];
    for (let sha: string | undefined = head; sha;) {
      history.push(sha);
      sha = (repo.objects[sha] as Extract<GitObject, { type: 'commit' }>).parents[0];
    }
    const files = Object.fromEntries(
      [...flatten(repo.objects, commit.tree)].map(([path, e]) => [
        path,
        Buffer.from((repo.objects[e.sha] as { content: string }).content, 'base64').toString(
          'utf8',
        ),
      ]),
    );
    return {
      status: 200,
      body: {
        commit: {
          sha: head,
          parents: commit.parents,
          message: commit.message,
          author: commit.author,
        },
        history,
        files,
      },
    };
  }

  private raw(req: Req): Res {
    const notFound: Res = {
      status: 404,
      headers: { 'content-type': 'text/plain' },
      body: '404: Not Found',
    };
    const parts = req.path.split('/').slice(2).map(decodeURIComponent);
    const world = this.load();
    const name = Object.keys(world.repositories).find(
      (n) => n.toLowerCase() === `${parts[0]}/${parts[1]}`.toLowerCase(),
    );
    const repo = name ? world.repositories[name] : undefined;
    if (!repo || access(world, req, name!, repo, false)) return notFound;
    // A ref may hold slashes: the first prefix that names a branch, a tag or a commit wins.
    for (let i = 3; i < parts.length; i++) {
      const ref = parts.slice(2, i).join('/');
      const commit =
        repo.refs[`refs/heads/${ref}`] ??
        repo.refs[`refs/tags/${ref}`] ??
        (repo.objects[ref]?.type === 'commit' ? ref : undefined);
      if (!commit) continue;
      const tree = (repo.objects[commit] as Extract<GitObject, { type: 'commit' }>).tree;
      const entry = flatten(repo.objects, tree).get(parts.slice(i).join('/'));
      const blob = entry && repo.objects[entry.sha];
      if (blob?.type !== 'blob') return notFound;
      return {
        status: 200,
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        body: Buffer.from(blob.content, 'base64').toString('utf8'),
      };
    }
    return notFound;
  }

  private load(): World {
    if (!existsSync(this.file)) return { repositories: {}, tokens: {} };
    return JSON.parse(readFileSync(this.file, 'utf8')) as World;
  }

  private save(world: World): void {
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(world));
    renameSync(temp, this.file);
  }
}

/**
 * What GitHub answers a token that may not do this, or undefined when it may: reads of a public
 * repository need no token; anything else needs the token's repository and its `contents` level.
 */
function access(
  world: World,
  req: Req,
  name: string,
  repo: StoredRepository,
  write: boolean,
): Res | undefined {
  const header = String(req.headers.authorization ?? '');
  const token = /^(?:token|bearer)\s+(\S+)$/i.exec(header)?.[1];
  if (!token) {
    if (write) return fail(401, 'Requires authentication', '');
    return repo.private ? fail(404, 'Not Found', 'git') : undefined;
  }
  const known = world.tokens[token];
  if (!known) return fail(401, 'Bad credentials', '');
  const level: Level =
    known.repository.toLowerCase() === name.toLowerCase()
      ? (known.permissions.contents ?? 'none')
      : 'none';
  if (level === 'none' && repo.private) return fail(404, 'Not Found', 'git');
  if (!write || level === 'write') return undefined;
  const refused = fail(403, 'Resource not accessible by integration', 'git');
  return {
    ...refused,
    headers: { ...refused.headers, 'x-accepted-github-permissions': 'contents=write' },
  };
}

interface Context {
  repo: StoredRepository;
  name: string;
  api: string;
  body: Record<string, unknown>;
  recursive: string | null;
  author: Omit<Person, 'date'>;
}

function route(key: string, c: Context): Res {
  let m: RegExpExecArray | null;
  if ((m = /^GET ref\/(.+)$/.exec(key))) {
    const sha = c.repo.refs[`refs/${m[1]}`];
    return sha
      ? ok(200, renderRef(c, `refs/${m[1]}`, sha))
      : fail(404, 'Not Found', 'refs#get-a-reference');
  }
  if (key === 'POST refs') return createRef(c);
  if ((m = /^PATCH refs\/(.+)$/.exec(key))) return updateRef(c, `refs/${m[1]}`);
  if ((m = /^GET commits\/([0-9a-f]{40})$/.exec(key))) {
    return c.repo.objects[m[1]!]?.type === 'commit'
      ? ok(200, renderCommit(c, m[1]!))
      : fail(404, 'Not Found', 'commits#get-a-commit-object');
  }
  if (key === 'POST commits') return createCommit(c);
  if ((m = /^GET trees\/([0-9a-f]{40})$/.exec(key))) {
    return c.repo.objects[m[1]!]?.type === 'tree'
      ? ok(200, renderTree(c, m[1]!, c.recursive !== null && c.recursive !== '0'))
      : fail(404, 'Not Found', 'trees#get-a-tree');
  }
  if (key === 'POST trees') return createTree(c);
  if ((m = /^GET blobs\/([0-9a-f]{40})$/.exec(key))) {
    const blob = c.repo.objects[m[1]!];
    if (blob?.type !== 'blob') return fail(404, 'Not Found', 'blobs#get-a-blob');
    const bytes = Buffer.from(blob.content, 'base64');
    // GitHub wraps the base64 text in lines of 60 characters.
    const content = (bytes.toString('base64').match(/.{1,60}/g) ?? []).join('\n');
    return ok(200, {
      sha: m[1],
      size: bytes.length,
      url: `${c.api}/blobs/${m[1]}`,
      content,
      encoding: 'base64',
    });
  }
  if (key === 'POST blobs') {
    const { content, encoding = 'utf-8' } = c.body;
    if (typeof content !== 'string')
      return fail(422, 'Invalid request: content is required', 'blobs#create-a-blob');
    if (encoding !== 'utf-8' && encoding !== 'base64') {
      return fail(422, 'encoding must be utf-8 or base64', 'blobs#create-a-blob');
    }
    const sha = putBlob(c.repo, Buffer.from(content, encoding === 'base64' ? 'base64' : 'utf8'));
    return ok(201, { sha, url: `${c.api}/blobs/${sha}` });
  }
  return fail(404, 'Not Found', 'git');
}

function createRef(c: Context): Res {
  const { ref, sha } = c.body;
  if (typeof ref !== 'string' || !/^refs\/[^/]+\/.+/.test(ref)) {
    return fail(
      422,
      "ref must start with 'refs/' and have at least two slashes",
      'refs#create-a-reference',
    );
  }
  if (typeof sha !== 'string' || c.repo.objects[sha]?.type !== 'commit') {
    return fail(422, 'Object does not exist', 'refs#create-a-reference');
  }
  if (c.repo.refs[ref]) return fail(422, 'Reference already exists', 'refs#create-a-reference');
  c.repo.refs[ref] = sha;
  return ok(201, renderRef(c, ref, sha));
}

function updateRef(c: Context, ref: string): Res {
  const { sha, force } = c.body;
  const current = c.repo.refs[ref];
  if (!current) return fail(422, 'Reference does not exist', 'refs#update-a-reference');
  if (typeof sha !== 'string' || c.repo.objects[sha]?.type !== 'commit') {
    return fail(422, 'Object does not exist', 'refs#update-a-reference');
  }
  if (force !== true && !isAncestor(c.repo.objects, current, sha)) {
    return fail(422, 'Update is not a fast forward', 'refs#update-a-reference');
  }
  c.repo.refs[ref] = sha;
  return ok(200, renderRef(c, ref, sha));
}

function createTree(c: Context): Res {
  const where = 'trees#create-a-tree';
  const { tree, base_tree: base } = c.body;
  if (!Array.isArray(tree)) return fail(422, 'Invalid request: tree is required', where);
  if (base !== undefined && (typeof base !== 'string' || c.repo.objects[base]?.type !== 'tree')) {
    return fail(422, 'base_tree is not a valid tree', where);
  }
  const files = base ? flatten(c.repo.objects, base) : new Map();
  for (const [i, raw] of (tree as Record<string, unknown>[]).entries()) {
    const { path, mode, type, sha, content } = raw ?? {};
    const segments = typeof path === 'string' ? path.split('/') : [];
    if (
      segments.length === 0 ||
      segments.some((s) => s === '' || s === '.' || s === '..' || s === '.git')
    ) {
      return fail(422, `tree[${i}].path contains a malformed path component`, where);
    }
    if (!MODES.includes(mode as TreeMode))
      return fail(422, `tree[${i}].mode is not a valid mode`, where);
    if (type !== 'blob' && type !== 'tree' && type !== 'commit') {
      return fail(422, `tree[${i}].type must be blob, tree or commit`, where);
    }
    if (sha !== undefined && content !== undefined) {
      return fail(422, `tree[${i}]: use either sha or content, not both`, where);
    }
    const p = path as string;
    const under = [...files.keys()].filter((k) => k === p || k.startsWith(`${p}/`));
    if (sha === null) {
      if (under.length === 0) return fail(422, `tree[${i}]: ${p} does not exist`, where);
      for (const k of under) files.delete(k);
      continue;
    }
    let blobSha: string;
    if (typeof content === 'string') {
      blobSha = putBlob(c.repo, Buffer.from(content));
    } else if (typeof sha === 'string' && SHA.test(sha) && c.repo.objects[sha]?.type === type) {
      blobSha = sha;
    } else {
      return fail(422, `tree[${i}].sha is not a valid ${String(type)}`, where);
    }
    for (const k of under) files.delete(k);
    if (type === 'tree') {
      for (const [inner, e] of flatten(c.repo.objects, blobSha, `${p}/`)) files.set(inner, e);
    } else {
      files.set(p, { mode: mode as TreeMode, type, sha: blobSha });
    }
  }
  const sha = writeTrees(c.repo.objects, files);
  return ok(201, renderTree(c, sha, false));
}

function createCommit(c: Context): Res {
  const where = 'commits#create-a-commit';
  const { message, tree, parents = [], author, committer } = c.body;
  if (typeof message !== 'string') return fail(422, 'Invalid request: message is required', where);
  if (typeof tree !== 'string' || c.repo.objects[tree]?.type !== 'tree') {
    return fail(422, 'Tree SHA does not exist', where);
  }
  if (
    !Array.isArray(parents) ||
    parents.some((p) => typeof p !== 'string' || c.repo.objects[p]?.type !== 'commit')
  ) {
    return fail(422, 'Parent SHA does not exist or is not a commit object', where);
  }
  const who = (p: unknown): Omit<Person, 'date'> & { date?: string } => {
    const given = (p ?? {}) as Record<string, unknown>;
    return typeof given.name === 'string' && typeof given.email === 'string'
      ? {
          name: given.name,
          email: given.email,
          ...(typeof given.date === 'string' ? { date: given.date } : {}),
        }
      : c.author;
  };
  const sha = putCommit(
    c.repo,
    tree,
    parents as string[],
    message,
    who(author),
    who(committer ?? author),
  );
  return ok(201, renderCommit(c, sha));
}

function putBlob(repo: StoredRepository, bytes: Buffer): string {
  const blob: GitObject = { type: 'blob', content: bytes.toString('base64') };
  const sha = shaOf(blob);
  repo.objects[sha] = blob;
  return sha;
}

function putCommit(
  repo: StoredRepository,
  tree: string,
  parents: string[],
  message: string,
  author: Omit<Person, 'date'> & { date?: string },
  committer = author,
): string {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const commit: GitObject = {
    type: 'commit',
    tree,
    parents,
    message,
    author: { date: now, ...author },
    committer: { date: now, ...committer },
  };
  const sha = shaOf(commit);
  repo.objects[sha] = commit;
  return sha;
}

function renderRef(c: Context, ref: string, sha: string): Record<string, unknown> {
  return {
    ref,
    node_id: `REF_${Buffer.from(`${c.name}:${ref}`).toString('base64url')}`,
    url: `${c.api}/${ref}`,
    object: { type: 'commit', sha, url: `${c.api}/commits/${sha}` },
  };
}

function renderCommit(c: Context, sha: string): Record<string, unknown> {
  const commit = c.repo.objects[sha] as Extract<GitObject, { type: 'commit' }>;
  return {
    sha,
    node_id: `C_${sha.slice(0, 20)}`,
    url: `${c.api}/commits/${sha}`,
    html_url: `https://github.com/${c.name}/commit/${sha}`,
    author: commit.author,
    committer: commit.committer,
    tree: { sha: commit.tree, url: `${c.api}/trees/${commit.tree}` },
    message: commit.message,
    parents: commit.parents.map((p) => ({
      sha: p,
      url: `${c.api}/commits/${p}`,
      html_url: `https://github.com/${c.name}/commit/${p}`,
    })),
    verification: {
      verified: false,
      reason: 'unsigned',
      signature: null,
      payload: null,
      verified_at: null,
    },
  };
}

function renderTree(c: Context, sha: string, recursive: boolean): Record<string, unknown> {
  const list = (treeSha: string, prefix: string): Record<string, unknown>[] => {
    const tree = c.repo.objects[treeSha] as Extract<GitObject, { type: 'tree' }>;
    return tree.entries.flatMap((e) => {
      const object = c.repo.objects[e.sha];
      const item = {
        path: `${prefix}${e.name}`,
        mode: e.mode,
        type: e.type,
        sha: e.sha,
        ...(object?.type === 'blob' ? { size: Buffer.from(object.content, 'base64').length } : {}),
        url: `${c.api}/${e.type === 'tree' ? 'trees' : 'blobs'}/${e.sha}`,
      };
      return recursive && e.type === 'tree'
        ? [item, ...list(e.sha, `${prefix}${e.name}/`)]
        : [item];
    });
  };
  return { sha, url: `${c.api}/trees/${sha}`, tree: list(sha, ''), truncated: false };
}

function ok(status: number, body: unknown): Res {
  return { status, headers: githubHeaders(), body };
}

function fail(status: number, message: string, doc: string): Res {
  return {
    status,
    headers: githubHeaders(),
    body: {
      message,
      documentation_url: doc ? `${DOCS}/${doc}` : 'https://docs.github.com/rest',
      status: String(status),
    },
  };
}

function bad(message: string): Res {
  return { status: 400, body: { error: { code: 'BadRequest', message } } };
}

function githubHeaders(): Record<string, string> {
  return {
    'x-github-api-version-selected': '2022-11-28',
    'x-github-media-type': 'github.v3; format=json',
  };
}
