/**
 * The stand-in's GitHub REST endpoints (emulator/github.ts): releases paged as api.github.com
 * pages them, read by octokit as plan reads them, and by dist/plan itself on a schedule.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getOctokit } from '@actions/github';
import { startTestEmulator } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { runBundledAction } from '../helpers/runner.js';

let emu: TestEmulator;

/** 250 releases, newest first: three minors of patches, a pre-release and a draft on top. */
const RELEASES = [
  { tag_name: 'v1.36.0-rc.0', prerelease: true },
  { tag_name: 'v1.35.9', draft: true },
  ...Array.from({ length: 248 }, (_, i) => ({
    tag_name: `v1.${35 - Math.floor(i / 90)}.${89 - (i % 90)}`,
  })),
];

const get = (path: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${emu.githubApiUrl}${path}`, { headers });

beforeAll(async () => {
  emu = await startTestEmulator();
  await emu.admin('POST', '/github/releases', {
    repository: 'kubernetes/kubernetes',
    releases: RELEASES,
  });
});
afterAll(async () => {
  await emu.dispose();
});

describe('GitHub releases on the stand-in', () => {
  it('is announced in the ready line as a GitHub Enterprise-style API URL', () => {
    expect(emu.githubApiUrl).toBe(`${emu.authorityHost}/api/v3`);
  });

  it('pages with per_page and page, and says where the next and last pages are', async () => {
    const first = await get('/repos/kubernetes/kubernetes/releases?per_page=100');
    expect(first.status).toBe(200);
    const body = (await first.json()) as { tag_name: string; draft: boolean }[];
    expect(body).toHaveLength(100);
    expect(body.slice(0, 3).map((r) => r.tag_name)).toEqual([
      'v1.36.0-rc.0',
      'v1.35.9',
      'v1.35.89',
    ]);
    expect(body[1]!.draft).toBe(true);
    const link = first.headers.get('link')!;
    expect(link).toMatch(
      /<https:\/\/127\.0\.0\.1:\d+\/api\/v3\/repositories\/\d+\/releases\?per_page=100&page=2>; rel="next"/,
    );
    expect(link).toMatch(/page=3>; rel="last"/);

    const next = link.match(/<([^>]+)>; rel="next"/)![1]!;
    const second = await fetch(next);
    expect(((await second.json()) as unknown[]).length).toBe(100);
    expect(second.headers.get('link')).toMatch(/rel="next".*rel="last".*rel="first".*rel="prev"/);

    const third = await get('/repos/kubernetes/kubernetes/releases?per_page=100&page=3');
    expect(((await third.json()) as unknown[]).length).toBe(50);
    expect(third.headers.get('link')).not.toMatch(/rel="next"/);
    const beyond = await get('/repos/kubernetes/kubernetes/releases?per_page=100&page=4');
    expect(await beyond.json()).toEqual([]);
  });

  it('defaults to 30 a page and caps per_page at 100', async () => {
    const plain = await get('/repos/Kubernetes/Kubernetes/releases');
    expect(((await plain.json()) as unknown[]).length).toBe(30);
    const big = await get('/repos/kubernetes/kubernetes/releases?per_page=500');
    expect(((await big.json()) as unknown[]).length).toBe(100);
  });

  it('renders releases in GitHub’s shape', async () => {
    const [release] = (await (
      await get('/repos/kubernetes/kubernetes/releases?per_page=1&page=3')
    ).json()) as Record<string, unknown>[];
    expect(release).toMatchObject({
      tag_name: 'v1.35.89',
      draft: false,
      prerelease: false,
      html_url: 'https://github.com/kubernetes/kubernetes/releases/tag/v1.35.89',
      id: expect.any(Number),
      published_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      assets: [],
    });
  });

  it('answers 404 in GitHub’s shape for an unknown repository or route', async () => {
    const missing = await get('/repos/kubernetes/website/releases');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ message: 'Not Found' });
    expect((await get('/repos/kubernetes/kubernetes/tags')).status).toBe(404);
  });

  it('is read page by page by octokit, as plan reads it', async () => {
    const octokit = getOctokit('any-token', { baseUrl: emu.githubApiUrl });
    const all = await octokit.paginate(octokit.rest.repos.listReleases, {
      owner: 'kubernetes',
      repo: 'kubernetes',
      per_page: 100,
    });
    expect(all).toHaveLength(250);
    expect(all.at(-1)!.tag_name).toBe('v1.33.22');
  });

  it('refuses a bad seed, naming the field', async () => {
    await expect(
      emu.admin('POST', '/github/releases', { repository: 'k8s', releases: [] }),
    ).rejects.toThrow(/'repository': 'owner\/name'/);
    await expect(
      emu.admin('POST', '/github/releases', {
        repository: 'a/b',
        releases: [{ tag_name: 'v1', draft: 'no' }],
      }),
    ).rejects.toThrow(/releases\[0\]\.draft: must be true or false/);
    expect(await emu.admin('GET', '/github/releases')).toEqual({
      'kubernetes/kubernetes': RELEASES.map((r) => r.tag_name),
    });
  });

  it('feeds dist/plan on a schedule: the newest patch of the newest minors, drafts and pre-releases left out', async () => {
    const run = await runBundledAction(
      'plan',
      { 'minor-versions': '2', 'github-token': 'local-token' },
      {
        NODE_EXTRA_CA_CERTS: emu.caCertPath,
        GITHUB_API_URL: emu.githubApiUrl,
        GITHUB_EVENT_NAME: 'schedule',
        // The release calendar host is out of reach: plan warns and goes on.
        NODE_USE_ENV_PROXY: '1',
        HTTPS_PROXY: 'http://127.0.0.1:9',
        NO_PROXY: '127.0.0.1',
      },
    );
    expect(run.code).toBe(0);
    expect(JSON.parse(run.outputs['kubernetes-versions']!)).toEqual(['v1.35.89', 'v1.34.89']);
    const requests = await emu.admin<{ path: string; query: string }[]>('GET', '/requests');
    const pages = requests
      .filter((r) => r.path === '[login]/api/v3/repos/kubernetes/kubernetes/releases')
      .map((r) => r.query);
    expect(pages).toContain('?per_page=100&page=1');
  });
});
