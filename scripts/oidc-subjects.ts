/**
 * npm run oidc-subjects -- --repository <owner>/<repo> [--owner-id N --repository-id N]
 *                          [--environment NAME]… [--ref REF]…
 *
 * Prints the exact `sub` claims GitHub puts in the ID tokens of a calling repository's jobs, the
 * subjects to register as federated credentials on the Azure identities (docs/README.md, "Azure
 * set-up"). A reusable workflow's jobs carry the caller's subject. Jobs in an environment
 * (promote, production cleanup) carry `environment:<name>`; the others `ref:<ref>` (a branch, or
 * `refs/tags/…` for a tag push). With the repository's immutable IDs (repositories created or
 * renamed on or after 2026-07-15, or opted in) it prints the immutable form
 * `repo:<owner>@<ownerId>/<repo>@<repoId>:…` first, then the name-only form. Find the IDs with
 *   gh api repos/<owner>/<repo> --jq '"--owner-id \(.owner.id) --repository-id \(.id)"'
 * and whether the repository customized its subject template with
 *   gh api repos/<owner>/<repo>/actions/oidc/customization/sub
 * (this script prints the default template's subjects only).
 */
import { parseArgs } from 'node:util';
import { oidcClaims } from './lib/demo-github.js';

const { values } = parseArgs({
  options: {
    repository: { type: 'string' },
    'owner-id': { type: 'string' },
    'repository-id': { type: 'string' },
    environment: { type: 'string', multiple: true, default: [] },
    ref: { type: 'string', multiple: true, default: [] },
  },
});
if (!values.repository || !/^[\w.-]+\/[\w.-]+$/.test(values.repository)) {
  console.error('oidc-subjects: --repository <owner>/<repo> is required.');
  process.exit(2);
}
const ownerId = Number(values['owner-id'] ?? 0) || undefined;
const id = Number(values['repository-id'] ?? 0) || undefined;
const environments = values.environment.length > 0 ? values.environment : ['production'];
const refs = values.ref.length > 0 ? values.ref : ['refs/heads/main'];
const forms =
  ownerId && id
    ? [
        { label: 'immutable', immutableSubjects: true },
        { label: 'name-only', immutableSubjects: false },
      ]
    : [{ label: 'name-only', immutableSubjects: false }];
for (const form of forms) {
  console.log(`# ${form.label} subjects of ${values.repository}`);
  const repository = {
    name: values.repository,
    refs: [],
    immutableSubjects: form.immutableSubjects,
    ...(ownerId ? { ownerId } : {}),
    ...(id ? { id } : {}),
  };
  const sub = (o: { environment?: string; ref?: string }): string =>
    oidcClaims({
      repository,
      ref: o.ref ?? '',
      sha: '',
      eventName: 'push',
      jobWorkflowRef: '',
      ...(o.environment ? { environment: o.environment } : {}),
    }).sub!;
  for (const environment of environments) {
    console.log(
      `${sub({ environment })}\t# production identity: jobs in environment ${environment}`,
    );
  }
  for (const ref of refs) {
    console.log(`${sub({ ref })}\t# staging identity: jobs run from ${ref}`);
  }
}
