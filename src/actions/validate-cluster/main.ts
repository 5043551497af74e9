import * as runner from '../../runner/state.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../../common/exec.js';
import { InputError } from '../../common/errors.js';
import {
  actionsLogger,
  azureForAction,
  runAction,
  setOutputs,
  writeSummary,
} from '../../runner/runtime.js';
import { declaredInputs } from '../../runner/spec.js';
import { VALIDATE_CLUSTER } from './spec.js';
import {
  CAPZ_DEFAULT_TEMPLATES,
  CAPZ_TEMPLATE_SOURCE,
} from '../../validate/cluster/capz-templates.js';
import { DEFAULT_PROVENANCE_FILES } from '../../validate/checks.js';
import { validateCluster } from '../../validate/cluster/cluster.js';
import { readImage } from '../../validate/image.js';
import { checksOutput, failureMessage, writeReport } from '../../validate/report.js';
import type { ValidationReport } from '../../validate/report.js';
import { runIdentity } from '../../validate/vm/plan.js';
import { validateVm } from '../../validate/vm/vm.js';
import { getInputs, loadClusterInputs } from './inputs.js';
import type { ValidateClusterSettings } from './inputs.js';
import { validationSummary } from './summary.js';

/** How long cleanup may wait for Azure to delete the resource group. */
const CLEANUP_TIMEOUT_MS = 20 * 60_000;

/**
 * validate-cluster: boots the staging version (a VM, or a CAPZ workload cluster), checks it runs
 * Kubernetes, reports, and deletes what it made; `post.ts` deletes it if this step cannot.
 */
export async function run(): Promise<void> {
  await runAction(async () => {
    // Every input is checked before anything talks to Azure.
    const settings = getInputs(declaredInputs(VALIDATE_CLUSTER));
    const cluster = settings.cluster ? await loadClusterInputs(settings.cluster) : undefined;
    const clients = azureForAction(settings.azure, 'validate-cluster');
    const image = await readImage(
      clients.compute,
      settings.imageVersionId,
      settings.imageVersion,
      settings.location,
      actionsLogger,
    );
    const cancelled = cancelOnSignal();
    const runId = runIdentity(process.env, new Date());
    const saveState = (name: string, value: string): void => runner.saveState(name, value);
    if (settings.cluster && cluster) {
      if (image.osType === 'Windows' && settings.cluster.workerCount === 0) {
        throw new InputError(
          'worker-count',
          '0',
          'A Windows image runs only on workers (the control plane is Linux): expected at least 1.',
        );
      }
      const report = await validateCluster(
        {
          subscriptionId: settings.azure.subscriptionId,
          ...(settings.azure.tenantId ? { tenantId: settings.azure.tenantId } : {}),
          image,
          kubernetesVersion: settings.kubernetesVersion,
          kubeconfig: cluster.kubeconfig,
          template: cluster.template ?? {
            text: CAPZ_DEFAULT_TEMPLATES[image.osType],
            shown: `CAPZ default (${image.osType}) flavor, ${CAPZ_TEMPLATE_SOURCE}`,
          },
          namespace: settings.cluster.namespace,
          controlPlaneCount: settings.cluster.controlPlaneCount,
          workerCount: settings.cluster.workerCount,
          keepOnFailure: settings.cluster.keepOnFailure,
          ...(settings.vmSize ? { vmSize: settings.vmSize } : {}),
          ...(cluster.cniManifest ? { cniManifest: cluster.cniManifest } : {}),
          timeoutMs: settings.timeoutMinutes * 60_000,
          pollIntervalMs: settings.pollIntervalSeconds * 1000,
          cleanupTimeoutMs: CLEANUP_TIMEOUT_MS,
        },
        {
          run: runCommand,
          logger: actionsLogger,
          runId,
          saveState,
          env: process.env,
          signal: cancelled,
        },
      );
      await finish(settings, report);
      return;
    }
    const report = await validateVm(
      {
        subscriptionId: settings.azure.subscriptionId,
        image,
        kubernetesVersion: settings.kubernetesVersion,
        provenanceFile: settings.provenanceFile ?? DEFAULT_PROVENANCE_FILES[image.osType],
        ...(settings.vmSize ? { vmSize: settings.vmSize } : {}),
        ...(settings.containerdVersion ? { containerdVersion: settings.containerdVersion } : {}),
        timeoutMs: settings.timeoutMinutes * 60_000,
        pollIntervalMs: settings.pollIntervalSeconds * 1000,
        cleanupTimeoutMs: CLEANUP_TIMEOUT_MS,
      },
      {
        compute: clients.compute,
        resources: clients.resources,
        logger: actionsLogger,
        run: runId,
        saveState,
        maskSecret: (value) => runner.setSecret(value),
        fetchText,
        signal: cancelled,
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
