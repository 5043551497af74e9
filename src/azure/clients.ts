import { ComputeManagementClient } from '@azure/arm-compute';
import { ResourceManagementClient } from '@azure/arm-resources';
import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { Logger } from '../common/logger.js';
import type { AzureSignIn } from './credentials.js';

/** ARM audiences of the clouds we know; anything else (the stand-in) uses the public one. */
const ARM_SCOPES: Record<string, string> = {
  'management.azure.com': 'https://management.azure.com/.default',
  'management.usgovcloudapi.net': 'https://management.usgovcloudapi.net/.default',
  'management.chinacloudapi.cn': 'https://management.chinacloudapi.cn/.default',
};

export function armScope(armEndpoint: string): string {
  return (
    ARM_SCOPES[new URL(armEndpoint).hostname.toLowerCase()] ??
    'https://management.azure.com/.default'
  );
}

export interface AzureClients {
  compute: ComputeManagementClient;
  resources: ResourceManagementClient;
  credential: TokenCredential;
  subscriptionId: string;
}

/**
 * ARM clients for one subscription. The SDK's own retry policy honours Retry-After on 429/503
 * and retries dropped connections; we allow a few more attempts than its default for long jobs.
 */
export function createClients(
  signIn: AzureSignIn,
  credential: TokenCredential,
  userAgent: string,
  logger?: Logger,
): AzureClients {
  const options = {
    endpoint: signIn.armEndpoint.replace(/\/+$/, ''),
    credentials: { scopes: [armScope(signIn.armEndpoint)] },
    retryOptions: { maxRetries: 6 },
    userAgentOptions: { userAgentPrefix: userAgent },
    ...(logger
      ? { additionalPolicies: [{ policy: retryAfterLog(logger), position: 'perRetry' as const }] }
      : {}),
  };
  return {
    compute: new ComputeManagementClient(credential, signIn.subscriptionId, options),
    resources: new ResourceManagementClient(credential, signIn.subscriptionId, {
      endpoint: options.endpoint,
      credentials: options.credentials,
      retryOptions: options.retryOptions,
      userAgentOptions: options.userAgentOptions,
      ...(options.additionalPolicies ? { additionalPolicies: options.additionalPolicies } : {}),
    }),
    credential,
    subscriptionId: signIn.subscriptionId,
  };
}

/**
 * Says why a step goes quiet: the SDK waits out a `Retry-After` (throttling, a busy service)
 * silently, and a 20 s pause with no line reads like a hang.
 */
export function retryAfterLog(logger: Logger): PipelinePolicy {
  return {
    name: 'retryAfterLog',
    async sendRequest(request, next) {
      const response = await next(request);
      const after = response.headers.get('retry-after');
      if (after !== undefined && (response.status === 429 || response.status >= 500)) {
        const path = new URL(request.url).pathname.split('/').slice(-2).join('/');
        logger.info(
          `Azure answered ${response.status} to ${request.method} …/${path} and asked to wait (Retry-After: ${after}); retrying after that.`,
        );
      }
      return response;
    },
  };
}
