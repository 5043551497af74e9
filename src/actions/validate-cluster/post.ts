import * as runner from '../../runner/state.js';
import { runCommand } from '../../common/exec.js';
import { getAzureConnectionInputs, getPollIntervalSeconds } from '../../common/inputs.js';
import type { InputReader } from '../../common/inputs.js';
import { actionsLogger, azureForAction, runAction, writeSummary } from '../../runner/runtime.js';
import { declaredInputs } from '../../runner/spec.js';
import { VALIDATE_CLUSTER } from './spec.js';
import { deleteResourceGroup, STATE } from '../../validate/cleanup.js';
import type { CleanupOutcome } from '../../validate/cleanup.js';
import { deleteCluster } from '../../validate/cluster/cluster.js';
import {
  Kubectl,
  kubectlWorkDir,
  loadKubeconfig,
  writeKubeconfig,
} from '../../validate/cluster/kubectl.js';
import { getInputs, VALIDATE_CLUSTER_DEFAULTS, VALIDATE_POLL_MAX_SECONDS } from './inputs.js';

/** How long post: waits for Azure (or CAPZ) to delete what main made. */
const CLEANUP_TIMEOUT_MS = 20 * 60_000;

/**
 * validate-cluster's `post:` step, which the runner runs after the job's steps even when the main
 * step failed, timed out or was cancelled: deletes what main saved in its state and did not get
 * to delete (or deliberately keep) itself. With nothing saved, main created nothing, and this
 * step does nothing.
 */
export async function run(): Promise<void> {
  await runAction(async () => {
    const resourceGroup = runner.getState(STATE.resourceGroup);
    const cluster = runner.getState(STATE.cluster);
    const made = resourceGroup
      ? `resource group ${resourceGroup}`
      : cluster
        ? `cluster ${cluster}`
        : '';
    if (!made || runner.getState(STATE.done) === 'true') {
      actionsLogger.info(
        made
          ? `Nothing to clean up: the main step already took care of ${made}.`
          : 'Nothing to clean up: the main step created nothing.',
      );
      return;
    }
    actionsLogger.info(`The main step did not finish its cleanup; deleting ${made}.`);
    const read = declaredInputs(VALIDATE_CLUSTER);
    const pollIntervalMs =
      getPollIntervalSeconds(
        read,
        VALIDATE_CLUSTER_DEFAULTS['poll-interval-seconds'],
        VALIDATE_POLL_MAX_SECONDS,
      ) * 1000;
    const outcome = resourceGroup
      ? await deleteResourceGroup(
          azureForAction(getAzureConnectionInputs(read), 'validate-cluster').resources,
          resourceGroup,
          { logger: actionsLogger, pollIntervalMs, timeoutMs: CLEANUP_TIMEOUT_MS },
        )
      : await deleteSavedCluster(
          read,
          JSON.parse(cluster) as { name: string; namespace: string },
          pollIntervalMs,
        );
    await writeSummary(`### validate-cluster (post): cleanup\n\n${outcome.message}\n`);
    if (outcome.deleted) {
      actionsLogger.info(outcome.message);
      runner.saveState(STATE.done, 'true');
    } else if (/still running/.test(outcome.message)) {
      actionsLogger.warning(outcome.message);
    } else {
      throw new Error(`Could not delete ${outcome.target}: ${outcome.message}`);
    }
  });
}

async function deleteSavedCluster(
  read: InputReader,
  saved: { name: string; namespace: string },
  pollIntervalMs: number,
): Promise<CleanupOutcome> {
  const inputs = getInputs(read).cluster;
  if (!inputs) throw new Error('The main step made a cluster, but mode is no longer cluster.');
  const work = await kubectlWorkDir();
  try {
    const path = await writeKubeconfig(
      work.dir,
      'management.kubeconfig',
      await loadKubeconfig(inputs.kubeconfig),
    );
    return await deleteCluster(
      new Kubectl(runCommand, path, work.dir),
      saved.name,
      saved.namespace,
      {
        logger: actionsLogger,
        pollIntervalMs,
        timeoutMs: CLEANUP_TIMEOUT_MS,
      },
    );
  } finally {
    await work.dispose();
  }
}
