/** record-leg: the inputs its code reads, their defaults and its outputs, as action.yml declares them. */
import { defineAction } from '../../runner/spec.js';

export const RECORD_LEG = defineAction({
  name: 'record-leg',
  inputs: ['mode', 'leg', 'jobs', 'step', 'skip-validation', 'directory'],
  defaults: { mode: 'write', 'skip-validation': false },
  outputs: [
    'path',
    'name',
    'staging-image-version-id',
    'validation-result',
    'image-version',
    'promotable',
  ],
});
