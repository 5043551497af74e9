/** publish-to-gallery: the inputs its code reads, their defaults and its outputs, as action.yml declares them. */
import { AZURE_INPUT_DEFAULTS } from '../../common/inputs.js';
import { defineAction } from '../../runner/spec.js';
import { PUBLISH_TO_GALLERY_DEFAULTS, PUBLISH_TO_GALLERY_INPUTS } from './inputs.js';

export const PUBLISH_TO_GALLERY = defineAction({
  name: 'publish-to-gallery',
  inputs: PUBLISH_TO_GALLERY_INPUTS,
  defaults: { ...AZURE_INPUT_DEFAULTS, ...PUBLISH_TO_GALLERY_DEFAULTS },
  outputs: [
    'image-version-id',
    'image-definition-id',
    'gallery-id',
    'image-reference',
    'community-image-id',
    'created',
  ],
});
