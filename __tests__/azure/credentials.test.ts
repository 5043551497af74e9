import { describe, expect, it } from '@jest/globals';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { armScope } from '../../src/azure/clients.js';
import { createCredential, maskingCredential } from '../../src/azure/credentials.js';
import type { AzureSignIn } from '../../src/azure/credentials.js';
import { ConfigurationError } from '../../src/common/errors.js';
import { RecordingLogger } from '../../src/common/logger.js';

const signIn: AzureSignIn = {
  subscriptionId: '00000000-0000-0000-0000-000000000000',
  tenantId: '11111111-1111-1111-1111-111111111111',
  clientId: '22222222-2222-2222-2222-222222222222',
  armEndpoint: 'https://management.azure.com',
  authorityHost: 'https://login.microsoftonline.com',
};

function pick(env: NodeJS.ProcessEnv, input: Partial<AzureSignIn> = {}) {
  const logger = new RecordingLogger();
  const masked: string[] = [];
  const result = createCredential(
    { ...signIn, ...input },
    { env, getIdToken: async () => 'id-token', maskSecret: (v) => masked.push(v), logger },
  );
  return { result, logger, masked };
}

describe('createCredential', () => {
  it('prefers GitHub OIDC when the job can request ID tokens', () => {
    const { result, logger } = pick({
      ACTIONS_ID_TOKEN_REQUEST_URL: 'https://x',
      AZURE_CLIENT_SECRET: 's3cret',
    });
    expect(result.kind).toBe('github-oidc');
    expect(logger.messages('info')[0]).toContain(
      'GitHub OIDC federated credential for client 22222222',
    );
  });

  it('uses AZURE_CLIENT_SECRET without OIDC, masking the secret and never logging it', () => {
    const { result, logger, masked } = pick({ AZURE_CLIENT_SECRET: 's3cret' });
    expect(result.kind).toBe('client-secret');
    expect(masked).toContain('s3cret');
    expect(logger.messages().join('\n')).not.toContain('s3cret');
  });

  it('falls back to the Azure CLI session without client and tenant', () => {
    const { result } = pick({}, { clientId: undefined, tenantId: undefined });
    expect(result.kind).toBe('azure-cli');
  });

  it('says what is missing when client and tenant are set but nothing can sign in with them', () => {
    expect(() => pick({})).toThrow(ConfigurationError);
    expect(() => pick({})).toThrow(/id-token: write/);
  });
});

describe('maskingCredential', () => {
  const tokenAt = (token: string, expiresOnTimestamp: number): AccessToken => ({
    token,
    expiresOnTimestamp,
  });

  it('masks each token and reuses it until five minutes before expiry', async () => {
    let now = 0;
    let calls = 0;
    const inner: TokenCredential = {
      getToken: async () => tokenAt(`t${++calls}`, now + 60 * 60_000),
    };
    const masked: string[] = [];
    const credential = maskingCredential(
      inner,
      (v) => masked.push(v),
      () => now,
    );

    expect((await credential.getToken('scope/.default'))?.token).toBe('t1');
    now += 50 * 60_000;
    expect((await credential.getToken('scope/.default'))?.token).toBe('t1');
    now += 6 * 60_000;
    expect((await credential.getToken('scope/.default'))?.token).toBe('t2');
    expect((await credential.getToken('other/.default'))?.token).toBe('t3');
    expect((await credential.getToken('scope/.default', { claims: 'x' }))?.token).toBe('t4');
    expect(masked).toEqual(['t1', 't2', 't3', 't4']);
  });
});

describe('armScope', () => {
  it.each([
    ['https://management.azure.com', 'https://management.azure.com/.default'],
    ['https://management.usgovcloudapi.net/', 'https://management.usgovcloudapi.net/.default'],
    ['https://127.0.0.1:8443', 'https://management.azure.com/.default'],
  ])('%s → %s', (endpoint, scope) => {
    expect(armScope(endpoint)).toBe(scope);
  });
});
