import { randomUUID } from 'node:crypto';
import { ArmError } from './http.js';
import type { Req, Res } from './http.js';
import { checkJwt, jwks, signJwt } from './jwt.js';
import type { Claims, SigningKey } from './jwt.js';
import type { FederatedCredential, Store } from './store.js';

/** ARM accepts tokens minted for any of these audiences (what Azure's own 401 message lists). */
export const ARM_AUDIENCES = [
  'https://management.azure.com',
  'https://management.azure.com/',
  'https://management.core.windows.net',
  'https://management.core.windows.net/',
];

export interface IdentitySettings {
  /** Lifetime of the Entra access tokens we issue. */
  accessTokenSeconds: number;
  /** Lifetime of GitHub-style OIDC ID tokens (GitHub's own are a few minutes). */
  idTokenSeconds: number;
}

export const FEDERATED_AUDIENCE = 'api://AzureADTokenExchange';

/**
 * The Entra-ID-like login host and the GitHub-Actions-like OIDC token host. Both are served on
 * the login port, as they would be on their own hosts in real life.
 */
export class Identity {
  constructor(
    private readonly entraKey: SigningKey,
    private readonly oidcKey: SigningKey,
    private readonly store: Store,
    readonly settings: IdentitySettings,
    /** The bearer token the Actions runner would hand a job in ACTIONS_ID_TOKEN_REQUEST_TOKEN. */
    readonly oidcRequestToken: string,
  ) {}

  oidcIssuer(origin: string): string {
    return `${origin}/_actions`;
  }

  /** Routes for the login host; undefined when the path is not ours. */
  handle(req: Req): Res | undefined {
    if (req.method === 'POST') {
      const token = /^\/(?<tenant>[^/]+)\/oauth2\/(?:v2\.0\/)?token$/i.exec(req.path);
      return token ? this.token(req, token.groups!.tenant!) : undefined;
    }
    if (req.method !== 'GET') return undefined;
    const path = req.path;
    if (/^\/_actions\/idtoken$/i.test(path)) return this.idToken(req);
    if (/^\/_actions\/\.well-known\/jwks$/i.test(path)) {
      return { status: 200, body: jwks(this.oidcKey) };
    }
    if (/^\/_actions\/\.well-known\/openid-configuration$/i.test(path)) {
      const issuer = this.oidcIssuer(req.origin);
      return {
        status: 200,
        body: {
          issuer,
          jwks_uri: `${issuer}/.well-known/jwks`,
          id_token_signing_alg_values_supported: ['RS256'],
        },
      };
    }
    if (/^\/[^/]+\/discovery\/instance$/i.test(path)) return this.instanceDiscovery(req);
    const config =
      /^\/(?<tenant>[^/]+)\/v2\.0\/\.well-known\/openid-configuration$/i.exec(path) ??
      /^\/(?<tenant>adfs)\/\.well-known\/openid-configuration$/i.exec(path);
    if (config) {
      return { status: 200, body: this.openIdConfiguration(req.origin, config.groups!.tenant!) };
    }
    if (/^\/[^/]+\/discovery\/(?:v2\.0\/)?keys$/i.test(path)) {
      return { status: 200, body: jwks(this.entraKey) };
    }
    return undefined;
  }

  private openIdConfiguration(origin: string, tenant: string): Record<string, unknown> {
    return {
      token_endpoint: `${origin}/${tenant}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: [
        'client_secret_post',
        'private_key_jwt',
        'client_secret_basic',
      ],
      jwks_uri: `${origin}/${tenant}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: `${origin}/${tenant}/v2.0`,
      request_uri_parameter_supported: false,
      authorization_endpoint: `${origin}/${tenant}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${origin}/${tenant}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${origin}/${tenant}/oauth2/v2.0/logout`,
      tenant_region_scope: 'NA',
      cloud_instance_name: 'stand-in.local',
      cloud_graph_host_name: 'graph.stand-in.local',
      msgraph_host: 'graph.stand-in.local',
    };
  }

  /**
   * MSAL's instance discovery. Entra answers with the tenant the client asked about (the tenant
   * segment of `authorization_endpoint`), so the OpenID configuration, the token endpoint and
   * the token's `tid` are that tenant's, not `common`'s (issue 12, item 12). MSAL Python asks
   * `{instance}/common/discovery/instance?api-version=1.1&authorization_endpoint=…`
   * (AzureAD/microsoft-authentication-library-for-python, msal/authority.py,
   * `_instance_discovery`).
   */
  private instanceDiscovery(req: Req): Res {
    const host = new URL(req.origin).host;
    const asked = req.query.get('authorization_endpoint') ?? '';
    let tenant = 'common';
    try {
      tenant = new URL(asked).pathname.split('/').filter(Boolean)[0] ?? 'common';
    } catch {
      // no authorization_endpoint: the tenant of the discovery path itself
      tenant = req.path.split('/').filter(Boolean)[0] ?? 'common';
    }
    return {
      status: 200,
      body: {
        tenant_discovery_endpoint: `${req.origin}/${tenant}/v2.0/.well-known/openid-configuration`,
        'api-version': '1.1',
        metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
      },
    };
  }

  private idToken(req: Req): Res {
    const auth = String(req.headers.authorization ?? '');
    if (auth !== `Bearer ${this.oidcRequestToken}` && auth !== `bearer ${this.oidcRequestToken}`) {
      return { status: 401, body: { message: 'Bad credentials' } };
    }
    const now = Math.floor(Date.now() / 1000);
    const audience = req.query.get('audience') ?? 'https://github.com/local';
    const job = jobClaims(req.query);
    const value = signJwt(this.oidcKey, {
      iss: this.oidcIssuer(req.origin),
      aud: audience,
      ...job,
      jti: randomUUID(),
      iat: now,
      nbf: now - 5,
      exp: now + this.settings.idTokenSeconds,
    });
    return { status: 200, body: { count: 1, value } };
  }

  private token(req: Req, tenant: string): Res {
    const form = new URLSearchParams(req.rawBody);
    const clientId = form.get('client_id') ?? '';
    const scope = form.get('scope') ?? '';
    if (form.get('grant_type') !== 'client_credentials') {
      return aadError(
        400,
        'unsupported_grant_type',
        'AADSTS70003',
        'The app requested an unsupported grant type.',
      );
    }
    if (!clientId)
      return aadError(
        400,
        'invalid_request',
        'AADSTS900144',
        "The request body must contain the following parameter: 'client_id'.",
      );
    const resource = scope.split(' ').find((s) => s.endsWith('/.default'));
    if (!resource) {
      return aadError(
        400,
        'invalid_scope',
        'AADSTS1002012',
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier.`,
      );
    }
    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    const now = Math.floor(Date.now() / 1000);
    if (assertion) {
      const check = checkJwt(assertion, this.oidcKey, now);
      if (!check.ok && check.reason === 'expired') {
        return aadError(
          400,
          'invalid_client',
          'AADSTS700024',
          'Client assertion is not within its valid time range.',
        );
      }
      if (!check.ok) {
        return aadError(
          401,
          'invalid_client',
          'AADSTS70021',
          'No matching federated identity record found for presented assertion.',
        );
      }
      if (check.claims.aud !== FEDERATED_AUDIENCE) {
        return aadError(
          401,
          'invalid_client',
          'AADSTS700212',
          `No matching federated identity record found for presented assertion audience '${String(check.claims.aud)}'.`,
        );
      }
      const refused = this.federatedMatch(clientId, check.claims);
      if (refused) return refused;
    } else if (secret) {
      const registered = this.store.world.clients[clientId];
      if (registered !== undefined && registered !== secret) {
        return aadError(
          401,
          'invalid_client',
          'AADSTS7000215',
          'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
        );
      }
    } else {
      return aadError(
        401,
        'invalid_client',
        'AADSTS7000218',
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      );
    }
    const aud = resource.slice(0, -'/.default'.length);
    const claims: Claims = {
      aud,
      iss: `https://sts.windows.net/${tenant}/`,
      iat: now,
      nbf: now - 5,
      exp: now + this.settings.accessTokenSeconds,
      appid: clientId,
      azp: clientId,
      oid: clientId,
      sub: clientId,
      tid: tenant,
      idtyp: 'app',
      ver: '1.0',
    };
    return {
      status: 200,
      body: {
        token_type: 'Bearer',
        expires_in: this.settings.accessTokenSeconds,
        ext_expires_in: this.settings.accessTokenSeconds,
        access_token: signJwt(this.entraKey, claims),
      },
    };
  }

  /**
   * Entra accepts a client assertion only when a federated identity credential registered for
   * the client matches its issuer, subject and audience, exactly (matching is case-sensitive,
   * Azure/login#517). No credential with that issuer: AADSTS70021 naming the assertion's
   * issuer, subject and audience (wording as in Azure/azure-workload-identity#616); the issuer
   * known but not the subject: AADSTS700213 (wording as in Azure/login#482 and #379).
   */
  private federatedMatch(clientId: string, claims: Claims): Res | undefined {
    const iss = String(claims.iss ?? '');
    const sub = String(claims.sub ?? '');
    const aud = String(claims.aud ?? '');
    const registered = this.store.world.federatedCredentials[clientId] ?? [];
    const sameIssuer = registered.filter((c) => c.issuer === iss && c.audiences.includes(aud));
    if (sameIssuer.some((c) => c.subject === sub)) return undefined;
    if (sameIssuer.length === 0) {
      return aadError(
        400,
        'invalid_request',
        'AADSTS70021',
        `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${aud}'. https://docs.microsoft.com/en-us/azure/active-directory/develop/workload-identity-federation`,
      );
    }
    return aadError(
      400,
      'invalid_client',
      'AADSTS700213',
      `No matching federated identity record found for presented assertion subject '${sub}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
    );
  }

  /** Checks an ARM request's bearer token the way ARM does, throwing an ARM-shaped 401. */
  authorizeArm(req: Req): Claims {
    const auth = String(req.headers.authorization ?? '');
    const challenge = (desc: string): Record<string, string> => ({
      'www-authenticate': `Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="${desc}"`,
    });
    if (!/^bearer /i.test(auth)) {
      throw new ArmError(
        401,
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
        undefined,
        challenge('The authentication failed because of missing Authorization header.'),
      );
    }
    const token = auth.slice(7).trim();
    const now = Math.floor(Date.now() / 1000);
    const check = checkJwt(token, this.entraKey, now);
    if (!check.ok) {
      if (check.reason === 'expired') {
        const exp = new Date(Number(check.claims?.exp) * 1000).toISOString();
        throw new ArmError(
          401,
          'ExpiredAuthenticationToken',
          `The access token expiry UTC time '${exp}' is earlier than current UTC time '${new Date().toISOString()}'.`,
          undefined,
          challenge('The access token has expired.'),
        );
      }
      throw new ArmError(
        401,
        'InvalidAuthenticationToken',
        'The access token is invalid.',
        undefined,
        challenge('The access token signature is invalid.'),
      );
    }
    const aud = String(check.claims.aud ?? '');
    if (!ARM_AUDIENCES.includes(aud)) {
      throw new ArmError(
        401,
        'InvalidAuthenticationTokenAudience',
        `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences '${ARM_AUDIENCES.join("','")}'.`,
        undefined,
        challenge('The access token has an invalid audience.'),
      );
    }
    return check.claims;
  }
}

/**
 * `POST /_emulator/clients`: an app registration, `{clientId, secret?, federatedCredentials?}`,
 * each credential `{issuer, subject, audiences?, name?}` (audiences default to
 * `api://AzureADTokenExchange`, as Entra's portal does). Credentials are added to the ones the
 * client has (same name replaces); a secret replaces the secret.
 * @returns a problem, or undefined when stored.
 */
export function registerClient(store: Store, body: Record<string, unknown>): string | undefined {
  const { clientId, secret, federatedCredentials } = body;
  if (typeof clientId !== 'string' || clientId === '') return "a client needs 'clientId' (string)";
  if (secret !== undefined && typeof secret !== 'string') return "'secret' must be a string";
  if (federatedCredentials !== undefined && !Array.isArray(federatedCredentials)) {
    return "'federatedCredentials' must be a list of {issuer, subject, audiences?, name?}";
  }
  if (secret === undefined && federatedCredentials === undefined) {
    return "a client needs 'secret' or 'federatedCredentials'";
  }
  const added: FederatedCredential[] = [];
  for (const [i, raw] of ((federatedCredentials ?? []) as Record<string, unknown>[]).entries()) {
    const { issuer, subject, audiences = [FEDERATED_AUDIENCE], name } = raw ?? {};
    if (typeof issuer !== 'string' || typeof subject !== 'string' || !issuer || !subject) {
      return `federatedCredentials[${i}] needs 'issuer' and 'subject' (strings)`;
    }
    if (!Array.isArray(audiences) || audiences.some((a) => typeof a !== 'string')) {
      return `federatedCredentials[${i}].audiences must be a list of strings`;
    }
    added.push({
      name: typeof name === 'string' ? name : `credential-${i + 1}`,
      issuer,
      subject,
      audiences: audiences as string[],
    });
  }
  if (typeof secret === 'string') store.world.clients[clientId] = secret;
  if (added.length) {
    const names = new Set(added.map((c) => c.name));
    const kept = (store.world.federatedCredentials[clientId] ?? []).filter(
      (c) => !names.has(c.name),
    );
    store.world.federatedCredentials[clientId] = [...kept, ...added];
  }
  store.save();
  return undefined;
}

/** What the runner simulation (or a test) says about the job asking for an ID token. */
export const DEFAULT_REPOSITORY = 'local/compute-gallery-actions';
export const DEFAULT_REF = 'refs/heads/main';

/**
 * The job claims of a GitHub Actions ID token, from the query of the token request: the runner
 * simulation builds one ACTIONS_ID_TOKEN_REQUEST_URL per job, as GitHub does. `sub` wins when
 * given; otherwise it is composed as GitHub composes it: `repo:<owner>/<repo>:environment:<env>`
 * for a job in an environment, else `repo:<owner>/<repo>:ref:<ref>`, and with
 * `repository_owner_id` and `repository_id` the immutable form
 * `repo:<owner>@<ownerId>/<repo>@<repoId>:…` (GitHub's OIDC docs, "Example subject claims").
 */
/**
 * Claims GitHub's ID tokens carry about the run, copied from the request when the simulation
 * gives them (docs.github.com "OpenID Connect reference", token claims): Fulcio turns them into
 * certificate extensions (emulator/sigstore.ts).
 */
const RUN_CLAIMS = [
  'sha',
  'event_name',
  'job_workflow_ref',
  'job_workflow_sha',
  'workflow_ref',
  'workflow_sha',
  'run_id',
  'run_attempt',
  'runner_environment',
  'repository_visibility',
  'actor',
] as const;

export function jobClaims(query: URLSearchParams): Record<string, string> {
  const repository = query.get('repository') ?? DEFAULT_REPOSITORY;
  const ref = query.get('ref') ?? DEFAULT_REF;
  const environment = query.get('environment') ?? undefined;
  const ownerId = query.get('repository_owner_id') ?? undefined;
  const repoId = query.get('repository_id') ?? undefined;
  const [owner = '', repo = ''] = repository.split('/');
  const who = ownerId && repoId ? `${owner}@${ownerId}/${repo}@${repoId}` : repository;
  const context = environment ? `environment:${environment}` : `ref:${ref}`;
  return {
    sub: query.get('sub') ?? `repo:${who}:${context}`,
    repository,
    repository_owner: owner,
    ...(ownerId ? { repository_owner_id: ownerId } : {}),
    ...(repoId ? { repository_id: repoId } : {}),
    ref,
    ...(environment ? { environment } : {}),
    ...Object.fromEntries(
      RUN_CLAIMS.flatMap((name) => {
        const value = query.get(name);
        return value ? [[name, value]] : [];
      }),
    ),
  };
}

function aadError(status: number, error: string, code: string, text: string): Res {
  const traceId = randomUUID();
  return {
    status,
    body: {
      error,
      error_description: `${code}: ${text} Trace ID: ${traceId} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
      error_codes: [Number(code.replace('AADSTS', ''))],
      timestamp: new Date().toISOString(),
      trace_id: traceId,
      correlation_id: randomUUID(),
    },
  };
}
