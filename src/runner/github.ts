/** What the plan action reads from GitHub: the event that started the run, and a REST client. */
import * as github from '@actions/github';

/** The workflow run's context: event name, payload, API URL. */
export function githubContext(): typeof github.context {
  return github.context;
}

/** A REST client for the run's GitHub (its API URL), signed in with `token`. */
export function githubClient(token: string): ReturnType<typeof github.getOctokit> {
  return github.getOctokit(token, { baseUrl: github.context.apiUrl });
}
