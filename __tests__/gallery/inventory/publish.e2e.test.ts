/**
 * Publishing the catalog to a branch, through octokit (src/runner/github.ts) against the
 * stand-in's Git database API: the first publish creates the branch, the same catalog again
 * commits nothing, a new catalog is one commit on top, a branch moved meanwhile is read again,
 * and a token that may not push gets an error that says which permission it lacks.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigurationError } from '../../../src/common/errors.js';
import { RecordingLogger } from '../../../src/common/logger.js';
import type { GitDatabase } from '../../../src/github/git-database.js';
import { catalogMarkdown } from '../../../src/gallery/inventory/markdown.js';
import { publishCatalog } from '../../../src/gallery/inventory/publish.js';
import type { Catalog } from '../../../src/gallery/inventory/schema.js';
import { gitDatabase } from '../../../src/runner/github.js';
import { startTestEmulator, type TestEmulator } from '../../helpers/emulator.js';

const REPO = 'example/capz-images';
const dirs: string[] = [];
let emu: TestEmulator;
let writer: string;

interface Branch {
  commit: { sha: string; parents: string[]; message: string };
  history: string[];
  files: Record<string, string>;
}

const branch = (name: string, repository = REPO): Promise<Branch> =>
  emu.admin<Branch>('GET', `/github/branch?repository=${repository}&branch=${name}`);

const mint = async (repository: string, contents: string): Promise<string> =>
  (
    await emu.admin<{ token: string }>('POST', '/github/tokens', {
      repository,
      permissions: { contents, metadata: 'read' },
    })
  ).token;

/** A catalog of `versions` current versions, written as the inventory action writes it. */
function catalogDir(versions: number, generatedAt = '2026-12-01T06:00:00.000Z'): string {
  const catalog: Catalog = {
    $schema: 'https://example.invalid/inventory-schema.md#v1',
    schemaVersion: 1,
    generatedAt,
    gallery: {
      kind: 'private',
      id: '/subscriptions/0/resourceGroups/rg-capi-community/providers/Microsoft.Compute/galleries/ClusterAPI',
      subscriptionId: '0',
      resourceGroup: 'rg-capi-community',
      name: 'ClusterAPI',
      location: 'westus2',
      publicNames: [],
    },
    filters: { definitions: [], minors: [], states: [] },
    counts: {
      current: versions,
      'end-of-life': 0,
      yanked: 0,
      'in-progress': 0,
      failed: 0,
      versions,
      definitions: 1,
    },
    latest: [],
    definitions: [],
  };
  const dir = mkdtempSync(path.join(tmpdir(), 'catalog-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'catalog.json'), JSON.stringify(catalog, null, 2) + '\n');
  writeFileSync(path.join(dir, 'catalog.md'), catalogMarkdown(catalog));
  return dir;
}

const noSleep = async (): Promise<void> => undefined;

interface Served {
  seq: number;
  method: string;
  path: string;
  status: number;
}
const lastRequest = async (): Promise<number> =>
  (await emu.admin<Served[]>('GET', '/requests')).at(-1)?.seq ?? 0;
/** The Git database calls served since `seq`: `METHOD route[ status]` (status unless 2xx). */
const gitCallsSince = async (seq: number): Promise<string[]> =>
  (await emu.admin<Served[]>('GET', `/requests?since=${seq}`))
    .filter((r) => r.path.includes('/git/'))
    .map(
      (r) =>
        `${r.method} ${r.path.replace(/^.*\/git\//, '')}${r.status >= 300 ? ` ${r.status}` : ''}`,
    );

beforeAll(async () => {
  emu = await startTestEmulator();
  await emu.admin('POST', '/github/repositories', { repository: REPO });
  writer = await mint(REPO, 'write');
});
afterAll(async () => {
  await emu.dispose();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('publishCatalog to a branch', () => {
  const git = (): GitDatabase => gitDatabase(writer, REPO, emu.githubApiUrl);

  it('creates the branch with one orphan commit holding the catalog, then commits nothing for the same catalog', async () => {
    const dir = catalogDir(1);
    const logger = new RecordingLogger();
    let mark = await lastRequest();
    const first = await publishCatalog(
      { catalogDir: dir, branch: 'gallery-catalog', folder: '', runUrl: 'https://github.com/r/1' },
      { git: git(), logger },
    );
    expect(first).toMatchObject({ changed: true, createdBranch: true, attempts: 1 });
    // Three files of two contents (README.md is catalog.md): two blobs, the branch read (404),
    // one tree, one commit, the branch created.
    expect(await gitCallsSince(mark)).toEqual([
      'POST blobs',
      'POST blobs',
      'GET ref/heads%2Fgallery-catalog 404',
      'POST trees',
      'POST commits',
      'POST refs',
    ]);
    const created = await branch('gallery-catalog');
    expect(created.commit.sha).toBe(first.commit);
    expect(created.commit.parents).toEqual([]);
    expect(created.commit.message).toMatch(/^Catalog of ClusterAPI: 1 versions, 1 current\n/);
    expect(created.commit.message).toContain('Run: https://github.com/r/1');
    expect(Object.keys(created.files).sort()).toEqual(['README.md', 'catalog.json', 'catalog.md']);
    expect(created.files['README.md']).toBe(created.files['catalog.md']);
    expect(JSON.parse(created.files['catalog.json']!)).toMatchObject({ schemaVersion: 1 });

    mark = await lastRequest();
    const again = await publishCatalog(
      { catalogDir: dir, branch: 'gallery-catalog', folder: '' },
      { git: git(), logger },
    );
    expect(again).toMatchObject({ changed: false, commit: first.commit, createdBranch: false });
    // Nothing written but the blobs, which GitHub keeps whatever happens.
    expect(await gitCallsSince(mark)).toEqual([
      'POST blobs',
      'POST blobs',
      'GET ref/heads%2Fgallery-catalog',
      `GET commits/${first.commit}`,
      'POST trees',
    ]);
    expect((await branch('gallery-catalog')).history).toEqual([first.commit]);
    expect(logger.messages('info').join('\n')).toContain('already holds these files');
  });

  it('commits a changed catalog on top of the branch, keeping its other files', async () => {
    const before = await branch('gallery-catalog');
    const next = await publishCatalog(
      {
        catalogDir: catalogDir(2, '2026-12-02T06:00:00.000Z'),
        branch: 'gallery-catalog',
        folder: '',
      },
      { git: git(), logger: new RecordingLogger() },
    );
    expect(next).toMatchObject({ changed: true, createdBranch: false });
    const after = await branch('gallery-catalog');
    expect(after.commit.parents).toEqual([before.commit.sha]);
    expect(after.history).toHaveLength(before.history.length + 1);
    expect(JSON.parse(after.files['catalog.json']!).counts.versions).toBe(2);
  });

  it('writes into a folder of an existing branch and leaves the rest of it alone', async () => {
    const out = await publishCatalog(
      { catalogDir: catalogDir(1), branch: 'main', folder: 'docs/catalog' },
      { git: git(), logger: new RecordingLogger() },
    );
    expect(out.paths.markdown).toBe('docs/catalog/catalog.md');
    const main = await branch('main');
    expect(Object.keys(main.files).sort()).toEqual([
      'README.md',
      'docs/catalog/README.md',
      'docs/catalog/catalog.json',
      'docs/catalog/catalog.md',
    ]);
    expect(main.files['README.md']).toBe('# capz-images\n');
    expect(main.commit.parents).toHaveLength(1);
  });

  it('reads the branch again and retries when another run moved it meanwhile', async () => {
    const real = git();
    let raced = 0;
    const racing: GitDatabase = {
      ...real,
      async moveBranch(name, commit) {
        if (raced === 0) {
          raced++;
          // Another publisher's commit lands between our read and our ref update.
          const head = (await real.branchHead(name))!;
          const blob = await real.createBlob(Buffer.from('other\n'));
          const tree = await real.createTree(await real.commitTree(head), [
            { path: 'other.txt', sha: blob },
          ]);
          await real.moveBranch(name, await real.createCommit('other run', tree, [head]));
        }
        return real.moveBranch(name, commit);
      },
    };
    const logger = new RecordingLogger();
    const out = await publishCatalog(
      { catalogDir: catalogDir(3), branch: 'gallery-catalog', folder: '' },
      { git: racing, logger, sleep: noSleep },
    );
    expect(out).toMatchObject({ changed: true, attempts: 2 });
    const after = await branch('gallery-catalog');
    expect(after.commit.sha).toBe(out.commit);
    expect((await branch('gallery-catalog')).files['other.txt']).toBe('other\n');
    const parent = after.history[1]!;
    expect(after.commit.parents).toEqual([parent]);
    expect(logger.messages('warning').join('\n')).toMatch(
      /changed meanwhile: Update is not a fast forward; reading it again \(attempt 2 of 5\)/,
    );
  });

  it('gives up after a bounded number of attempts when the branch keeps moving', async () => {
    const real = git();
    const always: GitDatabase = {
      ...real,
      async moveBranch(name, commit) {
        const head = (await real.branchHead(name))!;
        const blob = await real.createBlob(Buffer.from(`${Math.random()}\n`));
        const tree = await real.createTree(await real.commitTree(head), [
          { path: 'noise.txt', sha: blob },
        ]);
        await real.moveBranch(name, await real.createCommit('noise', tree, [head]));
        return real.moveBranch(name, commit);
      },
    };
    await expect(
      publishCatalog(
        { catalogDir: catalogDir(4), branch: 'gallery-catalog', folder: '' },
        { git: always, logger: new RecordingLogger(), sleep: noSleep },
      ),
    ).rejects.toThrow(
      /kept changing while this commit was made \(5 attempts\); nothing was committed/,
    );
  });
});

describe('publishCatalog refusals', () => {
  it('says which permission a read-only token lacks, and commits nothing', async () => {
    const reader = await mint(REPO, 'read');
    const before = await branch('gallery-catalog');
    const attempt = publishCatalog(
      { catalogDir: catalogDir(9), branch: 'gallery-catalog', folder: '' },
      { git: gitDatabase(reader, REPO, emu.githubApiUrl), logger: new RecordingLogger() },
    );
    await expect(attempt).rejects.toThrow(ConfigurationError);
    await expect(attempt).rejects.toThrow(
      /may not write to example\/capz-images \(Resource not accessible by integration; GitHub accepts: contents=write\)\. Give the job 'permissions: contents: write'/,
    );
    expect((await branch('gallery-catalog')).commit.sha).toBe(before.commit.sha);
  });

  it('names a repository the token cannot see, an empty repository and a bad token', async () => {
    await emu.admin('POST', '/github/repositories', {
      repository: 'example/hidden',
      private: true,
    });
    await expect(
      publishCatalog(
        { catalogDir: catalogDir(1), branch: 'gallery-catalog', folder: '' },
        {
          git: gitDatabase(writer, 'example/hidden', emu.githubApiUrl),
          logger: new RecordingLogger(),
        },
      ),
    ).rejects.toThrow(/Repository example\/hidden was not found, or the token cannot see it/);

    await emu.admin('POST', '/github/repositories', { repository: 'example/empty', empty: true });
    const emptyWriter = await mint('example/empty', 'write');
    await expect(
      publishCatalog(
        { catalogDir: catalogDir(1), branch: 'gallery-catalog', folder: '' },
        {
          git: gitDatabase(emptyWriter, 'example/empty', emu.githubApiUrl),
          logger: new RecordingLogger(),
        },
      ),
    ).rejects.toThrow(
      /example\/empty is empty \(Git Repository is empty\.\): .*Push a first commit/,
    );

    await expect(
      publishCatalog(
        { catalogDir: catalogDir(1), branch: 'gallery-catalog', folder: '' },
        { git: gitDatabase('ghs_revoked', REPO, emu.githubApiUrl), logger: new RecordingLogger() },
      ),
    ).rejects.toThrow(/did not accept the token .*Bad credentials.*'github-token'/);
  });

  it("refuses a folder without a catalog, naming input 'catalog', before calling GitHub", async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'no-catalog-'));
    dirs.push(empty);
    const calls: string[] = [];
    const spy = new Proxy({} as GitDatabase, {
      get: (_t, key) => () => {
        calls.push(String(key));
        throw new Error('called');
      },
    });
    await expect(
      publishCatalog(
        { catalogDir: empty, branch: 'b', folder: '' },
        { git: spy, logger: new RecordingLogger() },
      ),
    ).rejects.toThrow(/^Input 'catalog': '.*' has no catalog\.json/);
    mkdirSync(path.join(empty, 'x'));
    writeFileSync(path.join(empty, 'catalog.json'), '{"schemaVersion": 2}');
    writeFileSync(path.join(empty, 'catalog.md'), '#');
    await expect(
      publishCatalog(
        { catalogDir: empty, branch: 'b', folder: '' },
        { git: spy, logger: new RecordingLogger() },
      ),
    ).rejects.toThrow(/is not an inventory catalog of schema v1/);
    expect(calls).toEqual([]);
  });
});
