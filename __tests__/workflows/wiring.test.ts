/**
 * How the workflows fit the actions and each other, checked from the files alone:
 * - every `with:` key is an input the called action (ours, or the pinned release of a
 *   third-party one) or reusable workflow declares, and every required input is given;
 * - every `steps.<id>.outputs.<name>` an expression reads is an output that step's action
 *   declares, and every `needs.<job>.outputs.<name>` one that job declares;
 * - a called workflow asks for no permission its calling job does not grant, and `id-token:
 *   write` is only where Azure is called;
 * - our own actions and workflows are called by one owner/repo (package.json's) and one ref;
 * - publishing, promoting and cleaning up jobs queue per image version, and the artifacts of
 *   a matrix leg carry the leg's OS target and version in their name.
 * actionlint does the first two only for `./` references and a list of popular actions.
 */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repositoryRoot } from '../../scripts/lib/actions.js';
import { demoCaller } from '../../scripts/lib/demo-caller.js';
import { permissionsOf } from '../../scripts/lib/demo-job.js';
import {
  type Job,
  loadOwnAction,
  loadWorkflow,
  needsOf,
  ownRepository,
  resolveUses,
  type Workflow,
} from '../../scripts/lib/demo-workflow.js';

/**
 * The inputs and outputs of the third-party actions the workflows pin, read from their
 * action.yml at the pinned commit (GitHub mirrors fetched when the SHAs were chosen).
 */
const THIRD_PARTY: Record<string, { inputs: string[]; outputs: string[] }> = {
  'actions/checkout@1af3b93b6815bc44a9784bd300feb67ff0d1eeb3': {
    inputs: [
      'repository',
      'ref',
      'token',
      'ssh-key',
      'ssh-known-hosts',
      'ssh-strict',
      'ssh-user',
      'persist-credentials',
      'path',
      'clean',
      'filter',
      'sparse-checkout',
      'sparse-checkout-cone-mode',
      'fetch-depth',
      'fetch-tags',
      'show-progress',
      'lfs',
      'submodules',
      'set-safe-directory',
      'github-server-url',
    ],
    outputs: ['ref', 'commit'],
  },
  // action.yml at v4.1.0 (github.com/actions/attest-build-provenance, tag v4.1.0).
  'actions/attest-build-provenance@a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32': {
    inputs: [
      'subject-path',
      'subject-digest',
      'subject-name',
      'subject-checksums',
      'predicate-type',
      'predicate',
      'predicate-path',
      'push-to-registry',
      'create-storage-record',
      'show-summary',
      'github-token',
    ],
    outputs: ['bundle-path', 'attestation-id', 'attestation-url', 'storage-record-ids'],
  },
  'actions/upload-artifact@b7c566a772e6b6bfb58ed0dc250532a479d7789f': {
    inputs: [
      'name',
      'path',
      'if-no-files-found',
      'retention-days',
      'compression-level',
      'overwrite',
      'include-hidden-files',
    ],
    outputs: ['artifact-id', 'artifact-url', 'artifact-digest'],
  },
  'actions/download-artifact@37930b1c2abaa49bbe596cd826c3c89aef350131': {
    inputs: [
      'name',
      'artifact-ids',
      'path',
      'pattern',
      'merge-multiple',
      'github-token',
      'repository',
      'run-id',
    ],
    outputs: ['download-path'],
  },
};

const own = ownRepository();
const workflows: Workflow[] = [
  loadWorkflow('.github/workflows/image.yml'),
  loadWorkflow('.github/workflows/images.yml'),
  loadWorkflow('.github/workflows/kubernetes-release.yml'),
  demoCaller(),
];
const jobs = workflows.flatMap((w) =>
  Object.entries(w.jobs).map(([id, job]) => ({ workflow: w, id, job })),
);
const steps = jobs.flatMap(({ workflow, id, job }) =>
  (job.steps ?? []).map((step, i) => ({
    where: `${workflow.file} job '${id}' step '${step.name ?? step.id ?? i + 1}'`,
    workflow,
    jobId: id,
    job,
    step,
  })),
);
const actionSteps = steps.filter((s) => s.step.uses !== undefined);

/** The inputs and outputs a step's `uses:` declares. */
function declared(uses: string): {
  inputs: string[];
  required: string[];
  outputs: string[];
} {
  const target = resolveUses(uses, own);
  if (target.kind === 'own-action') {
    const metadata = loadOwnAction(target.action);
    if (!metadata)
      throw new Error(`${target.metadata} does not exist, so '${uses}' cannot be checked`);
    const inputs = Object.entries(metadata.inputs ?? {});
    return {
      inputs: inputs.map(([name]) => name),
      required: inputs
        .filter(([, spec]) => spec.required === true && spec.default === undefined)
        .map(([name]) => name),
      outputs: Object.keys(metadata.outputs ?? {}),
    };
  }
  if (target.kind === 'third-party') {
    const known = THIRD_PARTY[`${target.repository}@${target.ref}`];
    if (!known)
      throw new Error(`'${uses}': add its inputs and outputs at that commit to THIRD_PARTY`);
    return { ...known, required: [] };
  }
  throw new Error(`'${uses}' is neither our action nor a pinned third-party one`);
}

/** Every `${{ … }}` text of a job (with:, env:, if:, run:, outputs, names), flattened. */
function expressionsOf(job: Job): string[] {
  const texts: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') texts.push(...(value.match(/\$\{\{[\s\S]*?\}\}/g) ?? []));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(job);
  // `if:` may leave out ${{ }}.
  for (const condition of [job.if, ...(job.steps ?? []).map((s) => s.if)]) {
    if (typeof condition === 'string' && !condition.includes('${{')) texts.push(condition);
  }
  return texts;
}

describe('with: keys', () => {
  it.each(actionSteps.map((s) => [s.where, s] as const))('%s', (_where, s) => {
    const { inputs, required } = declared(s.step.uses!);
    const given = Object.keys(s.step.with ?? {});
    expect(given.filter((key) => !inputs.includes(key))).toEqual([]);
    expect(required.filter((key) => !given.includes(key))).toEqual([]);
  });

  const calls = jobs.filter(({ job }) => job.uses !== undefined);
  it.each(calls.map((c) => [`${c.workflow.file} job '${c.id}'`, c] as const))(
    '%s calls its workflow with inputs it declares',
    (_where, { job }) => {
      const target = resolveUses(job.uses!, own);
      if (target.kind !== 'own-workflow') throw new Error(`${job.uses} is not our workflow`);
      const specs = loadWorkflow(target.file).on.workflow_call?.inputs ?? {};
      const given = Object.keys(job.with ?? {});
      expect(given.filter((key) => !(key in specs))).toEqual([]);
      const required = Object.entries(specs)
        .filter(([, s]) => s.required)
        .map(([k]) => k);
      expect(required.filter((key) => !given.includes(key))).toEqual([]);
    },
  );
});

describe('outputs read by expressions exist', () => {
  it.each(jobs.map((j) => [`${j.workflow.file} job '${j.id}'`, j] as const))(
    '%s',
    (_w, { workflow, job }) => {
      const problems: string[] = [];
      for (const text of expressionsOf(job)) {
        for (const [, id, name] of text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
          const step = (job.steps ?? []).find((s) => s.id === id);
          if (!step) problems.push(`steps.${id}: no step has that id`);
          else if (step.uses && !declared(step.uses).outputs.includes(name!)) {
            problems.push(`steps.${id}.outputs.${name}: ${step.uses} declares no such output`);
          } else if (step.run && !new RegExp(`\\b${name}(=|<<)`).test(step.run)) {
            problems.push(`steps.${id}.outputs.${name}: the script never writes it`);
          }
        }
        for (const [, need, name] of text.matchAll(/needs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
          if (!needsOf(job).includes(need!)) problems.push(`needs.${need}: not in needs`);
          const needed = workflow.jobs[need!];
          const outputs = needed?.uses
            ? Object.keys(
                loadWorkflow((resolveUses(needed.uses, own) as { file: string }).file).on
                  .workflow_call?.outputs ?? {},
              )
            : Object.keys(needed?.outputs ?? {});
          if (!outputs.includes(name!))
            problems.push(`needs.${need}.outputs.${name}: not an output`);
        }
      }
      expect(problems).toEqual([]);
    },
  );

  it.each(workflows.filter((w) => w.on.workflow_call?.outputs).map((w) => [w.file, w] as const))(
    '%s: workflow outputs name job outputs that exist',
    (_file, workflow) => {
      for (const { value } of Object.values(workflow.on.workflow_call!.outputs!)) {
        const [, job, name] = /jobs\.([\w-]+)\.outputs\.([\w-]+)/.exec(value)!;
        expect(Object.keys(workflow.jobs[job!]?.outputs ?? {})).toContain(name);
      }
    },
  );
});

describe('permissions', () => {
  const calls = jobs.filter(({ job }) => job.uses !== undefined);
  it.each(calls.map((c) => [`${c.workflow.file} job '${c.id}'`, c] as const))(
    '%s grants every job of the workflow it calls what that job asks for',
    (_where, { job }) => {
      const allowed = permissionsOf(job.permissions);
      const called = loadWorkflow((resolveUses(job.uses!, own) as { file: string }).file);
      const rank = { none: 0, read: 1, write: 2 };
      for (const [id, nested] of Object.entries(called.jobs)) {
        for (const [scope, level] of Object.entries(permissionsOf(nested.permissions))) {
          expect(
            `${id} ${scope}: ${rank[level] <= rank[allowed[scope] ?? 'none'] ? 'ok' : level}`,
          ).toBe(`${id} ${scope}: ok`);
        }
      }
    },
  );

  const stepJobs = jobs.filter(({ job }) => job.steps !== undefined);
  it.each(stepJobs.map((j) => [`${j.workflow.file} job '${j.id}'`, j] as const))(
    '%s has id-token: write exactly when it calls Azure',
    (_where, { job }) => {
      const callsAzure = (job.steps ?? []).some((step) => {
        if (!step.uses) return false;
        const target = resolveUses(step.uses, own);
        return (
          target.kind === 'own-action' &&
          'subscription-id' in (loadOwnAction(target.action)?.inputs ?? {})
        );
      });
      expect(permissionsOf(job.permissions)['id-token']).toBe(callsAzure ? 'write' : 'none');
    },
  );
});

describe('our own actions and workflows', () => {
  const references = [
    ...actionSteps.map((s) => s.step.uses!),
    ...jobs.flatMap(({ job }) => (job.uses ? [job.uses] : [])),
  ].filter((uses) => !uses.startsWith('actions/'));

  it('are called as $/… by our workflows, and pinned by the demo caller', () => {
    const caller = demoCaller();
    for (const uses of references) {
      if (Object.values(caller.jobs).some((j) => j.uses === uses)) {
        expect(uses).toMatch(new RegExp(`^${own}/\\.github/workflows/images\\.yml@[0-9a-f]{40}$`));
      } else if (Object.values(caller.jobs).some((j) => j.steps?.some((s) => s.uses === uses))) {
        // The caller's own steps (publish-catalog) pin the same commit.
        expect(uses).toMatch(new RegExp(`^${own}/actions/[\\w-]+@[0-9a-f]{40}$`));
      } else {
        expect(uses).toMatch(/^\$\/(actions\/[\w-]+|\.github\/workflows\/[\w-]+\.yml)$/);
      }
    }
  });

  it('actions/plan/action.yml is the root action.yml, pointed at the same bundle', () => {
    const root = readFileSync(path.join(repositoryRoot, 'action.yml'), 'utf8');
    const plan = readFileSync(path.join(repositoryRoot, 'actions/plan/action.yml'), 'utf8');
    expect(plan).toBe(root.replace('main: dist/plan/index.js', 'main: ../../dist/plan/index.js'));
  });

  it('never by ./ from a reusable workflow, where ./ is the caller’s checkout', () => {
    const reusable = workflows.filter((w) => w.on.workflow_call !== undefined);
    for (const workflow of reusable) {
      for (const job of Object.values(workflow.jobs)) {
        expect(job.uses ?? '').not.toMatch(/^\.\//);
        for (const step of job.steps ?? []) expect(step.uses ?? '').not.toMatch(/^\.\//);
      }
    }
  });
});

describe('concurrency and artifacts', () => {
  it.each([
    ['.github/workflows/image.yml', 'publish'],
    ['.github/workflows/image.yml', 'promote'],
    ['.github/workflows/images.yml', 'promote'],
    ['.github/workflows/images.yml', 'cleanup'],
  ])('%s job %s queues per gallery (and image version) without cancelling', (file, id) => {
    const job = workflows.find((w) => w.file === file)!.jobs[id]!;
    const concurrency = job.concurrency as { group: string; 'cancel-in-progress': boolean };
    expect(concurrency['cancel-in-progress']).toBe(false);
    expect(concurrency.group).toMatch(/gallery/);
    if (id !== 'cleanup') expect(concurrency.group).toMatch(/image-version \}\}$/);
  });

  it('names every artifact of image.yml after the leg’s OS target and version', () => {
    const uploads = actionSteps.filter(
      (s) =>
        s.workflow.file === '.github/workflows/image.yml' &&
        s.step.uses!.startsWith('actions/upload-artifact@'),
    );
    expect(uploads).toHaveLength(3);
    for (const { step } of uploads) {
      expect(step.with!.name).toMatch(/\$\{\{ inputs\.os \}\}-\$\{\{ [^}]*version[^}]* \}\}$/);
    }
  });
});
