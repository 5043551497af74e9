/** promote: the inputs its code reads, their defaults and its outputs, as action.yml declares them. */
import { AZURE_INPUT_DEFAULTS } from '../../common/inputs.js';
import { defineAction } from '../../runner/spec.js';
import { PROMOTE_DEFAULTS, PROMOTE_INPUTS } from './inputs.js';

export const PROMOTE = defineAction({
  name: 'promote',
  inputs: PROMOTE_INPUTS,
  defaults: { ...AZURE_INPUT_DEFAULTS, ...PROMOTE_DEFAULTS },
  outputs: ['image-version-id', 'community-image-id', 'image-reference', 'created'],
});
