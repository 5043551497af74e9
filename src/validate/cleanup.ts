/**
 * What validation leaves behind is one resource group (VM mode) or one workload cluster (cluster
 * mode). Its name is saved as action state *before* it is created, so the `post:` step can delete
 * it when the main step was killed, timed out or cancelled; the main step marks it cleaned once
 * it deleted it itself.
 */
import type { ResourceManagementClient } from '@azure/arm-resources';
import { ConfigurationError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { azureError, isNotFound } from '../azure/errors.js';

/** The action state keys main writes and post reads. Versioned by their names. */
export const STATE = {
  /** The resource group to delete (VM mode). */
  resourceGroup: 'resource-group',
  /** JSON {name, namespace} of the workload cluster to delete (cluster mode). */
  cluster: 'cluster',
  /** `true` once main deleted (or deliberately kept) what it created. */
  done: 'cleanup-done',
} as const;

/** Saves one piece of action state (core.saveState in the action; a record in tests). */
export type SaveState = (name: string, value: string) => void;

export type ResourceGroupApi = Pick<ResourceManagementClient, 'resourceGroups'>;

/** How a deletion went, for the log, the summary and the report. */
export interface CleanupOutcome {
  /** What was to be deleted, e.g. `resource group cga-validate-…`. */
  readonly target: string;
  /** True when it is gone; false when deletion was left running, kept, or failed. */
  readonly deleted: boolean;
  readonly message: string;
}

/**
 * Makes sure no one else's resource group has the name: an existing group is used (and later
 * deleted) only when an earlier attempt of this very validation made it.
 */
export async function claimResourceGroup(
  resources: ResourceGroupApi,
  name: string,
  validationId: string,
): Promise<void> {
  let existing;
  try {
    existing = await resources.resourceGroups.get(name);
  } catch (err) {
    if (isNotFound(err)) return;
    throw azureError(err, `reading resource group '${name}'`);
  }
  if (existing.tags?.['validation-id'] !== validationId) {
    throw new ConfigurationError(
      `Resource group '${name}' already exists and was not created by this validation; it is left alone (validation deletes its resource group afterwards). Delete or rename it, or re-run the workflow.`,
    );
  }
}

/**
 * Deletes a resource group and everything in it, waiting up to `timeoutMs`. A group that is
 * already gone counts as deleted; a deletion still running when the time is up goes on in Azure.
 */
export async function deleteResourceGroup(
  resources: ResourceGroupApi,
  name: string,
  options: { logger: Logger; pollIntervalMs: number; timeoutMs: number },
): Promise<CleanupOutcome> {
  const target = `resource group ${name}`;
  options.logger.info(`Deleting ${target} and everything in it.`);
  const started = Date.now();
  try {
    await resources.resourceGroups.delete(name, {
      updateIntervalInMs: options.pollIntervalMs,
      abortSignal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (err) {
    if (isNotFound(err)) return { target, deleted: true, message: `${target} was already gone.` };
    if ((err as Error).name === 'AbortError' || (err as Error).name === 'TimeoutError') {
      const minutes = Math.round(options.timeoutMs / 60_000);
      return {
        target,
        deleted: false,
        message: `Deleting ${target} was still running after ${minutes} min; Azure finishes it on its own.`,
      };
    }
    const error = azureError(err, `deleting ${target}`);
    options.logger.error(error.message);
    return { target, deleted: false, message: error.message };
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  return { target, deleted: true, message: `Deleted ${target} in ${seconds} s.` };
}
