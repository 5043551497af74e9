/** cleanup: the inputs its code reads, their defaults and its outputs, as action.yml declares them. */
import { AZURE_INPUT_DEFAULTS } from '../../common/inputs.js';
import { defineAction } from '../../runner/spec.js';
import { CLEANUP_DEFAULTS, CLEANUP_INPUTS } from './inputs.js';

export const CLEANUP = defineAction({
  name: 'cleanup',
  inputs: CLEANUP_INPUTS,
  defaults: { ...AZURE_INPUT_DEFAULTS, ...CLEANUP_DEFAULTS },
  outputs: ['planned', 'deleted', 'yanked', 'kept'],
});
