import * as core from '@actions/core';
import {
  environmentInputReader,
  getAzureConnectionInputs,
  getIntegerInput,
} from '../../github/inputs.js';
import { actionsLogger, azureForAction, runAction, writeSummary } from '../../github/runtime.js';
import { deleteResourceGroup, STATE } from '../../validate/cleanup.js';
import { VALIDATE_CLUSTER_DEFAULTS } from './inputs.js';

/** How long post: waits for Azure to delete the resource group. */
const CLEANUP_TIMEOUT_MS = 20 * 60_000;

/**
 * validate-cluster's `post:` step, which the runner runs after the job's steps even when the main
 * step failed, timed out or was cancelled: deletes what main saved in its state and did not get
 * to delete itself. With nothing saved (main stopped before creating anything) it does nothing.
 */
export async function run(): Promise<void> {
  await runAction(async () => {
    const resourceGroup = core.getState(STATE.resourceGroup);
    if (core.getState(STATE.done) === 'true' || !resourceGroup) {
      core.info(
        resourceGroup
          ? `Nothing to clean up: the main step already deleted resource group ${resourceGroup}.`
          : 'Nothing to clean up: the main step created nothing.',
      );
      return;
    }
    core.info(
      `The main step did not finish its cleanup; deleting resource group ${resourceGroup}.`,
    );
    const read = environmentInputReader();
    const azure = getAzureConnectionInputs(read);
    const pollSeconds = getIntegerInput(read, 'poll-interval-seconds', {
      min: 1,
      max: 300,
      defaultValue: VALIDATE_CLUSTER_DEFAULTS['poll-interval-seconds'],
    });
    const clients = azureForAction(azure, 'validate-cluster');
    const outcome = await deleteResourceGroup(clients.resources, resourceGroup, {
      logger: actionsLogger,
      pollIntervalMs: pollSeconds * 1000,
      timeoutMs: CLEANUP_TIMEOUT_MS,
    });
    await writeSummary(`### validate-cluster (post): cleanup\n\n${outcome.message}\n`);
    if (outcome.deleted) {
      core.info(outcome.message);
      core.saveState(STATE.done, 'true');
    } else if (/still running/.test(outcome.message)) {
      core.warning(outcome.message);
    } else {
      throw new Error(`Could not delete resource group ${resourceGroup}: ${outcome.message}`);
    }
  });
}
