import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../common/exec.js';
import {
  actionsLogger,
  azureForAction,
  runAction,
  setOutputs,
  writeSummary,
} from '../../runner/runtime.js';
import { declaredInputs } from '../../runner/spec.js';
import * as runner from '../../runner/state.js';
import { checksOutput, failureMessage, writeReport } from '../../validate/report.js';
import type { ValidationReport } from '../../validate/report.js';
import { validateImage } from '../../validate/validate.js';
import { runIdentity } from '../../validate/vm/plan.js';
import { getInputs, loadClusterInputs } from './inputs.js';
import type { ValidateClusterSettings } from './inputs.js';
import { VALIDATE_CLUSTER } from './spec.js';
import { validationSummary } from './summary.js';

/**
 * validate-cluster: boots the staging version (a VM, or a CAPZ workload cluster), checks it runs
 * Kubernetes, reports, and deletes what it made; `post.ts` deletes it if this step cannot.
 */
export async function run(): Promise<void> {
  await runAction(async () => {
    // Every input, and every file an input names, is checked before anything talks to Azure.
    const settings = getInputs(declaredInputs(VALIDATE_CLUSTER));
    const { azure, cluster, mode: _mode, ...request } = settings;
    const loaded = cluster ? { ...cluster, ...(await loadClusterInputs(cluster)) } : undefined;
    const report = await validateImage(
      {
        ...request,
        subscriptionId: azure.subscriptionId,
        ...(azure.tenantId ? { tenantId: azure.tenantId } : {}),
        ...(loaded ? { cluster: loaded } : {}),
      },
      {
        clients: azureForAction(azure, 'validate-cluster'),
        logger: actionsLogger,
        run: runCommand,
        runId: runIdentity(process.env, new Date()),
        saveState: runner.saveState,
        maskSecret: runner.setSecret,
        fetchText,
        env: process.env,
        signal: cancelOnSignal(),
      },
    );
    await finish(settings, report);
  });
}

/** Report file, outputs, job summary, and the step's failure when the image failed. */
async function finish(settings: ValidateClusterSettings, report: ValidationReport): Promise<void> {
  const { gallery, imageDefinition, version } = settings.imageVersion;
  const path = join(
    process.env.RUNNER_TEMP ?? tmpdir(),
    'validate-cluster',
    `${gallery}-${imageDefinition}-${version}-${report.mode}.json`,
  );
  await writeReport(path, report);
  setOutputs(VALIDATE_CLUSTER, {
    result: report.result,
    report: path,
    'kubelet-version': report.kubeletVersion,
    checks: checksOutput(report.checks),
  });
  await writeSummary(validationSummary(report, path));
  if (report.result === 'failed') runner.setFailed(failureMessage(report));
}

/** The runner stops a cancelled step with SIGINT, then SIGTERM: stop waiting, clean up. */
function cancelOnSignal(): AbortSignal {
  const controller = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      actionsLogger.warning(`Received ${signal}: stopping the validation and cleaning up.`);
      controller.abort();
    });
  }
  return controller.signal;
}

async function fetchText(url: string): Promise<string> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url.split('?')[0]}: HTTP ${res.status}`);
  return res.text();
}
