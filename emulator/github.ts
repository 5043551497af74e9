/**
 * The few GitHub REST endpoints the actions call: the releases of a repository, paged as
 * api.github.com pages them (`per_page` up to 100, default 30; `page` from 1; a `Link` header
 * with `next`, `last`, `first` and `prev`). plan reads kubernetes/kubernetes's releases through
 * octokit with `baseUrl` = `GITHUB_API_URL`, so pointing that variable at `githubApiUrl` makes it
 * read these instead.
 *
 * Served on the login host under `/api/v3`, the layout of GitHub Enterprise Server, which is what
 * octokit expects of a `GITHUB_API_URL` that is not api.github.com. Releases are seeded through the
 * admin API (`POST /_emulator/github/releases`) and kept in `github.json` in the data dir, so they
 * survive restarts and every stand-in on the data dir sees them.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Req, Res } from './http.js';

/** The path prefix of the REST API on the login host. */
export const GITHUB_API_PREFIX = '/api/v3';

/** What a seed gives for one release; the rest of GitHub's release object is derived. */
export interface SeedRelease {
  tag_name: string;
  name?: string;
  draft?: boolean;
  prerelease?: boolean;
  /** ISO time; default: one hour apart, the first release of the seed newest. */
  created_at?: string;
  published_at?: string | null;
  body?: string;
}

interface StoredRepository {
  id: number;
  /** Newest first, as GitHub lists them. */
  releases: (SeedRelease & { id: number; created_at: string })[];
}

interface GitHubWorld {
  repositories: Record<string, StoredRepository>;
  /** Release assets by `owner/name/tag/file` (lower case), as text. */
  assets?: Record<string, string>;
}

/** GitHub's release download path on its web host: `/<owner>/<name>/releases/download/<tag>/<file>`. */
const DOWNLOAD_PATH =
  /^\/(?<owner>[\w.-]+)\/(?<name>[\w.-]+)\/releases\/download\/(?<tag>[^/]+)\/(?<file>[^/]+)$/;

const DEFAULT_PER_PAGE = 30;
const MAX_PER_PAGE = 100;
const DOCS = 'https://docs.github.com/rest/releases/releases#list-releases';

export class GitHubApi {
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'github.json');
  }

  /** Routes under `/api/v3`; undefined for any other path. */
  handle(req: Req): Res | undefined {
    const download = req.method === 'GET' ? DOWNLOAD_PATH.exec(req.path)?.groups : undefined;
    if (download) {
      const { owner, name, tag, file } = download;
      const text = this.load().assets?.[assetKey(`${owner}/${name}`, tag!, file!)];
      return text === undefined
        ? { status: 404, headers: { 'content-type': 'text/plain' }, body: 'Not Found' }
        : { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: text };
    }
    if (!req.path.toLowerCase().startsWith(GITHUB_API_PREFIX)) return undefined;
    const path = req.path.slice(GITHUB_API_PREFIX.length);
    const byName = path.match(/^\/repos\/([^/]+)\/([^/]+)\/releases$/i);
    const byId = path.match(/^\/repositories\/(\d+)\/releases$/);
    if (req.method !== 'GET' || (!byName && !byId)) return notFound();
    const world = this.load();
    const entry = byName
      ? Object.entries(world.repositories).find(
          ([name]) => name.toLowerCase() === `${byName[1]}/${byName[2]}`.toLowerCase(),
        )
      : Object.entries(world.repositories).find(([, repo]) => String(repo.id) === byId![1]);
    if (!entry) return notFound();
    return this.listReleases(req, entry[0], entry[1]);
  }

  /**
   * `POST /_emulator/github/releases {repository: "owner/name", releases: [...]}`: replaces the
   * releases of that repository (newest first).
   * @returns a problem, or undefined when they were stored.
   */
  seed(body: Record<string, unknown>): string | undefined {
    const { repository, releases } = body;
    if (typeof repository !== 'string' || !/^[\w.-]+\/[\w.-]+$/.test(repository)) {
      return "a release seed needs 'repository': 'owner/name'";
    }
    if (!Array.isArray(releases)) return "a release seed needs 'releases': [{ tag_name, … }]";
    const problem = releases
      .map((r: unknown, i) => releaseProblem(r, i))
      .find((p) => p !== undefined);
    if (problem) return problem;
    const world = this.load();
    const known = world.repositories[repository];
    const id = known?.id ?? 20_580_498 + Object.keys(world.repositories).length;
    const start = Date.UTC(2026, 0, 1);
    const stored = (releases as SeedRelease[]).map((r, i) => ({
      ...r,
      id: id * 1000 + releases.length - i,
      created_at: r.created_at ?? new Date(start - i * 3_600_000).toISOString(),
    }));
    // GitHub lists by creation time, newest first; a stable sort keeps the seed's order on ties.
    stored.sort((a, b) => b.created_at.localeCompare(a.created_at));
    world.repositories[repository] = { id, releases: stored };
    this.save(world);
    return undefined;
  }

  /**
   * `POST /_emulator/github/assets {repository, tag, name, content}`: a release asset, served
   * at `<login host>/<repository>/releases/download/<tag>/<name>` as github.com serves it.
   * @returns a problem, or undefined when it was stored.
   */
  seedAsset(body: Record<string, unknown>): string | undefined {
    const { repository, tag, name, content } = body;
    if (typeof repository !== 'string' || !/^[\w.-]+\/[\w.-]+$/.test(repository)) {
      return "an asset seed needs 'repository': 'owner/name'";
    }
    if (typeof tag !== 'string' || typeof name !== 'string' || typeof content !== 'string') {
      return "an asset seed needs 'tag', 'name' and 'content' (strings)";
    }
    const world = this.load();
    world.assets = { ...world.assets, [assetKey(repository, tag, name)]: content };
    this.save(world);
    return undefined;
  }

  /** The seeded releases of every repository, for the admin API. */
  dump(): Record<string, string[]> {
    return Object.fromEntries(
      Object.entries(this.load().repositories).map(([name, repo]) => [
        name,
        repo.releases.map((r) => r.tag_name),
      ]),
    );
  }

  reset(): void {
    this.save({ repositories: {} });
  }

  private listReleases(req: Req, fullName: string, repo: StoredRepository): Res {
    const perPage = Math.min(
      MAX_PER_PAGE,
      positiveInteger(req.query.get('per_page')) ?? DEFAULT_PER_PAGE,
    );
    const page = positiveInteger(req.query.get('page')) ?? 1;
    const last = Math.max(1, Math.ceil(repo.releases.length / perPage));
    const items = repo.releases.slice((page - 1) * perPage, page * perPage);
    const base = `${req.origin}${GITHUB_API_PREFIX}/repositories/${repo.id}/releases`;
    const link = (p: number, rel: string): string =>
      `<${base}?per_page=${perPage}&page=${p}>; rel="${rel}"`;
    const links = [
      ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
      ...(page > 1 ? [link(1, 'first'), link(Math.min(page - 1, last), 'prev')] : []),
    ];
    return {
      status: 200,
      headers: {
        ...githubHeaders(),
        ...(links.length > 0 ? { link: links.join(', ') } : {}),
      },
      body: items.map((r) => render(req.origin, fullName, r)),
    };
  }

  private load(): GitHubWorld {
    if (!existsSync(this.file)) return { repositories: {} };
    return JSON.parse(readFileSync(this.file, 'utf8')) as GitHubWorld;
  }

  private save(world: GitHubWorld): void {
    const temp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(world));
    renameSync(temp, this.file);
  }
}

function releaseProblem(r: unknown, i: number): string | undefined {
  const release = (r ?? {}) as Record<string, unknown>;
  if (typeof release.tag_name !== 'string' || release.tag_name === '') {
    return `releases[${i}]: needs a 'tag_name' (string)`;
  }
  for (const key of ['draft', 'prerelease'] as const) {
    if (release[key] !== undefined && typeof release[key] !== 'boolean') {
      return `releases[${i}].${key}: must be true or false`;
    }
  }
  for (const key of ['created_at', 'published_at'] as const) {
    const value = release[key];
    if (value !== undefined && value !== null && Number.isNaN(Date.parse(String(value)))) {
      return `releases[${i}].${key}: must be an ISO time`;
    }
  }
  return undefined;
}

/** A release as GitHub's REST API renders it (the fields clients read; no assets). */
function render(
  origin: string,
  fullName: string,
  r: StoredRepository['releases'][number],
): Record<string, unknown> {
  const api = `${origin}${GITHUB_API_PREFIX}/repos/${fullName}`;
  const draft = r.draft ?? false;
  return {
    url: `${api}/releases/${r.id}`,
    html_url: `https://github.com/${fullName}/releases/tag/${r.tag_name}`,
    assets_url: `${api}/releases/${r.id}/assets`,
    upload_url: `https://uploads.github.com/repos/${fullName}/releases/${r.id}/assets{?name,label}`,
    tarball_url: `${api}/tarball/${r.tag_name}`,
    zipball_url: `${api}/zipball/${r.tag_name}`,
    id: r.id,
    node_id: `RE_${Buffer.from(String(r.id)).toString('base64url')}`,
    tag_name: r.tag_name,
    target_commitish: 'master',
    name: r.name ?? `Kubernetes ${r.tag_name}`,
    draft,
    prerelease: r.prerelease ?? false,
    created_at: r.created_at,
    published_at: draft ? null : (r.published_at ?? r.created_at),
    author: { login: 'k8s-release-robot', id: 33_505_452, type: 'User' },
    assets: [],
    body: r.body ?? '',
  };
}

function githubHeaders(): Record<string, string> {
  return {
    'x-github-api-version-selected': '2022-11-28',
    'x-github-media-type': 'github.v3; format=json',
    'x-ratelimit-limit': '5000',
    'x-ratelimit-remaining': '4999',
    'x-ratelimit-resource': 'core',
  };
}

function assetKey(repository: string, tag: string, file: string): string {
  return `${repository}/${tag}/${file}`.toLowerCase();
}

function notFound(): Res {
  return {
    status: 404,
    headers: githubHeaders(),
    body: { message: 'Not Found', documentation_url: DOCS, status: '404' },
  };
}

function positiveInteger(raw: string | null): number | undefined {
  if (raw === null) return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 ? n : undefined;
}
