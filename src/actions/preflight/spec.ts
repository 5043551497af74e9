/** preflight: the inputs its code reads, their defaults and its outputs, as action.yml declares them. */
import { AZURE_INPUT_DEFAULTS } from '../../common/inputs.js';
import { defineAction } from '../../runner/spec.js';
import { PREFLIGHT_DEFAULTS, PREFLIGHT_INPUTS } from './inputs.js';

export const PREFLIGHT = defineAction({
  name: 'preflight',
  inputs: PREFLIGHT_INPUTS,
  defaults: { ...AZURE_INPUT_DEFAULTS, ...PREFLIGHT_DEFAULTS },
  outputs: ['public-name'],
});
