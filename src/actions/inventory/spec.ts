/** inventory: the inputs its code reads, their defaults and its outputs, as action.yml declares them. */
import { AZURE_INPUT_DEFAULTS } from '../../common/inputs.js';
import { defineAction } from '../../runner/spec.js';
import { INVENTORY_DEFAULTS, INVENTORY_INPUTS } from './inputs.js';

export const INVENTORY = defineAction({
  name: 'inventory',
  inputs: INVENTORY_INPUTS,
  defaults: { ...AZURE_INPUT_DEFAULTS, ...INVENTORY_DEFAULTS },
  outputs: ['json', 'markdown', 'latest', 'counts'],
});
