/**
 * The stand-in's Git database API (emulator/github-git.ts): git's own object names, GitHub's
 * status codes for a missing ref, a ref that exists, a non-fast-forward update and an empty
 * repository, and the token checks of a job's GITHUB_TOKEN.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestEmulator, type TestEmulator } from '../helpers/emulator.js';

let emu: TestEmulator;
let writer: string;
let reader: string;
let stranger: string;
const REPO = 'example/site';

async function call(
  method: string,
  route: string,
  token: string | undefined,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(`${emu.githubApiUrl}/repos/${REPO}/git/${route}`, {
    method,
    headers: {
      accept: 'application/vnd.github+json',
      ...(token ? { authorization: `token ${token}` } : {}),
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown>,
    headers: res.headers,
  };
}

const mint = async (repository: string, contents: string): Promise<string> =>
  (
    await emu.admin<{ token: string }>('POST', '/github/tokens', {
      repository,
      permissions: { contents },
    })
  ).token;

beforeAll(async () => {
  emu = await startTestEmulator();
  await emu.admin('POST', '/github/repositories', { repository: REPO });
  writer = await mint(REPO, 'write');
  reader = await mint(REPO, 'read');
  stranger = await mint('example/other', 'write');
});
afterAll(async () => {
  await emu.dispose();
});

describe('Git objects on the stand-in', () => {
  it('names blobs and trees as git does', async () => {
    const blob = await call('POST', 'blobs', writer, { content: 'hello\n' });
    expect(blob.status).toBe(201);
    // `printf 'hello\n' | git hash-object --stdin`
    expect(blob.body.sha).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
    const empty = await call('POST', 'trees', writer, { tree: [] });
    expect(empty.body.sha).toBe('4b825dc642cb6eb9a060e54bf8d69288fbee4904');

    const files = { 'a.md': 'A\n', 'b/c.json': '{}\n', 'b-c.txt': 'x\n', 'b/d/e.txt': 'deep\n' };
    const tree = await call('POST', 'trees', writer, {
      tree: Object.entries(files).map(([p, content]) => ({
        path: p,
        mode: '100644',
        type: 'blob',
        content,
      })),
    });
    expect(tree.status).toBe(201);
    const dir = mkdtempSync(path.join(tmpdir(), 'git-tree-'));
    try {
      const git = (...args: string[]): string =>
        execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8' }).trim();
      git('init', '-q');
      for (const [p, content] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
        writeFileSync(path.join(dir, p), content);
      }
      git('add', '.');
      expect(tree.body.sha).toBe(git('write-tree'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('creates a branch once, moves it only forward unless forced, and lists it back', async () => {
    const missing = await call('GET', 'ref/heads/catalog', writer);
    expect(missing.status).toBe(404);
    expect(missing.body.message).toBe('Not Found');

    const tree = await call('POST', 'trees', writer, {
      tree: [{ path: 'catalog.md', mode: '100644', type: 'blob', content: 'one\n' }],
    });
    const first = await call('POST', 'commits', writer, {
      message: 'one',
      tree: tree.body.sha,
      parents: [],
    });
    expect(first.status).toBe(201);
    expect(first.body.parents).toEqual([]);
    expect(first.body.author).toMatchObject({ name: 'github-actions[bot]' });
    const created = await call('POST', 'refs', writer, {
      ref: 'refs/heads/catalog',
      sha: first.body.sha,
    });
    expect(created.status).toBe(201);
    const again = await call('POST', 'refs', writer, {
      ref: 'refs/heads/catalog',
      sha: first.body.sha,
    });
    expect(again.status).toBe(422);
    expect(again.body.message).toBe('Reference already exists');

    const next = await call('POST', 'trees', writer, {
      base_tree: tree.body.sha,
      tree: [{ path: 'catalog.json', mode: '100644', type: 'blob', content: '{}\n' }],
    });
    const second = await call('POST', 'commits', writer, {
      message: 'two',
      tree: next.body.sha,
      parents: [first.body.sha],
    });
    expect(
      (await call('PATCH', 'refs/heads/catalog', writer, { sha: second.body.sha })).status,
    ).toBe(200);
    // Back to the first commit: not a fast forward.
    const back = await call('PATCH', 'refs/heads/catalog', writer, { sha: first.body.sha });
    expect(back.status).toBe(422);
    expect(back.body.message).toBe('Update is not a fast forward');
    const forced = await call('PATCH', 'refs/heads/catalog', writer, {
      sha: first.body.sha,
      force: true,
    });
    expect(forced.status).toBe(200);
    await call('PATCH', 'refs/heads/catalog', writer, { sha: second.body.sha, force: true });

    // Octokit sends the ref's slash encoded, as its URL templates do.
    const head = await call('GET', 'ref/heads%2Fcatalog', reader);
    expect(head.body.object).toMatchObject({ type: 'commit', sha: second.body.sha });
    const listed = await call('GET', `trees/${next.body.sha as string}?recursive=1`, reader);
    expect((listed.body.tree as { path: string }[]).map((e) => e.path).sort()).toEqual([
      'catalog.json',
      'catalog.md',
    ]);
    const branch = await emu.admin<{ files: Record<string, string>; history: string[] }>(
      'GET',
      `/github/branch?repository=${REPO}&branch=catalog`,
    );
    expect(branch.files).toEqual({ 'catalog.md': 'one\n', 'catalog.json': '{}\n' });
    expect(branch.history).toEqual([second.body.sha, first.body.sha]);
  });

  it('keeps an existing repository when it is created again, unless told to replace it', async () => {
    const before = await call('GET', 'ref/heads/catalog', reader);
    const again = await emu.admin<{ existing?: boolean }>('POST', '/github/repositories', {
      repository: REPO,
    });
    expect(again.existing).toBe(true);
    expect((await call('GET', 'ref/heads/catalog', reader)).body).toEqual(before.body);
  });

  it('refuses a commit on a tree or parent it does not have', async () => {
    const noTree = await call('POST', 'commits', writer, { message: 'x', tree: 'f'.repeat(40) });
    expect(noTree.status).toBe(422);
    expect(noTree.body.message).toBe('Tree SHA does not exist');
  });

  it('answers 409 for every Git route of an empty repository', async () => {
    await emu.admin('POST', '/github/repositories', { repository: 'example/empty', empty: true });
    const token = await mint('example/empty', 'write');
    const res = await fetch(`${emu.githubApiUrl}/repos/example/empty/git/blobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ content: 'x' }),
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { message: string }).message).toBe('Git Repository is empty.');
  });
});

describe("the stand-in's token checks", () => {
  it('refuses a write with a read-only token as GitHub does, naming the permission', async () => {
    const res = await call('POST', 'blobs', reader, { content: 'x' });
    expect(res.status).toBe(403);
    expect(res.body.message).toBe('Resource not accessible by integration');
    expect(res.headers.get('x-accepted-github-permissions')).toBe('contents=write');
  });

  it('refuses a write without a token, with an unknown token, and from another repository', async () => {
    expect((await call('POST', 'blobs', undefined, { content: 'x' })).status).toBe(401);
    const unknown = await call('POST', 'blobs', 'ghs_notatoken', { content: 'x' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.message).toBe('Bad credentials');
    expect((await call('POST', 'blobs', stranger, { content: 'x' })).status).toBe(403);
    // Reading a public repository needs no rights on it.
    expect((await call('GET', 'ref/heads/main', stranger)).status).toBe(200);
  });

  it('hides a private repository from a token that cannot read it', async () => {
    await emu.admin('POST', '/github/repositories', {
      repository: 'example/private',
      private: true,
    });
    const res = await fetch(`${emu.githubApiUrl}/repos/example/private/git/ref/heads/main`, {
      headers: { authorization: `token ${stranger}` },
    });
    expect(res.status).toBe(404);
    const own = await mint('example/private', 'read');
    const allowed = await fetch(`${emu.githubApiUrl}/repos/example/private/git/ref/heads/main`, {
      headers: { authorization: `token ${own}` },
    });
    expect(allowed.status).toBe(200);
  });
});

describe('raw files', () => {
  it('serves a file of a branch at /raw/{owner}/{repo}/{ref}/{path}', async () => {
    await emu.admin('POST', '/github/repositories', {
      repository: 'kubernetes/website',
      files: { 'data/releases/eol.yaml': 'branches: []\n' },
    });
    const res = await fetch(`${emu.githubRawUrl}/kubernetes/website/main/data/releases/eol.yaml`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('branches: []\n');
    const missing = await fetch(
      `${emu.githubRawUrl}/kubernetes/website/main/data/releases/nope.yaml`,
    );
    expect(missing.status).toBe(404);
    const privateFile = await fetch(`${emu.githubRawUrl}/example/private/main/README.md`);
    expect(privateFile.status).toBe(404);
  });
});
