import * as core from '@actions/core';
import { createClients } from '../azure/clients.js';
import type { AzureClients } from '../azure/clients.js';
import { createCredential } from '../azure/credentials.js';
import type { AzureSignIn, SignedInCredential } from '../azure/credentials.js';
import { ConfigurationError } from '../common/errors.js';
import { escapeLogText } from '../common/log-escape.js';
import type { Logger } from '../common/logger.js';
import type { PackerSignInRequest } from '../build/packer/sign-in.js';
import { fetchSupportCalendar, releaseDataUrls } from '../kubernetes/fetch-support.js';
import type { SupportCalendar } from '../kubernetes/support.js';
import type { Provenance } from '../common/provenance.js';
import { redactCredentials } from '../common/redact.js';
import { setSecretMasker } from '../common/secrets.js';
import { type ActionSpec, declaredOutputs } from './spec.js';

/**
 * Domain code's Logger, writing to the job log through @actions/core. Every line goes through
 * the one escape, so no value (a reason, a URL, a tool's output) can forge a workflow command.
 */
export const actionsLogger: Logger = {
  debug: (m) => core.debug(escapeLogText(m)),
  info: (m) => core.info(escapeLogText(m)),
  warning: (m) => core.warning(escapeLogText(m)),
  error: (m) => core.error(escapeLogText(m)),
  group: (name, fn) => core.group(escapeLogText(name), fn),
};

/**
 * Runs an action's body: a ConfigurationError (the user's to fix) fails the step with its
 * message alone; anything else is a bug or an outage, so the stack goes to the debug log.
 */
export async function runAction(body: () => Promise<void>): Promise<void> {
  // Secrets found while inputs are parsed (a SAS, user info) are masked before any line is logged.
  setSecretMasker((secret) => core.setSecret(secret));
  try {
    await body();
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    if (!(error instanceof ConfigurationError) && error.stack) {
      core.debug(escapeLogText(redactCredentials(error.stack)));
    }
    core.setFailed(escapeLogText(redactCredentials(error.message)));
  }
}

/**
 * Writes every output `spec` declares (those undefined stay unset), masking nothing: resource
 * IDs are not secrets (docs/design.md, "authentication").
 */
export function setOutputs<O extends string>(
  spec: ActionSpec<string, O>,
  outputs: Readonly<Record<O, string | undefined>>,
): void {
  for (const [name, value] of Object.entries<string | undefined>(declaredOutputs(spec, outputs))) {
    if (value !== undefined) core.setOutput(name, value);
  }
}

/** Appends markdown to the job summary; a runner without a summary file just logs it. */
export async function writeSummary(markdown: string): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) {
    actionsLogger.info(markdown);
    return;
  }
  await core.summary.addRaw(markdown, true).write();
}

/** What the runner's environment says about this run: repository, commit, run link, workflow. */
export function runProvenance(env: NodeJS.ProcessEnv = process.env): Provenance {
  const url = runUrl(env);
  return {
    ...(env.GITHUB_REPOSITORY ? { repository: env.GITHUB_REPOSITORY } : {}),
    ...(env.GITHUB_SHA ? { commit: env.GITHUB_SHA } : {}),
    ...(url ? { runUrl: url } : {}),
    ...(env.GITHUB_WORKFLOW ? { workflow: env.GITHUB_WORKFLOW } : {}),
  };
}

/** The link to this workflow run, for provenance tags and summaries. */
export function runUrl(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const { GITHUB_SERVER_URL, GITHUB_REPOSITORY, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT } = env;
  if (!GITHUB_REPOSITORY || !GITHUB_RUN_ID) return undefined;
  const attempt = GITHUB_RUN_ATTEMPT ? `/attempts/${GITHUB_RUN_ATTEMPT}` : '';
  return `${GITHUB_SERVER_URL ?? 'https://github.com'}/${GITHUB_REPOSITORY}/actions/runs/${GITHUB_RUN_ID}${attempt}`;
}

/**
 * Signs in the way docs/design.md ("authentication") orders it, with the Actions runtime supplying fresh GitHub ID
 * tokens and masking every secret and token before it could reach the log.
 */
export function signInFromRunner(azure: AzureSignIn): SignedInCredential {
  return createCredential(azure, {
    env: process.env,
    getIdToken: (audience) => core.getIDToken(audience),
    maskSecret: (value) => core.setSecret(value),
    logger: actionsLogger,
  });
}

/**
 * How Packer (builders image-builder and packer) signs in: the same way as the action, with the
 * runner's ID tokens, so no secret is needed under OIDC.
 */
export function packerSignInFromRunner(
  azure: AzureSignIn & { readonly subscriptionId: string },
  signedIn: SignedInCredential,
  env: NodeJS.ProcessEnv = process.env,
): PackerSignInRequest {
  const clientId = azure.clientId ?? env.AZURE_CLIENT_ID;
  const tenantId = azure.tenantId ?? env.AZURE_TENANT_ID;
  return {
    kind: signedIn.kind,
    subscriptionId: azure.subscriptionId,
    ...(clientId ? { clientId } : {}),
    ...(tenantId ? { tenantId } : {}),
    getIdToken: (audience) => core.getIDToken(audience),
  };
}

/** Sign-in plus ARM clients, for an action that talks to Azure. */
export function azureForAction(azure: AzureSignIn, action: string): AzureClients {
  return createClients(
    azure,
    signInFromRunner(azure).credential,
    `compute-gallery-actions/${action}`,
    actionsLogger,
  );
}

/**
 * How this runner loads the Kubernetes release calendar: from kubernetes/website, or from the
 * copy KUBERNETES_RELEASE_DATA_URL names. The variable is checked now, before any Azure call;
 * the files are fetched when the loader is called.
 */
export function releaseCalendarLoader(
  env: NodeJS.ProcessEnv = process.env,
): () => Promise<SupportCalendar> {
  const urls = releaseDataUrls(env);
  return () => fetchSupportCalendar({ logger: actionsLogger, urls });
}
