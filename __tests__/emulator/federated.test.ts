/**
 * The stand-in's Entra side takes a GitHub assertion only through a federated identity credential
 * registered for the client (issuer, subject, audience), as Entra does; its GitHub-OIDC side
 * mints `sub` in GitHub's format from what the job (the runner simulation) says about itself.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ClientAssertionCredential, ClientSecretCredential } from '@azure/identity';
import { ARM_SCOPE, DEFAULT_SUBJECT, startTestEmulator, TENANT } from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';

const FEDERATED = 'api://AzureADTokenExchange';
const APP = '44444444-4444-4444-4444-444444444444';
let emu: TestEmulator;

beforeAll(async () => {
  emu = await startTestEmulator();
});
afterAll(async () => {
  await emu?.dispose();
});

const claims = (jwt: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

/** An ID token for a job described by `job` (query parameters of the token request URL). */
async function idToken(job: Record<string, string> = {}): Promise<string> {
  const url = new URL(emu.oidcRequestUrl);
  for (const [k, v] of Object.entries(job)) url.searchParams.set(k, v);
  url.searchParams.set('audience', FEDERATED);
  const res = await fetch(url, { headers: { authorization: `Bearer ${emu.oidcRequestToken}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { value: string }).value;
}

async function exchange(clientId: string, assertion: string) {
  const res = await fetch(`${emu.authorityHost}/${TENANT}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      scope: ARM_SCOPE,
    }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("GitHub's sub claims", () => {
  it('mints repo:<owner>/<repo>:ref:… by default and for a ref', async () => {
    expect(claims(await idToken()).sub).toBe(DEFAULT_SUBJECT);
    expect(
      claims(await idToken({ repository: 'octo/images', ref: 'refs/tags/v1.2.0' })),
    ).toMatchObject({
      sub: 'repo:octo/images:ref:refs/tags/v1.2.0',
      repository: 'octo/images',
      repository_owner: 'octo',
      ref: 'refs/tags/v1.2.0',
    });
  });

  it('mints repo:<owner>/<repo>:environment:<env> for a job in an environment', async () => {
    expect(
      claims(await idToken({ repository: 'octo/images', environment: 'production' })),
    ).toMatchObject({ sub: 'repo:octo/images:environment:production', environment: 'production' });
  });

  it('mints the immutable repo:<owner>@<ownerId>/<repo>@<repoId>:… form when the IDs are given', async () => {
    const token = claims(
      await idToken({
        repository: 'octo/images',
        repository_owner_id: '583231',
        repository_id: '1296269',
        environment: 'staging',
      }),
    );
    expect(token).toMatchObject({
      sub: 'repo:octo@583231/images@1296269:environment:staging',
      repository_owner_id: '583231',
      repository_id: '1296269',
    });
  });

  it('takes sub as given', async () => {
    expect(claims(await idToken({ sub: 'repo:octo/images:pull_request' })).sub).toBe(
      'repo:octo/images:pull_request',
    );
  });
});

describe('federated identity credentials', () => {
  it('refuses an assertion for a client with no federated credential (AADSTS70021)', async () => {
    const res = await exchange(APP, await idToken());
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request', error_codes: [70021] });
    expect(String(res.body.error_description)).toContain(
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${emu.authorityHost}/_actions'. Assertion Subject: '${DEFAULT_SUBJECT}'. Assertion Audience: '${FEDERATED}'.`,
    );
  });

  it('accepts only the registered subject, exactly (AADSTS700213 otherwise)', async () => {
    await emu.admin('POST', '/clients', {
      clientId: APP,
      federatedCredentials: [
        {
          name: 'production',
          issuer: `${emu.authorityHost}/_actions`,
          subject: 'repo:octo/images:environment:production',
        },
      ],
    });
    const ok = await exchange(
      APP,
      await idToken({ repository: 'octo/images', environment: 'production' }),
    );
    expect(ok.status).toBe(200);
    expect(claims(String(ok.body.access_token))).toMatchObject({ appid: APP, tid: TENANT });

    const jobs: Record<string, string>[] = [
      { repository: 'octo/images' }, // main branch, not the environment
      { repository: 'octo/images', environment: 'Production' }, // case-sensitive
      { repository: 'octo/images', environment: 'staging' },
    ];
    for (const job of jobs) {
      const refused = await exchange(APP, await idToken(job));
      expect(refused.status).toBe(400);
      expect(refused.body.error_codes).toEqual([700213]);
      expect(String(refused.body.error_description)).toMatch(
        /^AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:octo\/images:/,
      );
    }
  });

  it('refuses a credential registered for another issuer (AADSTS70021), through the SDK too', async () => {
    const other = '55555555-5555-5555-5555-555555555555';
    await emu.admin('POST', '/clients', {
      clientId: other,
      federatedCredentials: [
        { issuer: 'https://token.actions.githubusercontent.com', subject: DEFAULT_SUBJECT },
      ],
    });
    const credential = new ClientAssertionCredential(TENANT, other, () => idToken(), {
      authorityHost: emu.authorityHost,
      disableInstanceDiscovery: true,
    });
    await expect(credential.getToken(ARM_SCOPE)).rejects.toThrow(/AADSTS70021/);
  });

  it('keeps client secrets working, and lists registrations', async () => {
    await emu.admin('POST', '/clients', { clientId: APP, secret: 's3cret' });
    const good = new ClientSecretCredential(TENANT, APP, 's3cret', {
      authorityHost: emu.authorityHost,
      disableInstanceDiscovery: true,
    });
    expect((await good.getToken(ARM_SCOPE)).token).toBeTruthy();
    const bad = new ClientSecretCredential(TENANT, APP, 'wrong', {
      authorityHost: emu.authorityHost,
      disableInstanceDiscovery: true,
    });
    await expect(bad.getToken(ARM_SCOPE)).rejects.toThrow(/AADSTS7000215/);
    const listed = await emu.admin<{ clientId: string; hasSecret: boolean }[]>('GET', '/clients');
    expect(listed.find((c) => c.clientId === APP)).toMatchObject({ hasSecret: true });
  });

  it('seeds app registrations through POST /seed, and keeps them across POST /reset', async () => {
    const seeded = '66666666-6666-6666-6666-666666666666';
    await emu.admin('POST', '/seed', {
      clients: [
        {
          clientId: seeded,
          federatedCredentials: [
            { issuer: `${emu.authorityHost}/_actions`, subject: DEFAULT_SUBJECT },
          ],
        },
      ],
    });
    await emu.admin('POST', '/reset');
    expect((await exchange(seeded, await idToken())).status).toBe(200);
  });
});
