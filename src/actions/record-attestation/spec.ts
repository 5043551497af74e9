/** record-attestation: the inputs its code reads, their defaults and its outputs, as action.yml declares them. */
import { AZURE_INPUT_DEFAULTS } from '../../common/inputs.js';
import { defineAction } from '../../runner/spec.js';
import { RECORD_ATTESTATION_DEFAULTS, RECORD_ATTESTATION_INPUTS } from './inputs.js';

export const RECORD_ATTESTATION = defineAction({
  name: 'record-attestation',
  inputs: RECORD_ATTESTATION_INPUTS,
  defaults: { ...AZURE_INPUT_DEFAULTS, ...RECORD_ATTESTATION_DEFAULTS },
  outputs: ['image-version-id', 'changed'],
});
