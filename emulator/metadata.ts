import { ARM_AUDIENCES } from './identity.js';
import type { Req, Res } from './http.js';

/**
 * `GET /metadata/endpoints?api-version=2015-01-01`, unauthenticated, as ARM answers it (issue 12,
 * item 11): the cloud's endpoints, which `az cloud register --endpoint-resource-manager` reads
 * (msrestazure's `_populate_from_metadata_endpoint`, msrestazure/azure_cloud.py lines 204-233 in
 * Debian's python3-msrestazure 0.6.4: `galleryEndpoint`, `graphEndpoint`,
 * `authentication.loginEndpoint`, `authentication.audiences[0]`).
 *
 * The stand-in answers as an Azure Stack Hub cloud whose identity is ADFS does: `loginEndpoint`
 * ends in `/adfs/`. Azure CLI then treats the login host as ADFS (azure-cli core
 * auth/identity.py `_get_authority_url`: an authority ending in `adfs`), and MSAL Python skips
 * its instance discovery at login.microsoftonline.com for an `adfs` tenant (msal 1.21
 * authority.py: `_is_known_to_developer = self.is_adfs or …`), which the stand-in cannot answer
 * for. MSAL clients that can turn instance discovery off use `authorityHost` itself.
 */
export function cloudMetadata(req: Req, authorityHost: string): Res {
  const arm = `${req.origin}/`;
  return {
    status: 200,
    body: {
      galleryEndpoint: arm,
      graphEndpoint: `${authorityHost}/graph/`,
      portalEndpoint: arm,
      graphAudience: `${authorityHost}/graph/`,
      authentication: {
        loginEndpoint: `${authorityHost}/adfs/`,
        audiences: [ARM_AUDIENCES[3], ARM_AUDIENCES[1]],
        tenant: 'adfs',
        identityProvider: 'ADFS',
      },
      name: 'AzureStandIn',
      resourceManager: arm,
      suffixes: { storage: new URL(arm).host, keyVaultDns: 'vault.stand-in.local' },
    },
  };
}
