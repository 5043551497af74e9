import type { ResourceManagementClient } from '@azure/arm-resources';
import type { Logger } from '../common/logger.js';
import { azureError } from './errors.js';

/** Creates the resource group if it is missing; an existing one is left exactly as it is. */
export async function ensureResourceGroup(
  resources: Pick<ResourceManagementClient, 'resourceGroups'>,
  name: string,
  location: string,
  logger: Logger,
): Promise<void> {
  try {
    const { body } = await resources.resourceGroups.checkExistence(name);
    if (body) return;
    logger.info(`Creating resource group '${name}' in ${location}.`);
    await resources.resourceGroups.createOrUpdate(name, { location });
  } catch (err) {
    throw azureError(err, `making sure resource group '${name}' exists`);
  }
}
