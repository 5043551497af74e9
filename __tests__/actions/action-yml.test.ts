import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { BUILD_IMAGE_DEFAULTS, BUILD_IMAGE_INPUTS } from '../../src/actions/build-image/inputs.js';
import {
  PUBLISH_TO_GALLERY_DEFAULTS,
  PUBLISH_TO_GALLERY_INPUTS,
} from '../../src/actions/publish-to-gallery/inputs.js';
import { CLEANUP_DEFAULTS, CLEANUP_INPUTS } from '../../src/actions/cleanup/inputs.js';
import { INVENTORY_DEFAULTS, INVENTORY_INPUTS } from '../../src/actions/inventory/inputs.js';
import { PLAN_DEFAULTS, PLAN_INPUTS } from '../../src/actions/plan/inputs.js';
import { PROMOTE_DEFAULTS, PROMOTE_INPUTS } from '../../src/actions/promote/inputs.js';
import { AZURE_INPUT_DEFAULTS } from '../../src/common/inputs.js';
import {
  VALIDATE_CLUSTER_DEFAULTS,
  VALIDATE_CLUSTER_INPUTS,
} from '../../src/actions/validate-cluster/inputs.js';

interface ActionYml {
  inputs: Record<string, { required?: boolean; default?: string; description: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

/** Each action: what its code reads, the defaults the code applies, the outputs docs/design.md ("contracts") promises. */
const ACTIONS = [
  {
    file: 'actions/publish-to-gallery/action.yml',
    inputs: PUBLISH_TO_GALLERY_INPUTS,
    defaults: { ...AZURE_INPUT_DEFAULTS, ...PUBLISH_TO_GALLERY_DEFAULTS },
    outputs: [
      'image-version-id',
      'image-definition-id',
      'gallery-id',
      'image-reference',
      'community-image-id',
      'created',
      'content-digest',
      'subject-digest',
    ],
  },
  {
    file: 'actions/promote/action.yml',
    inputs: PROMOTE_INPUTS,
    defaults: { ...AZURE_INPUT_DEFAULTS, ...PROMOTE_DEFAULTS },
    outputs: ['image-version-id', 'community-image-id', 'image-reference', 'created'],
  },
  {
    file: 'actions/cleanup/action.yml',
    inputs: CLEANUP_INPUTS,
    defaults: { ...AZURE_INPUT_DEFAULTS, ...CLEANUP_DEFAULTS },
    outputs: ['planned', 'deleted', 'yanked', 'kept'],
  },
  {
    file: 'actions/inventory/action.yml',
    inputs: INVENTORY_INPUTS,
    defaults: { ...AZURE_INPUT_DEFAULTS, ...INVENTORY_DEFAULTS },
    outputs: ['json', 'markdown', 'latest', 'counts'],
  },
  {
    file: 'actions/build-image/action.yml',
    inputs: BUILD_IMAGE_INPUTS,
    defaults: { ...AZURE_INPUT_DEFAULTS, ...BUILD_IMAGE_DEFAULTS },
    outputs: [
      'managed-image-id',
      'image-version-id',
      'vhd-uri',
      'vhd-sha256',
      'content-digest',
      'storage-account-id',
      'os-type',
      'security-type',
      'hyper-v-generation',
      'image-definition',
      'image-version',
      'manifest',
    ],
  },
  {
    file: 'actions/validate-cluster/action.yml',
    inputs: VALIDATE_CLUSTER_INPUTS,
    defaults: { ...AZURE_INPUT_DEFAULTS, ...VALIDATE_CLUSTER_DEFAULTS },
    outputs: ['result', 'report', 'kubelet-version', 'checks'],
  },
  {
    file: 'action.yml',
    inputs: PLAN_INPUTS,
    defaults: { ...AZURE_INPUT_DEFAULTS, ...PLAN_DEFAULTS },
    outputs: ['matrix', 'kubernetes-versions', 'empty'],
  },
];

describe.each(ACTIONS)('$file', ({ file, inputs, defaults, outputs }) => {
  const yml = parse(readFileSync(file, 'utf8')) as ActionYml;

  it('declares exactly the inputs the code reads', () => {
    expect(Object.keys(yml.inputs).sort()).toEqual([...inputs].sort());
  });

  it('states the same defaults as the code', () => {
    for (const [name, value] of Object.entries(defaults)) {
      expect({ name, default: yml.inputs[name]?.default }).toEqual({
        name,
        default: String(value),
      });
    }
    // An expression default (`${{ github.token }}`) is the runner's to fill in, not the code's.
    const undocumented = Object.entries(yml.inputs).filter(
      ([name, i]) => i.default !== undefined && !i.default.startsWith('${{') && !(name in defaults),
    );
    expect(undocumented).toEqual([]);
  });

  it('describes every input and output, and promises the designed outputs', () => {
    expect(Object.keys(yml.outputs).sort()).toEqual([...outputs].sort());
    for (const entry of [...Object.values(yml.inputs), ...Object.values(yml.outputs)]) {
      expect(entry.description.length).toBeGreaterThan(10);
    }
  });

  it('runs on node24 from a committed bundle', () => {
    expect(yml.runs.using).toBe('node24');
    expect(existsSync(resolve(dirname(file), yml.runs.main))).toBe(true);
    expect(yml.runs.main).toMatch(/dist\/[a-z-]+\/index\.js$/);
  });
});
