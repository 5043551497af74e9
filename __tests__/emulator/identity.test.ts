/**
 * The login side of the stand-in: the GitHub Actions OIDC token endpoint, the Entra token
 * endpoint that exchanges its ID tokens (and client secrets) for access tokens, and ARM's
 * checks of those tokens, driven through the real @azure/identity and @azure/arm-compute.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { ComputeManagementClient } from '@azure/arm-compute';
import { ClientAssertionCredential } from '@azure/identity';
import { ARM_SCOPE, CLIENT, startTestEmulator, SUBSCRIPTION, TENANT } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';

const FEDERATED = 'api://AzureADTokenExchange';
const RG_PATH = `/subscriptions/${SUBSCRIPTION}/resourcegroups/rg-identity`;
let emu: TestEmulator;

beforeAll(async () => {
  emu = await startTestEmulator();
  const res = await fetch(`${emu.endpoint}${RG_PATH}?api-version=2024-11-01`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${await secretToken()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ location: 'westus2' }),
  });
  expect(res.status).toBe(201);
});
afterAll(async () => {
  await emu?.dispose();
});
beforeEach(async () => {
  await emu.admin('POST', '/settings', { accessTokenSeconds: 3600, idTokenSeconds: 300 });
});

/** What `core.getIDToken(audience)` does on a runner: GET the request URL with the request token. */
async function idToken(audience = FEDERATED): Promise<string> {
  const res = await fetch(`${emu.oidcRequestUrl}&audience=${encodeURIComponent(audience)}`, {
    headers: { authorization: `Bearer ${emu.oidcRequestToken}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { value: string }).value;
}

/** A raw token request, as MSAL makes it. */
async function tokenRequest(
  form: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${emu.authorityHost}/${TENANT}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: CLIENT,
      scope: ARM_SCOPE,
      ...form,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const assertionForm = (assertion: string): Record<string, string> => ({
  client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  client_assertion: assertion,
});

async function secretToken(): Promise<string> {
  const res = await tokenRequest({ client_secret: 'local-secret' });
  return String(res.body.access_token);
}

const claims = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until a JWT's `exp` (whole seconds) is in the past as the stand-in counts. */
const untilExpired = (jwt: string): Promise<void> =>
  sleep(Math.max(0, (Number(claims(jwt).exp) + 1) * 1000 - Date.now() + 50));

describe('GitHub OIDC → Entra → ARM', () => {
  it('runs the whole chain with ClientAssertionCredential and ComputeManagementClient, a fresh ID token per token request', async () => {
    // Short-lived access tokens, so the run outlives its first one as a long build does.
    await emu.admin('POST', '/settings', { accessTokenSeconds: 1 });
    let assertions = 0;
    const credential = new ClientAssertionCredential(
      TENANT,
      CLIENT,
      async () => {
        assertions++;
        return idToken();
      },
      { authorityHost: emu.authorityHost, disableInstanceDiscovery: true },
    );
    const compute = new ComputeManagementClient(credential, SUBSCRIPTION, {
      endpoint: emu.endpoint,
    });
    const since = (await emu.admin<{ seq: number }[]>('GET', '/requests')).at(-1)?.seq ?? 0;

    const gallery = await compute.galleries.createOrUpdate(
      'rg-identity',
      'gallery_oidc',
      { location: 'westus2' },
      { updateIntervalInMs: 20 },
    );
    expect(gallery.provisioningState).toBe('Succeeded');
    const names = [];
    for await (const g of compute.galleries.listByResourceGroup('rg-identity')) names.push(g.name);
    expect(names).toContain('gallery_oidc');
    await sleep(1500);
    expect((await compute.galleries.get('rg-identity', 'gallery_oidc')).name).toBe('gallery_oidc');

    const access = await credential.getToken(ARM_SCOPE);
    expect(claims(access.token)).toMatchObject({
      aud: 'https://management.azure.com',
      appid: CLIENT,
      tid: TENANT,
    });
    const log = await emu.admin<{ path: string; status: number }[]>(
      'GET',
      `/requests?since=${since}`,
    );
    const chain = log.filter((r) => /\/_actions\/idtoken$|\/oauth2\/v2\.0\/token$/.test(r.path));
    const tokens = chain.filter((r) => r.path.endsWith('/token'));
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    const kinds = chain.map((r) => (r.path.endsWith('/token') ? 'entra' : 'oidc'));
    // Every Entra request came right after a fresh ID-token request. (msal-node asks the
    // assertion callback twice per token request: once building its client configuration, once
    // for the request itself; so there are two ID tokens per exchange, the later one sent.)
    kinds.forEach((kind, i) => {
      if (kind === 'entra') expect(kinds[i - 1]).toBe('oidc');
    });
    expect(assertions).toBe(kinds.filter((k) => k === 'oidc').length);
    expect(kinds.filter((k) => k === 'oidc').length).toBeGreaterThanOrEqual(tokens.length);
    expect(chain.every((r) => r.status === 200)).toBe(true);
    // ARM saw the calls and let them through.
    expect(log.filter((r) => r.path.includes('/galleries')).every((r) => r.status < 300)).toBe(
      true,
    );
  });

  it('issues GitHub-style ID tokens only to the job holding the request token', async () => {
    const res = await fetch(`${emu.oidcRequestUrl}&audience=${FEDERATED}`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(res.status).toBe(401);
    const token = claims(await idToken());
    expect(token).toMatchObject({ aud: FEDERATED, repository: 'local/compute-gallery-actions' });
    expect(String(token.iss)).toBe(`${emu.authorityHost}/_actions`);
  });

  it('refuses an assertion minted for another audience (AADSTS700212), raw and through the credential', async () => {
    const raw = await tokenRequest(assertionForm(await idToken('api://SomethingElse')));
    expect(raw.status).toBe(401);
    expect(raw.body).toMatchObject({ error: 'invalid_client', error_codes: [700212] });
    expect(String(raw.body.error_description)).toMatch(/^AADSTS700212: .*api:\/\/SomethingElse/);
    expect(Object.keys(raw.body).sort()).toEqual([
      'correlation_id',
      'error',
      'error_codes',
      'error_description',
      'timestamp',
      'trace_id',
    ]);

    const credential = new ClientAssertionCredential(
      TENANT,
      CLIENT,
      () => idToken('api://SomethingElse'),
      {
        authorityHost: emu.authorityHost,
        disableInstanceDiscovery: true,
      },
    );
    await expect(credential.getToken(ARM_SCOPE)).rejects.toThrow(/AADSTS700212/);
  });

  it('refuses an expired assertion (AADSTS700024)', async () => {
    await emu.admin('POST', '/settings', { idTokenSeconds: 1 });
    const assertion = await idToken();
    await untilExpired(assertion);
    const raw = await tokenRequest(assertionForm(assertion));
    expect(raw.status).toBe(400);
    expect(raw.body).toMatchObject({ error: 'invalid_client', error_codes: [700024] });
  });

  it("answers an expired access token with ARM's ExpiredAuthenticationToken 401", async () => {
    await emu.admin('POST', '/settings', { accessTokenSeconds: 1 });
    const token = await secretToken();
    expect(claims(token).exp).toBe(Number(claims(token).iat) + 1);
    const url = `${emu.endpoint}${RG_PATH}?api-version=2024-11-01`;
    const fresh = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(fresh.status).toBe(200);
    await untilExpired(token);
    const stale = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(stale.status).toBe(401);
    expect(stale.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    const body = (await stale.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('ExpiredAuthenticationToken');
    expect(body.error.message).toMatch(
      /^The access token expiry UTC time '.+' is earlier than current UTC time '.+'\.$/,
    );
  });
});
