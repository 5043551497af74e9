/**
 * Issue 11: one test per numbered item, each run against the workflows in the runner simulation
 * (scripts/lib/demo-github.ts) and against the same workflow as it was before the fix (rebuilt
 * here by undoing the fix in the text), which must fail the same check, as it would on GitHub.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repositoryRoot } from '../../scripts/lib/actions.js';
import {
  DEMO_CALLER_REPOSITORY,
  DEMO_PINNED_SHA,
  demoCaller,
} from '../../scripts/lib/demo-caller.js';
import { evaluateCondition } from '../../scripts/lib/demo-expressions.js';
import {
  ConcurrencyGroups,
  failFastOf,
  makeToolbox,
  mergeLegOutputs,
  oidcClaims,
  secretsForCall,
  unresolvedReferences,
  workflowConcurrency,
} from '../../scripts/lib/demo-github.js';
import { checkNested, permissionsOf } from '../../scripts/lib/demo-job.js';
import {
  loadWorkflow,
  ownRepository,
  parseWorkflowText,
  type Workflow,
} from '../../scripts/lib/demo-workflow.js';

const own = ownRepository();
const world = {
  repositories: [
    { name: DEMO_CALLER_REPOSITORY, ownerId: 1, id: 2, immutableSubjects: true, refs: ['main'] },
    { name: own, refs: [DEMO_PINNED_SHA] },
  ],
};
const text = (file: string): string => readFileSync(path.join(repositoryRoot, file), 'utf8');
/** Loads our workflows, with `edit` applied to each text (the fix undone). */
const loader =
  (edit: (file: string, text: string) => string = (_f, t) => t) =>
  (file: string): Workflow =>
    parseWorkflowText(edit(file, text(file)), file);
/** The pre-fix spelling of our own references. */
const placeholders = (_file: string, t: string): string =>
  t
    .replace(/\$\/\.github\/workflows\/([\w.-]+)/g, `${own}/.github/workflows/$1@v1`)
    .replace(/\$\/actions\/plan\b/g, `${own}@v1`)
    .replace(/\$\/actions\/([\w-]+)/g, `${own}/actions/$1@v1`);

describe('1. references resolve when the run is created', () => {
  it('the demo caller, and every workflow it calls, resolve', () => {
    expect(unresolvedReferences(demoCaller(), world, loader())).toEqual([]);
  });

  it('today’s <owner>/<repo>/…@v1 references do not: the run fails before any job', () => {
    const problems = unresolvedReferences(demoCaller(), world, loader(placeholders));
    expect(problems).toContainEqual(
      expect.stringMatching(/images\.yml job 'images': .*image\.yml@v1': 'v1' is not a ref/),
    );
  });

  it('kubernetes-release.yml resolves in this repository; a caller’s $/ names the caller', () => {
    const release = loadWorkflow('.github/workflows/kubernetes-release.yml');
    expect(unresolvedReferences(release, world, loader())).toEqual([]);
    const caller = parseWorkflowText(
      'on: push\njobs:\n  a:\n    uses: $/.github/workflows/images.yml\n',
      'x.yml',
      DEMO_CALLER_REPOSITORY,
    );
    expect(unresolvedReferences(caller, world, loader())).toEqual([
      expect.stringMatching(/example\/capz-images has no workflow/),
    ]);
  });

  it('a repository that does not exist fails the run', () => {
    const caller = parseWorkflowText(
      'on: push\njobs:\n  a:\n    uses: someone-else/compute-gallery-actions/.github/workflows/images.yml@v1\n',
      'x.yml',
      DEMO_CALLER_REPOSITORY,
    );
    expect(unresolvedReferences(caller, world, loader())).toEqual([
      expect.stringMatching(/repository 'someone-else\/compute-gallery-actions' not found/),
    ]);
  });
});

describe('2. run steps see the tools of ubuntu-24.04, not this machine', () => {
  // The toolbox links what this machine has of the runner image's tools: a bare machine may
  // lack jq (or qemu-img), and then the job lacks it too.
  const onHost = (tool: string): boolean => {
    try {
      execFileSync('bash', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  const hasQemu = onHost('qemu-img');
  const bin = makeToolbox(mkdtempSync(path.join(tmpdir(), 'toolbox-')));
  const sh = (script: string): string =>
    execFileSync('bash', ['-c', script], { env: { PATH: bin }, encoding: 'utf8' }).trim();

  it('jq and make are there, qemu-img only after a step installs qemu-utils', () => {
    expect(sh('command -v jq || echo none') !== 'none').toBe(onHost('jq'));
    expect(sh('command -v make || echo none') !== 'none').toBe(onHost('make'));
    expect(sh('command -v qemu-img || echo none')).toBe('none');
    sh('sudo apt-get install --yes --no-install-recommends qemu-utils');
    if (hasQemu) expect(existsSync(path.join(bin, 'qemu-img'))).toBe(true);
  });

  it("a runner's own tools (the stand-in make) win over this machine's", () => {
    const shim = fileURLToPath(new URL('../fixtures/build/bin/make', import.meta.url));
    const own = makeToolbox(mkdtempSync(path.join(tmpdir(), 'toolbox-')), process.env.PATH, {
      make: shim,
    });
    const found = execFileSync('bash', ['-c', 'readlink "$(command -v make)"'], {
      env: { PATH: own },
      encoding: 'utf8',
    }).trim();
    expect(found).toBe(shim);
    expect(sh('readlink "$(command -v make)" || echo none')).not.toBe(shim);
  });

  const installsQemu = (workflow: Workflow, builder: string): boolean => {
    const steps = workflow.jobs.build!.steps!;
    const build = steps.findIndex((s) => s.id === 'build');
    return steps
      .slice(0, build)
      .some(
        (s) =>
          /apt-get install .*qemu-utils/.test(s.run ?? '') &&
          evaluateCondition(s.if, { inputs: { builder } }, { failed: false, cancelled: false }),
      );
  };

  it('image.yml installs qemu-img before a disk or stemcell build, and only then', () => {
    const image = loader()('.github/workflows/image.yml');
    expect(
      ['disk', 'stemcell', 'image-builder', 'packer'].map((b) => installsQemu(image, b)),
    ).toEqual([true, true, false, false]);
    const before = loader((_f, t) =>
      t.replace(/\n {6}- name: Install qemu-img[\s\S]*?qemu-utils\n/, '\n'),
    )('.github/workflows/image.yml');
    expect(installsQemu(before, 'disk')).toBe(false);
  });
});

describe('3. a disk image in Git LFS', () => {
  it('image.yml checks the caller out with LFS when the caller says', () => {
    const image = loadWorkflow('.github/workflows/image.yml');
    expect(image.on.workflow_call!.inputs!.lfs).toMatchObject({ type: 'boolean', default: false });
    const checkout = image.jobs.build!.steps!.find(
      (s) => s.uses?.startsWith('actions/checkout@') && !s.with?.repository,
    );
    expect(checkout!.with!.lfs).toBe('${{ inputs.lfs }}');
  });
});

describe('4. OIDC subjects as GitHub issues them', () => {
  const repo = { name: 'octo/images', ownerId: 11, id: 22, refs: [] };
  it('immutable IDs when the repository has them; environment, branch or tag', () => {
    const sub = (o: Partial<Parameters<typeof oidcClaims>[0]>) =>
      oidcClaims({
        repository: repo,
        ref: 'refs/heads/main',
        sha: 'x',
        eventName: 'schedule',
        jobWorkflowRef: 'j',
        ...o,
      }).sub;
    expect(sub({})).toBe('repo:octo/images:ref:refs/heads/main');
    expect(sub({ repository: { ...repo, immutableSubjects: true } })).toBe(
      'repo:octo@11/images@22:ref:refs/heads/main',
    );
    expect(sub({ ref: 'refs/tags/v1.2.3' })).toBe('repo:octo/images:ref:refs/tags/v1.2.3');
    expect(sub({ environment: 'production' })).toBe('repo:octo/images:environment:production');
  });

  it('scripts/oidc-subjects.ts prints them', () => {
    const out = execFileSync(
      process.execPath,
      [
        path.join(repositoryRoot, 'node_modules/tsx/dist/cli.mjs'),
        'scripts/oidc-subjects.ts',
        '--repository',
        'octo/images',
        '--owner-id',
        '11',
        '--repository-id',
        '22',
        '--environment',
        'production',
        '--ref',
        'refs/heads/main',
        '--ref',
        'refs/tags/v1.2.3',
      ],
      { cwd: repositoryRoot, encoding: 'utf8' },
    );
    expect(out).toContain('repo:octo@11/images@22:environment:production');
    expect(out).toContain('repo:octo@11/images@22:ref:refs/heads/main');
    expect(out).toContain('repo:octo@11/images@22:ref:refs/tags/v1.2.3');
    expect(out).toContain('repo:octo/images:environment:production');
  });
});

describe('5. the production identity only where production is written', () => {
  /** [file, job, step, client-id expression] for every step that signs in. */
  const signIns = ['.github/workflows/image.yml', '.github/workflows/images.yml'].flatMap((file) =>
    Object.entries(loadWorkflow(file).jobs).flatMap(([id, job]) =>
      (job.steps ?? [])
        .filter((s) => s.with?.['client-id'] !== undefined)
        .map((s) => ({ file, id, job, clientId: String(s.with!['client-id']) })),
    ),
  );

  it('promote and production cleanup use it, in the environment; no other job does', () => {
    const production = signIns.filter((s) => s.clientId.includes('production-client-id'));
    expect(production.map((s) => `${s.file} ${s.id}`)).toEqual([
      '.github/workflows/image.yml promote',
      '.github/workflows/images.yml promote',
      '.github/workflows/images.yml cleanup',
    ]);
    for (const s of production) expect(s.job.environment).toBeDefined();
    for (const s of signIns.filter((x) => !production.includes(x)))
      expect(s.job.environment).toBeUndefined();
  });
});

describe('6. every trigger is safe to lose', () => {
  it('a newer pending run cancels the older pending one, as GitHub does', () => {
    const groups = new ConcurrencyGroups();
    expect(groups.queue('g', 'a')).toEqual({ starts: true, cancelled: [] });
    expect(groups.queue('G', 'b')).toEqual({ starts: false, cancelled: [] });
    expect(groups.queue('g', 'c')).toEqual({ starts: false, cancelled: ['b'] });
    expect(groups.finish('g', 'a')).toBe('c');
  });

  /** A run waiting on approval, then a dispatch, then a cron tick: which runs are lost. */
  const lost = (workflow: Workflow): string[] => {
    const groups = new ConcurrencyGroups();
    const cancelled: string[] = [];
    for (const run of ['waiting-for-approval', 'dispatch-v1.34.2', 'cron']) {
      const c = workflowConcurrency(workflow, { github: {}, inputs: {}, vars: {} });
      if (c) cancelled.push(...groups.queue(c.group, run, c.cancelInProgress).cancelled);
    }
    return cancelled;
  };

  it('kubernetes-release.yml loses no trigger; with a workflow concurrency group it lost the dispatch', () => {
    expect(lost(loadWorkflow('.github/workflows/kubernetes-release.yml'))).toEqual([]);
    const before = loader((_f, t) =>
      t.replace(
        'permissions: {}\n',
        'permissions: {}\n\nconcurrency:\n  group: kubernetes-release\n  cancel-in-progress: false\n',
      ),
    )('.github/workflows/kubernetes-release.yml');
    expect(lost(before)).toEqual(['dispatch-v1.34.2']);
  });
});

describe('6. one approval per run, and no leg holding a slot while it waits', () => {
  /** Jobs of a run of images.yml that wait on an environment, and whether any is in a max-parallel matrix. */
  const gates = (images: Workflow): { perLeg: boolean; afterAll: boolean } => {
    const call = images.jobs.images!;
    const promoteInLegs = evaluateCondition(
      String(call.with!.promote).replace(/^\$\{\{\s*|\s*\}\}$/g, ''),
      { needs: { plan: { outputs: { promote: 'true' } } }, matrix: { prerelease: false } },
      { failed: false, cancelled: false },
    );
    const after = images.jobs.promote;
    return {
      perLeg: promoteInLegs,
      afterAll:
        after?.environment !== undefined &&
        (after.strategy as { 'max-parallel'?: unknown } | undefined)?.['max-parallel'] ===
          undefined,
    };
  };

  it('images.yml: legs do not wait for reviewers; one promote job after them all does', () => {
    expect(gates(loadWorkflow('.github/workflows/images.yml'))).toEqual({
      perLeg: false,
      afterAll: true,
    });
    // Before: every leg promoted in its own environment job, inside max-parallel: 4.
    const before = loader((_f, t) =>
      t
        .replace(
          '      promote: false\n',
          "      promote: ${{ needs.plan.outputs.promote == 'true' && !matrix.prerelease }}\n",
        )
        .replace(/\n {2}promote:\n[\s\S]*?\n\n(?= {2}# Production)/, '\n'),
    )('.github/workflows/images.yml');
    expect(gates(before)).toEqual({ perLeg: true, afterAll: false });
  });
});

describe('7. secrets cross only when passed', () => {
  const images = loadWorkflow('.github/workflows/images.yml');
  const callJob = (workflow: Workflow) => workflow.jobs.images!;
  const contexts = { secrets: { CGA_KUBECONFIG: 'kubeconfig-text', OTHER: 'x' } };

  it('kubernetes-release.yml passes the kubeconfig to images.yml; without secrets: it got none', () => {
    const release = loadWorkflow('.github/workflows/kubernetes-release.yml');
    expect(secretsForCall(callJob(release), images, contexts.secrets, contexts, 'w')).toEqual({
      kubeconfig: 'kubeconfig-text',
    });
    const { secrets: _dropped, ...before } = callJob(release);
    expect(secretsForCall(before, images, contexts.secrets, contexts, 'w')).toEqual({});
  });

  it('an undeclared secret fails the call; inherit passes all', () => {
    expect(() => secretsForCall({ secrets: { token: 'x' } }, images, {}, contexts, 'w')).toThrow(
      /Invalid secret, token is not defined in the referenced workflow/,
    );
    expect(secretsForCall({ secrets: 'inherit' }, images, contexts.secrets, contexts, 'w')).toEqual(
      contexts.secrets,
    );
  });

  it('a called workflow may not ask for more permissions than the calling job grants', () => {
    const granted = permissionsOf({ contents: 'read' });
    const nested = permissionsOf(images.jobs.plan!.permissions);
    expect(() => checkNested(nested, granted, 'images.yml job plan')).toThrow(
      /requesting 'id-token: write', but is only allowed 'id-token: none'/,
    );
  });
});

describe('matrix outputs and fail-fast as GitHub has them', () => {
  it('legs’ outputs combine; an empty or secret-bearing value is never sent', () => {
    const first = mergeLegOutputs({}, { a: '1', b: 'x' });
    expect(mergeLegOutputs(first, { a: '', b: 'y', c: 'has s3cret inside' }, ['s3cret'])).toEqual({
      a: '1',
      b: 'y',
    });
  });

  it('fail-fast is on unless a strategy turns it off; images.yml turns it off', () => {
    expect(failFastOf(undefined)).toBe(true);
    expect(failFastOf({})).toBe(true);
    expect(failFastOf({ 'fail-fast': false })).toBe(false);
    expect(failFastOf(loadWorkflow('.github/workflows/images.yml').jobs.images!.strategy)).toBe(
      false,
    );
  });
});
