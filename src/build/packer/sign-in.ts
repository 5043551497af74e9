/**
 * Azure sign-in for Packer and the `az` calls image-builder makes, without handing a secret to
 * either when GitHub OIDC is used.
 *
 * - OIDC: image-builder's templates take a client secret or the Azure CLI session
 *   (`use_azure_cli_auth`), so we sign the CLI in with a fresh GitHub ID token
 *   (`az login --federated-token`) and set USE_AZURE_CLI_AUTH=True. A CLI session lasts about an
 *   hour and a build longer, so the CLI is signed in again with a new ID token every 40
 *   minutes while the build runs. A plain Packer template can do without the CLI: the runner's
 *   ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN stay in its environment for the Azure plugin's
 *   `oidc_request_url`/`oidc_request_token`, which fetch fresh tokens themselves.
 * - Client secret: AZURE_CLIENT_ID/TENANT_ID/CLIENT_SECRET in the environment, which
 *   image-builder's azure-config.json reads.
 * - Azure CLI (azure/login before this step): USE_AZURE_CLI_AUTH=True.
 */
import type { CredentialKind } from '../../azure/credentials.js';
import { FEDERATED_TOKEN_AUDIENCE } from '../../azure/credentials.js';
import type { Logger } from '../../common/logger.js';
import { type RunCommand, runCommand } from '../../common/exec.js';

export interface PackerSignInRequest {
  readonly kind: CredentialKind;
  readonly subscriptionId: string;
  readonly clientId?: string;
  readonly tenantId?: string;
  /** A fresh GitHub ID token for an audience (core.getIDToken); needed for OIDC. */
  readonly getIdToken?: (audience: string) => Promise<string>;
}

export interface PackerSignIn {
  /** Variables to add to the build's environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Stops refreshing the CLI session. */
  stop(): void;
}

export const CLI_REFRESH_MS = 40 * 60_000;

export async function signInForPacker(
  request: PackerSignInRequest,
  deps: { logger: Logger; run?: RunCommand; refreshMs?: number },
): Promise<PackerSignIn> {
  const env: Record<string, string> = { AZURE_SUBSCRIPTION_ID: request.subscriptionId };
  if (request.clientId) env.AZURE_CLIENT_ID = request.clientId;
  if (request.tenantId) env.AZURE_TENANT_ID = request.tenantId;
  if (request.kind === 'client-secret') {
    deps.logger.info('Packer signs in with the client secret in AZURE_CLIENT_SECRET.');
    return { env, stop: () => undefined };
  }
  env.USE_AZURE_CLI_AUTH = 'True';
  if (request.kind === 'azure-cli') {
    deps.logger.info('Packer signs in with the Azure CLI session (azure/login).');
    return { env, stop: () => undefined };
  }
  const { clientId, tenantId, getIdToken } = request;
  if (!clientId || !tenantId || !getIdToken) {
    throw new Error('GitHub OIDC sign-in for Packer needs client-id, tenant-id and an ID token.');
  }
  const run = deps.run ?? runCommand;
  const login = async () => {
    const token = await getIdToken(FEDERATED_TOKEN_AUDIENCE);
    const steps: string[][] = [
      [
        'login',
        '--service-principal',
        '--username',
        clientId,
        '--tenant',
        tenantId,
        '--federated-token',
        token,
        '--output',
        'none',
      ],
      ['account', 'set', '--subscription', request.subscriptionId, '--output', 'none'],
    ];
    for (const args of steps) {
      const result = await run('az', args);
      if (result.code !== 0) {
        throw new Error(`az ${args[0]} failed (exit ${result.code}): ${result.stderr.trim()}`);
      }
    }
  };
  await login();
  deps.logger.info(
    'Packer signs in through the Azure CLI, signed in with a GitHub ID token (no secret); ' +
      `the session is renewed every ${Math.round((deps.refreshMs ?? CLI_REFRESH_MS) / 60_000)} minutes.`,
  );
  const timer = setInterval(() => {
    login().then(
      () => deps.logger.info('Renewed the Azure CLI session with a new GitHub ID token.'),
      (err: unknown) =>
        deps.logger.warning(`Could not renew the Azure CLI session: ${(err as Error).message}`),
    );
  }, deps.refreshMs ?? CLI_REFRESH_MS);
  timer.unref();
  return { env, stop: () => clearInterval(timer) };
}
