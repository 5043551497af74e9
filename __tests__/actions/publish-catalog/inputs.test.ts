/** publish-catalog's inputs: each bad value is refused by name before GitHub is called. */
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  branchProblem,
  getPublishCatalogInputs,
} from '../../../src/actions/publish-catalog/inputs.js';
import { recordInputReader } from '../../../src/common/inputs.js';

const dir = mkdtempSync(path.join(tmpdir(), 'publish-catalog-inputs-'));
writeFileSync(path.join(dir, 'catalog.json'), '{}');
const ENV = {
  GITHUB_REPOSITORY: 'example/capz-images',
  GITHUB_API_URL: 'https://api.github.com',
  GITHUB_SERVER_URL: 'https://github.com',
};
const read = (over: Record<string, string>, env: NodeJS.ProcessEnv = ENV) =>
  getPublishCatalogInputs(recordInputReader({ catalog: dir, 'github-token': 't', ...over }), env);

describe('publish-catalog inputs', () => {
  it("defaults to the workflow's repository, branch gallery-catalog, its root and the runner's API", () => {
    expect(read({})).toEqual({
      catalogDir: dir,
      repository: 'example/capz-images',
      branch: 'gallery-catalog',
      folder: '',
      token: 't',
      apiUrl: 'https://api.github.com',
      serverUrl: 'https://github.com',
    });
  });

  it('takes the path of catalog.json or catalog.md as its folder, and normalises the folder', () => {
    const s = read({
      catalog: path.join(dir, 'catalog.json'),
      path: './docs/catalog/',
      branch: 'gh-pages',
    });
    expect(s).toMatchObject({ catalogDir: dir, folder: 'docs/catalog', branch: 'gh-pages' });
    expect(read({ path: '.' }).folder).toBe('');
  });

  it.each([
    ['catalog', path.join(dir, 'missing'), /No such file or folder/],
    ['catalog', path.join(dir, 'catalog.json.bak'), /No such file/],
    ['repository', 'not-a-repository', /Expected 'owner\/name'/],
    ['branch', 'bad..branch', /branch name git accepts/],
    ['branch', 'with space', /branch name git accepts/],
    ['branch', 'refs.lock', /branch name git accepts/],
    ['path', '../outside', /relative, no '\.\.'/],
    ['path', '/abs', /relative/],
    ['path', 'a/.git/b', /relative/],
    ['github-api-url', 'http://api.example.com', /https:\/\//],
  ])('refuses %s %s', (name, value, message) => {
    expect(() => read({ [name]: value })).toThrow(message);
    expect(() => read({ [name]: value })).toThrow(`'${name}'`);
  });

  it('needs a token and a repository', () => {
    expect(() => getPublishCatalogInputs(recordInputReader({ catalog: dir }), ENV)).toThrow(
      /'github-token'.*contents: write/,
    );
    expect(() => read({}, {})).toThrow(/Invalid input 'repository'/);
  });

  it('accepts the branch names git accepts', () => {
    for (const ok of ['gallery-catalog', 'gh-pages', 'catalog/v1', 'a.b']) {
      expect(branchProblem(ok)).toBeUndefined();
    }
    for (const bad of ['-x', 'a/', 'a//b', '.hidden', 'a/.b', 'x@{1}', 'a~1', 'a:b', '@', 'end.']) {
      expect(branchProblem(bad)).toBeDefined();
    }
  });
});
