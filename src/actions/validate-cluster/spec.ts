/** validate-cluster: the inputs its code reads, their defaults and its outputs, as action.yml declares them. */
import { AZURE_INPUT_DEFAULTS } from '../../common/inputs.js';
import { defineAction } from '../../runner/spec.js';
import { VALIDATE_CLUSTER_DEFAULTS, VALIDATE_CLUSTER_INPUTS } from './inputs.js';

export const VALIDATE_CLUSTER = defineAction({
  name: 'validate-cluster',
  inputs: VALIDATE_CLUSTER_INPUTS,
  defaults: { ...AZURE_INPUT_DEFAULTS, ...VALIDATE_CLUSTER_DEFAULTS },
  outputs: ['result', 'report', 'kubelet-version', 'checks'],
});
