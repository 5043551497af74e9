/**
 * The demo plays a repository that publishes CAPZ-style images and calls images.yml on a
 * schedule, or by hand to skip validation or yank a version (docs/examples/retire-an-image.md),
 * then publishes the production gallery's catalog to its branch `gallery-catalog` (docs/README.md,
 * "The catalog, where developers look"), like docs/examples/capz.md, with two differences: it builds from a disk image kept
 * in the repository (builder: disk) instead of running image-builder, and its Azure endpoints
 * are the stand-in's, taken from repository variables as any other setting would be.
 */
import { ownRepository, parseWorkflowText, type Workflow } from './demo-workflow.js';

export const DEMO_CALLER_REPOSITORY = 'example/capz-images';
export const DEMO_CALLER_FILE = 'example/capz-images:.github/workflows/node-images.yml';

/**
 * The commit of this project the calling repository pins, as docs/README.md advises: the demo's
 * simulated github.com holds this checkout at that commit (and no other ref).
 */
export const DEMO_PINNED_SHA = 'c0ffee0000000000000000000000000000000001';

export const DEMO_CALLER_YAML = `name: Node images
on:
  schedule:
    - cron: '0 6 * * *'
  workflow_dispatch:
    inputs:
      skip-validation:
        type: boolean
        default: false
      yank:
        type: string
        default: ''
      yank-reason:
        type: string
        default: ''
      cleanup-dry-run:
        type: boolean
        default: true

permissions: {}

jobs:
  images:
    permissions:
      contents: read
      id-token: write
      attestations: write
    uses: \${OWN}/.github/workflows/images.yml@\${PINNED} # v1.0.0
    with:
      minor-versions: '1'
      operating-systems: ubuntu-2404
      skip-validation: \${{ inputs.skip-validation || false }}
      yank: \${{ inputs.yank }}
      yank-reason: \${{ inputs.yank-reason }}
      # A schedule has no inputs: its cleanup is always a dry run.
      cleanup-dry-run: \${{ github.event_name != 'workflow_dispatch' || inputs.cleanup-dry-run }}
      subscription-id: \${{ vars.AZURE_SUBSCRIPTION_ID }}
      tenant-id: \${{ vars.AZURE_TENANT_ID }}
      client-id: \${{ vars.AZURE_CLIENT_ID }}
      # Promote and production cleanup sign in as another identity, in the production environment.
      production-client-id: \${{ vars.AZURE_PRODUCTION_CLIENT_ID }}
      arm-endpoint: \${{ vars.AZURE_ARM_ENDPOINT }}
      authority-host: \${{ vars.AZURE_AUTHORITY_HOST }}
      location: westus2
      builder: disk
      source-disk: images/node.qcow2
      source-checksum: sha256:\${{ vars.NODE_IMAGE_SHA256 }}
      blob-container-url: \${{ vars.BLOB_CONTAINER_URL }}
      staging-resource-group: rg-capi-staging
      staging-gallery: capi_staging
      production-resource-group: rg-capi-community
      production-gallery: ClusterAPI
      # The demo's first run makes the community gallery; a real caller's gallery exists.
      create-production-gallery: true
      sharing: community
      public-name-prefix: ClusterAPI
      publisher-uri: https://capz.sigs.k8s.io
      publisher-contact: capz-maintainers@example.com
      eula: https://www.apache.org/licenses/LICENSE-2.0
      target-regions: westus2 eastus=2 northeurope
      # The stand-in's Sigstore (its CA, TSA and OIDC issuer) stands in for GitHub's: promote
      # and the catalog verify its certificates against its trusted root, as gh attestation
      # trusted-root prints GitHub's.
      trusted-root: \${{ vars.ATTESTATION_TRUSTED_ROOT }}
      certificate-oidc-issuer: \${{ vars.ATTESTATION_OIDC_ISSUER }}
      keep-patches: '2'
      grace-days: '30'

  # The catalog of production, published where developers look: a branch of this repository.
  # Only this job may push (contents: write); images.yml asks nothing of the kind.
  publish-catalog:
    needs: images
    if: \${{ !cancelled() }}
    runs-on: ubuntu-24.04
    permissions:
      contents: write
    steps:
      - name: Fetch the catalog of production
        uses: actions/download-artifact@37930b1c2abaa49bbe596cd826c3c89aef350131 # v7.0.0
        with:
          name: catalog
          path: \${{ runner.temp }}/catalog
      - name: Publish it to the gallery-catalog branch
        id: publish-catalog
        uses: \${OWN}/actions/publish-catalog@\${PINNED} # v1.0.0
        with:
          catalog: \${{ runner.temp }}/catalog
          branch: gallery-catalog
`;

/**
 * The second scenario (`npm run demo -- --image-builder`): a repository that builds CAPZ's
 * reference image with kubernetes-sigs/image-builder (the runner's make, packer, az and ansible
 * are the demo's stand-ins) and promotes into a community gallery that exists already, with the
 * definitions image-builder's own publishing workflow made (`capi-ubun2-2404`, identifier
 * `<publisher>/reference-images/ubuntu-2404`): no gallery is created, and its public name is
 * checked.
 */
export const DEMO_IMAGE_BUILDER_CALLER_YAML = `name: Reference images
on:
  schedule:
    - cron: '0 6 * * *'

permissions: {}

jobs:
  images:
    permissions:
      contents: read
      id-token: write
      attestations: write
    uses: \${OWN}/.github/workflows/images.yml@\${PINNED} # v1.0.0
    with:
      kubernetes-versions: \${{ vars.KUBERNETES_VERSION }}
      # pkgs.k8s.io's revision of the packages, so the build need not look it up.
      kubernetes-deb-version: \${{ vars.KUBERNETES_DEB_VERSION }}
      operating-systems: ubuntu-2404
      cleanup-dry-run: true
      subscription-id: \${{ vars.AZURE_SUBSCRIPTION_ID }}
      tenant-id: \${{ vars.AZURE_TENANT_ID }}
      client-id: \${{ vars.AZURE_CLIENT_ID }}
      production-client-id: \${{ vars.AZURE_PRODUCTION_CLIENT_ID }}
      arm-endpoint: \${{ vars.AZURE_ARM_ENDPOINT }}
      authority-host: \${{ vars.AZURE_AUTHORITY_HOST }}
      location: westus2
      builder: image-builder
      image-builder-ref: \${{ vars.IMAGE_BUILDER_REF }}
      staging-resource-group: rg-capi-staging
      staging-gallery: capi_staging
      production-resource-group: rg-capi-community
      production-gallery: ClusterAPI
      # The community gallery exists (image-builder's publishing made it): never create one, and
      # refuse a gallery whose public name is not this one.
      create-production-gallery: false
      community-gallery-public-name: \${{ vars.COMMUNITY_GALLERY_PUBLIC_NAME }}
      sharing: community
      public-name-prefix: ClusterAPI
      publisher-uri: https://capz.sigs.k8s.io
      publisher-contact: capz-maintainers@example.com
      eula: https://www.apache.org/licenses/LICENSE-2.0
      production-offer: reference-images
      target-regions: westus2 eastus=2
      trusted-root: \${{ vars.ATTESTATION_TRUSTED_ROOT }}
      certificate-oidc-issuer: \${{ vars.ATTESTATION_OIDC_ISSUER }}
      keep-patches: '2'
      grace-days: '30'
`;

/** The demo caller's text with this project's name and the pinned commit filled in. */
export function demoCallerText(own = ownRepository(), yaml = DEMO_CALLER_YAML): string {
  return yaml.replaceAll('${OWN}', own).replaceAll('${PINNED}', DEMO_PINNED_SHA);
}

export function demoCaller(text = demoCallerText()): Workflow {
  return parseWorkflowText(text, DEMO_CALLER_FILE, DEMO_CALLER_REPOSITORY);
}
