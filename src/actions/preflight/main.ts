import { preflight } from '../../gallery/preflight.js';
import {
  actionsLogger,
  azureForAction,
  runAction,
  setOutputs,
  writeSummary,
} from '../../runner/runtime.js';
import { declaredInputs } from '../../runner/spec.js';
import { getPreflightInputs } from './inputs.js';
import { PREFLIGHT } from './spec.js';

/** preflight: what the run needs after the build, checked before it. */
export async function run(): Promise<void> {
  await runAction(async () => {
    const settings = getPreflightInputs(declaredInputs(PREFLIGHT));
    const result = await preflight(settings, {
      ...(settings.promote ? { api: azureForAction(settings.azure, 'preflight').compute } : {}),
      logger: actionsLogger,
    });
    setOutputs(PREFLIGHT, { 'public-name': result.publicName });
    await writeSummary(
      ['### preflight', '', ...result.checks.map((c) => `- ✓ ${c}`), ''].join('\n'),
    );
  });
}
