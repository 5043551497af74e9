import { InputError } from '../common/errors.js';
import { parseList } from '../common/inputs.js';

/** Where the versions to build come from, decided by the workflow's trigger. */
export type VersionSource =
  { kind: 'explicit'; tags: string[]; from: string } | { kind: 'releases' };

/** The fields of the triggering event plan reads (github.context). */
export interface TriggerContext {
  eventName?: string;
  ref?: string;
  payload: { client_payload?: unknown; inputs?: unknown; [key: string]: unknown };
}

/**
 * An explicit `kubernetes-versions` input wins; then a pushed `v1.x.y` tag (a repository that
 * mirrors Kubernetes tags); then a `repository_dispatch` payload's `kubernetes-version(s)`;
 * otherwise (schedule, dispatch without versions) the GitHub releases of kubernetes/kubernetes.
 */
export function versionSource(
  explicit: string | undefined,
  trigger: TriggerContext,
): VersionSource {
  if (explicit !== undefined)
    return { kind: 'explicit', tags: parseList(explicit), from: "input 'kubernetes-versions'" };
  const tag = (trigger.ref ?? '').match(
    /^refs\/tags\/(v?\d+\.\d+\.\d+(?:-(?:alpha|beta|rc)\.\d+)?)$/,
  );
  if (trigger.eventName === 'push' && tag)
    return { kind: 'explicit', tags: [tag[1]!], from: `pushed tag ${tag[1]}` };
  if (trigger.eventName === 'repository_dispatch') {
    const payload = (trigger.payload.client_payload ?? {}) as Record<string, unknown>;
    const raw =
      payload['kubernetes-versions'] ?? payload['kubernetes-version'] ?? payload.kubernetes_version;
    if (raw !== undefined) {
      const tags = Array.isArray(raw) ? raw.map(String) : parseList(String(raw));
      if (tags.length === 0)
        throw new InputError(
          'client_payload.kubernetes-version',
          String(raw),
          'Expected one or more Kubernetes versions such as v1.31.2.',
        );
      return { kind: 'explicit', tags, from: 'repository_dispatch payload' };
    }
  }
  return { kind: 'releases' };
}
