/** build-image: the inputs its code reads, their defaults and its outputs, as action.yml declares them. */
import { AZURE_INPUT_DEFAULTS } from '../../common/inputs.js';
import { defineAction } from '../../runner/spec.js';
import { BUILD_IMAGE_DEFAULTS, BUILD_IMAGE_INPUTS } from './inputs.js';

export const BUILD_IMAGE = defineAction({
  name: 'build-image',
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
    'hyper-v-generation',
    'security-type',
    'image-definition',
    'image-version',
    'manifest',
  ],
});
