/** What the plan action reads from GitHub: the event that started the run, and a REST client. */
import * as github from '@actions/github';
import type { ListReleasesPage } from '../plan/releases.js';

/** The workflow run's context: event name, payload, API URL. */
export function githubContext(): typeof github.context {
  return github.context;
}

/** A REST client for the run's GitHub (its API URL), signed in with `token`. */
export function githubClient(token: string): ReturnType<typeof github.getOctokit> {
  return github.getOctokit(token, { baseUrl: github.context.apiUrl });
}

/** One page of kubernetes/kubernetes' releases at a time, as plan reads them. */
export function kubernetesReleases(token: string): ListReleasesPage {
  const octokit = githubClient(token);
  return async (page) =>
    (
      await octokit.rest.repos.listReleases({
        owner: 'kubernetes',
        repo: 'kubernetes',
        per_page: 100,
        page,
      })
    ).data;
}
