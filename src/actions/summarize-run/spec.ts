/** summarize-run: the inputs its code reads and its outputs, as action.yml declares them. */
import { defineAction } from '../../runner/spec.js';

export const SUMMARIZE_RUN = defineAction({
  name: 'summarize-run',
  inputs: ['records'],
  defaults: {},
  outputs: [],
});
