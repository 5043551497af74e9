/** Who built or published something, as the workflow run tells it; recorded in manifests and tags. */
export interface Provenance {
  /** `owner/name` of the repository whose workflow ran. */
  readonly repository?: string;
  /** The commit the workflow ran at. */
  readonly commit?: string;
  /** The link to the workflow run (and attempt). */
  readonly runUrl?: string;
  /** The workflow's name. */
  readonly workflow?: string;
}

/** The provenance tags of an image version: `published-by` (the run), `repository`, `commit`. */
export function provenanceTags(p: Provenance): Record<string, string> {
  return {
    ...(p.runUrl ? { 'published-by': p.runUrl } : {}),
    ...(p.repository ? { repository: p.repository } : {}),
    ...(p.commit ? { commit: p.commit } : {}),
  };
}
