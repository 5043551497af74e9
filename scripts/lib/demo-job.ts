/**
 * What a job's runner machine gives its steps in the demo: the permissions of its token (which
 * decide, as on GitHub, whether it may ask for an OIDC ID token) and the runner's variables.
 */
import os from 'node:os';
import path from 'node:path';
import type { Workflow } from './demo-workflow.js';

export type Level = 'none' | 'read' | 'write';
export type Permissions = Record<string, Level>;

const SCOPES = [
  'actions',
  'attestations',
  'checks',
  'contents',
  'deployments',
  'id-token',
  'issues',
  'packages',
  'pages',
  'pull-requests',
  'statuses',
];

/** A job's `permissions:` as scope → level; unset means the repository default (contents: read). */
export function permissionsOf(value: unknown): Permissions {
  const all = (level: Level): Permissions =>
    Object.fromEntries(
      SCOPES.map((s) => [s, s === 'id-token' && level === 'read' ? 'none' : level]),
    );
  if (value === undefined || value === null) {
    return { ...all('none'), contents: 'read', packages: 'read' };
  }
  if (value === 'read-all') return all('read');
  if (value === 'write-all') return all('write');
  return { ...all('none'), ...(value as Record<string, Level>) };
}

/** GitHub refuses a run whose called workflow asks for more than the calling job grants. */
export function checkNested(nested: Permissions, allowed: Permissions, where: string): void {
  const rank = { none: 0, read: 1, write: 2 } as const;
  for (const [scope, level] of Object.entries(nested)) {
    const max = allowed[scope] ?? 'none';
    if (rank[level] > rank[max]) {
      throw new Error(
        `${where} is requesting '${scope}: ${level}', but is only allowed '${scope}: ${max}' by the calling job.`,
      );
    }
  }
}

/** The variables the runner sets for every step of a job (GITHUB_*, RUNNER_*, CI). */
export function runnerVariables(o: {
  github: Record<string, unknown>;
  workflow: Workflow;
  job: string;
  workspace: string;
  runnerTemp: string;
  runDir: string;
  /** Set for every step besides the runner's own (NODE_EXTRA_CA_CERTS, proxies). */
  extra: Record<string, string>;
  /** Given only to jobs with `id-token: write`, as GitHub does. */
  oidc?: { requestUrl: string; requestToken: string };
}): Record<string, string> {
  const g = o.github as Record<string, string | undefined>;
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.homedir(),
    LANG: process.env.LANG ?? 'C.UTF-8',
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_REPOSITORY: g.repository ?? '',
    GITHUB_REPOSITORY_OWNER: g.repository_owner ?? '',
    GITHUB_RUN_ID: g.run_id ?? '',
    GITHUB_RUN_NUMBER: g.run_number ?? '',
    GITHUB_RUN_ATTEMPT: g.run_attempt ?? '1',
    GITHUB_SHA: g.sha ?? '',
    GITHUB_REF: g.ref ?? '',
    GITHUB_REF_NAME: (g.ref ?? '').replace(/^refs\/(heads|tags)\//, ''),
    GITHUB_EVENT_NAME: g.event_name ?? '',
    GITHUB_EVENT_PATH: path.join(o.runDir, 'event.json'),
    GITHUB_SERVER_URL: g.server_url ?? 'https://github.com',
    GITHUB_API_URL: g.api_url ?? '',
    GITHUB_WORKFLOW: o.workflow.name ?? o.workflow.file,
    GITHUB_WORKFLOW_REF: `${g.repository}/${o.workflow.file}@${g.ref}`,
    GITHUB_JOB: o.job,
    GITHUB_ACTOR: g.actor ?? '',
    GITHUB_WORKSPACE: o.workspace,
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: 'X64',
    RUNNER_NAME: 'demo',
    RUNNER_TEMP: o.runnerTemp,
    RUNNER_TOOL_CACHE: path.join(o.runDir, 'tool-cache'),
    ...o.extra,
    ...(o.oidc
      ? {
          ACTIONS_ID_TOKEN_REQUEST_URL: o.oidc.requestUrl,
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: o.oidc.requestToken,
        }
      : {}),
  };
}
