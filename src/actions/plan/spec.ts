/** plan: the inputs its code reads, their defaults and its outputs, as action.yml declares them. */
import { AZURE_INPUT_DEFAULTS } from '../../common/inputs.js';
import { defineAction } from '../../runner/spec.js';
import { PLAN_DEFAULTS, PLAN_INPUTS } from './inputs.js';

export const PLAN = defineAction({
  name: 'plan',
  inputs: PLAN_INPUTS,
  defaults: { ...AZURE_INPUT_DEFAULTS, ...PLAN_DEFAULTS },
  outputs: ['matrix', 'kubernetes-versions', 'empty'],
});
