/** publish-catalog: the inputs its code reads, their defaults and its outputs, as action.yml declares them. */
import { defineAction } from '../../runner/spec.js';
import { PUBLISH_CATALOG_DEFAULTS, PUBLISH_CATALOG_INPUTS } from './inputs.js';

export const PUBLISH_CATALOG = defineAction({
  name: 'publish-catalog',
  inputs: PUBLISH_CATALOG_INPUTS,
  defaults: PUBLISH_CATALOG_DEFAULTS,
  outputs: ['changed', 'commit-sha', 'markdown-url', 'json-url'],
});
