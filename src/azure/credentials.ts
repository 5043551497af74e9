import {
  AzureCliCredential,
  ClientAssertionCredential,
  ClientSecretCredential,
} from '@azure/identity';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { ConfigurationError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';

/** Where and as whom to sign in: the common Azure inputs of every action (docs/design.md, "contracts" and "authentication"). */
export interface AzureSignIn {
  subscriptionId: string;
  tenantId?: string;
  clientId?: string;
  /** ARM endpoint, e.g. https://management.azure.com, a sovereign cloud's, or the stand-in's. */
  armEndpoint: string;
  /** Entra authority host, e.g. https://login.microsoftonline.com. */
  authorityHost: string;
}

export type CredentialKind = 'github-oidc' | 'client-secret' | 'azure-cli';

export interface SignedInCredential {
  credential: TokenCredential;
  kind: CredentialKind;
  /** One line for the log: which credential, for which client and tenant (never a secret). */
  description: string;
}

/** What the credential needs from its surroundings, so tests and the demo can supply it. */
export interface CredentialEnvironment {
  env: NodeJS.ProcessEnv;
  /** Asks the Actions runtime for a fresh GitHub ID token for `audience` (core.getIDToken). */
  getIdToken: (audience: string) => Promise<string>;
  /** Hides a value from the job log (core.setSecret). */
  maskSecret: (value: string) => void;
  logger: Logger;
}

/** The audience Entra expects in a GitHub ID token used as a federated credential. */
export const FEDERATED_TOKEN_AUDIENCE = 'api://AzureADTokenExchange';

/**
 * Authority hosts MSAL can run instance discovery for. For any other host (the stand-in, Azure
 * Stack) discovery would ask login.microsoftonline.com about a host it does not know, so we turn
 * it off there.
 */
const KNOWN_AUTHORITIES = [
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.partner.microsoftonline.cn',
];

function isKnownAuthority(authorityHost: string): boolean {
  return KNOWN_AUTHORITIES.includes(new URL(authorityHost).hostname.toLowerCase());
}

/**
 * Picks the credential as docs/design.md ("authentication") orders it: GitHub OIDC when client and tenant are given and
 * the job may request ID tokens; a client secret in AZURE_CLIENT_SECRET; otherwise the Azure CLI
 * session `azure/login` left behind. Every token it hands out is masked first.
 */
export function createCredential(
  signIn: AzureSignIn,
  ctx: CredentialEnvironment,
): SignedInCredential {
  const clientId = signIn.clientId ?? ctx.env.AZURE_CLIENT_ID;
  const tenantId = signIn.tenantId ?? ctx.env.AZURE_TENANT_ID;
  const authorityHost = signIn.authorityHost;
  const msalOptions = { authorityHost, disableInstanceDiscovery: !isKnownAuthority(authorityHost) };
  const who = `client ${clientId} in tenant ${tenantId} via ${authorityHost}`;

  if ((clientId && !tenantId) || (!clientId && tenantId && signIn.tenantId)) {
    throw new ConfigurationError(
      `Inputs 'client-id' and 'tenant-id' go together: got client-id '${clientId ?? ''}' and tenant-id '${tenantId ?? ''}'.`,
    );
  }

  let result: SignedInCredential;
  if (clientId && tenantId && ctx.env.ACTIONS_ID_TOKEN_REQUEST_URL) {
    // A GitHub ID token lives minutes while a build runs for hours: ask for a fresh one
    // whenever Entra needs an assertion. MSAL asks several times while acquiring one access
    // token, so an ID token younger than a minute is handed out again instead of re-fetched.
    let recent: { token: string; at: number } | undefined;
    const assertion = async (): Promise<string> => {
      if (recent && Date.now() - recent.at < 60_000) return recent.token;
      const token = await ctx.getIdToken(FEDERATED_TOKEN_AUDIENCE);
      ctx.maskSecret(token);
      recent = { token, at: Date.now() };
      return token;
    };
    result = {
      credential: new ClientAssertionCredential(tenantId, clientId, assertion, msalOptions),
      kind: 'github-oidc',
      description: `GitHub OIDC federated credential for ${who}`,
    };
  } else if (clientId && tenantId && ctx.env.AZURE_CLIENT_SECRET) {
    ctx.maskSecret(ctx.env.AZURE_CLIENT_SECRET);
    result = {
      credential: new ClientSecretCredential(
        tenantId,
        clientId,
        ctx.env.AZURE_CLIENT_SECRET,
        msalOptions,
      ),
      kind: 'client-secret',
      description: `client secret (AZURE_CLIENT_SECRET) for ${who}`,
    };
  } else if (clientId && tenantId) {
    throw new ConfigurationError(
      `Inputs 'client-id' and 'tenant-id' are set, but the job can request no GitHub ID token (add 'permissions: id-token: write') and AZURE_CLIENT_SECRET is empty.`,
    );
  } else {
    result = {
      credential: new AzureCliCredential(tenantId ? { tenantId } : {}),
      kind: 'azure-cli',
      description: 'the Azure CLI session (azure/login)',
    };
  }
  ctx.logger.info(`Signing in to Azure with ${result.description}.`);
  return { ...result, credential: maskingCredential(result.credential, ctx.maskSecret) };
}

/** Tokens this close to expiry are fetched again rather than reused. */
const REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * Wraps a credential so every access token is masked before anything could print it, and
 * reused until near its expiry. Without the reuse, each ARM request made MSAL ask the
 * assertion callback again, i.e. fetch a new GitHub ID token per request; with it, a GitHub ID
 * token is fetched only when Entra really issues a new access token.
 */
export function maskingCredential(
  inner: TokenCredential,
  maskSecret: (value: string) => void,
  now: () => number = Date.now,
): TokenCredential {
  const cache = new Map<string, AccessToken>();
  return {
    async getToken(
      scopes: string | string[],
      options?: GetTokenOptions,
    ): Promise<AccessToken | null> {
      const key = [scopes].flat().sort().join(' ') + `|${options?.tenantId ?? ''}`;
      const cached = cache.get(key);
      // A claims challenge (continuous access evaluation) always needs a new token.
      if (cached && !options?.claims && cached.expiresOnTimestamp - now() > REFRESH_MARGIN_MS)
        return cached;
      const token = await inner.getToken(scopes, options);
      if (token) {
        maskSecret(token.token);
        cache.set(key, token);
      }
      return token;
    },
  };
}
