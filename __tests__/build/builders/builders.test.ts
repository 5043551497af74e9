/**
 * builder: image-builder and builder: packer, run by build-image's build step against stand-in
 * `make`, `packer` and `az` executables (__tests__/fixtures/build/bin) that record how they were
 * called and replay Packer output in its real forms; pkgs.k8s.io and Docker Hub answer through
 * a fake fetch.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildContext, buildImage } from '../../../src/build/builders/build.js';
import { getInputs } from '../../../src/actions/build-image/inputs.js';
import { runCommand, type RunCommand } from '../../../src/common/exec.js';
import { BuildFailedError } from '../../../src/build/packer/run.js';
import type { Fetch } from '../../../src/build/source.js';
import { ConfigurationError, InputError } from '../../../src/common/errors.js';
import { RecordingLogger } from '../../../src/common/logger.js';
import { recordInputReader } from '../../../src/common/inputs.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const TENANT = '11111111-1111-1111-1111-111111111111';
const CLIENT = '22222222-2222-2222-2222-222222222222';
const BIN = fileURLToPath(new URL('../../fixtures/build/bin', import.meta.url));
const PACKAGES = readFileSync(
  new URL('../../fixtures/build/pkgs-k8s-v1.31-Packages', import.meta.url),
  'utf8',
);

let work: string;
let checkout: string;
let record: string;
let n = 0;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cga-builders-'));
  checkout = join(work, 'image-builder');
  mkdirSync(join(checkout, 'images', 'capi'), { recursive: true });
  writeFileSync(join(checkout, 'images', 'capi', 'Makefile'), '# stand-in checkout\n');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));
beforeEach(() => {
  record = join(work, `record-${++n}`);
});

/** pkgs.k8s.io and Docker Hub, with the kube-proxy tags that exist. */
function fakeInternet(kubeProxyTags: string[] = ['v1.31.2-calico-hostprocess']) {
  const asked: string[] = [];
  const fetch: Fetch = async (url, init) => {
    asked.push(`${init?.method ?? 'GET'} ${url}`);
    if (url === 'https://pkgs.k8s.io/core:/stable:/v1.31/deb/Packages')
      return new Response(PACKAGES);
    if (url.startsWith('https://auth.docker.io/token?'))
      return Response.json({ token: 'anonymous' });
    const manifest =
      /^https:\/\/registry-1\.docker\.io\/v2\/sigwindowstools\/kube-proxy\/manifests\/(.+)$/.exec(
        url,
      );
    if (manifest)
      return new Response(null, { status: kubeProxyTags.includes(manifest[1]!) ? 200 : 404 });
    return new Response('not found', { status: 404 });
  };
  return { fetch, asked };
}

function context(
  extra: Partial<BuildContext> = {},
  env: Record<string, string> = {},
): BuildContext & { logger: RecordingLogger } {
  const buildEnv = {
    PATH: `${BIN}:${process.env.PATH}`,
    HOME: work,
    STANDIN_RECORD: record,
    INPUT_SUBSCRIPTION_ID: SUB,
    ...env,
  };
  const run: RunCommand = (command, args, options) =>
    runCommand(command, args, { ...options, env: buildEnv });
  return {
    logger: new RecordingLogger(),
    workDir: join(work, `build-${n}`),
    manifestDir: work,
    pageBlob: () => {
      throw new Error('no uploads here');
    },
    provenance: { repository: 'local/test' },
    env: buildEnv,
    run,
    fetch: fakeInternet().fetch,
    signIn: {
      kind: 'github-oidc',
      subscriptionId: SUB,
      clientId: CLIENT,
      tenantId: TENANT,
      getIdToken: async () => `id-token-${Date.now()}`,
    },
    ...extra,
  } as BuildContext & { logger: RecordingLogger };
}

const imageBuilderInputs = (inputs: Record<string, string> = {}) =>
  getInputs(
    recordInputReader({
      'subscription-id': SUB,
      builder: 'image-builder',
      'image-builder-path': checkout,
      os: 'ubuntu-2404',
      'kubernetes-version': 'v1.31.2',
      location: 'westus2',
      'resource-group': 'cluster-api-gallery',
      gallery: 'staging_gallery',
      ...inputs,
    }),
  );

const envOf = (file: string) =>
  Object.fromEntries(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('builder: image-builder', () => {
  it('runs make build-azure-sig-<os> with the version set, signed in without a secret, and reads the artifact', async () => {
    const ctx = context();
    const result = await buildImage(imageBuilderInputs(), ctx);

    expect(readFileSync(`${record}.make.args`, 'utf8').split('\n')).toEqual([
      '-C',
      join(checkout, 'images', 'capi'),
      'build-azure-sig-ubuntu-2404',
      '',
    ]);
    const env = envOf(`${record}.make.env`);
    expect(env).toMatchObject({
      AZURE_SUBSCRIPTION_ID: SUB,
      AZURE_CLIENT_ID: CLIENT,
      AZURE_TENANT_ID: TENANT,
      USE_AZURE_CLI_AUTH: 'True',
      AZURE_LOCATION: 'westus2',
      RESOURCE_GROUP_NAME: 'cluster-api-gallery',
      GALLERY_NAME: 'staging_gallery',
      SIG_IMAGE_DEFINITION: 'capi-ubuntu-2404',
      PACKER_FLAGS: '--var sig_image_version=1.31.2 --var image_name=capi-ubuntu-2404',
      PACKER_COLOR: 'false',
    });
    expect(env.AZURE_CLIENT_SECRET).toBeUndefined();
    expect(Object.keys(env).filter((k) => k.startsWith('INPUT_'))).toEqual([]);
    expect(JSON.parse(readFileSync(env.PACKER_VAR_FILES!, 'utf8'))).toEqual({
      kubernetes_semver: 'v1.31.2',
      kubernetes_series: 'v1.31',
      kubernetes_deb_version: '1.31.2-1.1',
      kubernetes_rpm_version: '1.31.2',
    });
    const az = readFileSync(`${record}.az`, 'utf8').trim().split('\n');
    expect(az[0]).toMatch(
      new RegExp(
        `^login --service-principal --username ${CLIENT} --tenant ${TENANT} --federated-token id-token-\\d+ --output none$`,
      ),
    );
    expect(az[1]).toBe(`account set --subscription ${SUB} --output none`);

    const base = `/subscriptions/${SUB}/resourceGroups/cluster-api-gallery/providers/Microsoft.Compute`;
    expect(result).toMatchObject({
      image: {
        definition: 'capi-ubuntu-2404',
        version: '1.31.2',
        osType: 'Linux',
        hyperVGeneration: 'V1',
      },
      managedImageId: `${base}/images/capi-ubuntu-2404-1763716000`,
      imageVersionId: `${base}/galleries/staging_gallery/images/capi-ubuntu-2404/versions/1.31.2`,
      manifest: { builder: 'image-builder', imageBuilder: { kubernetesDebVersion: '1.31.2-1.1' } },
    });
    expect(result.vhd).toBeUndefined();
    // Packer's output went to the log inside one group.
    const lines = ctx.logger.messages('info');
    const start = lines.indexOf('[group] make build-azure-sig-ubuntu-2404');
    const end = lines.indexOf('[endgroup] make build-azure-sig-ubuntu-2404');
    expect(start).toBeGreaterThanOrEqual(0);
    expect(lines.slice(start, end)).toContain(
      "Build 'sig-ubuntu-2404' finished after 27 minutes 41 seconds.",
    );
  });

  it('fails with the last Packer error when the build fails', async () => {
    const ctx = context({}, { STANDIN_SCENARIO: 'failure' });
    const error = await buildImage(imageBuilderInputs(), ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildFailedError);
    expect((error as Error).message).toBe(
      'make build-azure-sig-ubuntu-2404 failed (exit 2): Error executing Ansible: Non-zero exit status: exit status 2',
    );
    expect(ctx.logger.messages('info')).toContain(
      'make: *** [Makefile:546: build-azure-sig-ubuntu-2404] Error 1',
    );
  });

  it('uses kubernetes-deb-version as given, without asking pkgs.k8s.io', async () => {
    const internet = fakeInternet();
    await buildImage(
      imageBuilderInputs({ 'kubernetes-deb-version': '1.31.2-1.2' }),
      context({ fetch: internet.fetch }),
    );
    expect(internet.asked).toEqual([]);
    const env = envOf(`${record}.make.env`);
    expect(JSON.parse(readFileSync(env.PACKER_VAR_FILES!, 'utf8')).kubernetes_deb_version).toBe(
      '1.31.2-1.2',
    );
  });

  it('refuses a Kubernetes version pkgs.k8s.io has no packages for, naming kubernetes-version', async () => {
    const error = await buildImage(
      imageBuilderInputs({ 'kubernetes-version': 'v1.31.9' }),
      context(),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).input).toBe('kubernetes-version');
    expect(existsSync(`${record}.make.args`)).toBe(false);
    expect(existsSync(`${record}.az`)).toBe(false);
  });

  it('refuses a path that is no image-builder checkout', async () => {
    const error = await buildImage(
      imageBuilderInputs({ 'image-builder-path': work }),
      context(),
    ).catch((e: unknown) => e);
    expect((error as InputError).input).toBe('image-builder-path');
    expect(existsSync(`${record}.az`)).toBe(false);
  });

  it('checks the Windows kube-proxy image first, and can be told not to', async () => {
    const windows = { os: 'windows-2022-containerd' };
    const internet = fakeInternet([]);
    const error = await buildImage(
      imageBuilderInputs(windows),
      context({ fetch: internet.fetch }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(
      'sigwindowstools/kube-proxy:v1.31.2-calico-hostprocess does not exist yet',
    );
    expect(existsSync(`${record}.make.args`)).toBe(false);

    const skipped = await buildImage(
      imageBuilderInputs({ ...windows, 'skip-kube-proxy-check': 'true' }),
      context({ fetch: internet.fetch }),
    );
    expect(skipped.image).toMatchObject({
      definition: 'capi-windows-2022-containerd',
      osType: 'Windows',
    });

    const ctx = context();
    await buildImage(imageBuilderInputs(windows), ctx);
    expect(ctx.logger.messages('info')).toContain(
      'sigwindowstools/kube-proxy:v1.31.2-calico-hostprocess exists.',
    );
  });

  it('renews the Azure CLI session with a new ID token while a long build runs', async () => {
    const ctx = context({ cliRefreshMs: 150 }, { STANDIN_SECONDS: '0.5' });
    await buildImage(imageBuilderInputs(), ctx);
    const logins = readFileSync(`${record}.az`, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('login '));
    expect(logins.length).toBeGreaterThanOrEqual(3);
    expect(new Set(logins).size).toBe(logins.length);
  });

  it('passes a client secret through the environment and signs nothing in', async () => {
    const ctx = context(
      {
        signIn: { kind: 'client-secret', subscriptionId: SUB, clientId: CLIENT, tenantId: TENANT },
      },
      { AZURE_CLIENT_SECRET: 'shh' },
    );
    await buildImage(imageBuilderInputs(), ctx);
    expect(existsSync(`${record}.az`)).toBe(false);
    const env = envOf(`${record}.make.env`);
    expect(env).toMatchObject({
      AZURE_CLIENT_ID: CLIENT,
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_SECRET: 'shh',
    });
    expect(env.USE_AZURE_CLI_AUTH).toBeUndefined();
  });
});

describe('builder: packer', () => {
  const template = () => {
    const path = join(work, 'node.pkr.hcl');
    writeFileSync(path, 'source "azure-arm" "custom-ubuntu" {}\n');
    return path;
  };
  const packerInputs = (inputs: Record<string, string> = {}) =>
    getInputs(
      recordInputReader({
        'subscription-id': SUB,
        builder: 'packer',
        'packer-template': template(),
        'packer-vars': 'vm_size=Standard_D4s_v5\nimage_version=2.1.0',
        'hyper-v-generation': 'V2',
        'resource-group': 'packer-rg',
        ...inputs,
      }),
    );

  it('runs packer init and packer build -machine-readable, and reads the artifact records', async () => {
    const ctx = context({
      signIn: { kind: 'github-oidc', subscriptionId: SUB, clientId: CLIENT, tenantId: TENANT },
    });
    const result = await buildImage(packerInputs(), ctx);
    expect(readFileSync(`${record}.packer-init.args`, 'utf8')).toBe(`init\n${template()}\n`);
    expect(readFileSync(`${record}.packer.args`, 'utf8').split('\n')).toEqual([
      'build',
      '-machine-readable',
      '-var',
      'vm_size=Standard_D4s_v5',
      '-var',
      'image_version=2.1.0',
      template(),
      '',
    ]);
    expect(envOf(`${record}.packer.env`)).toMatchObject({
      AZURE_SUBSCRIPTION_ID: SUB,
      AZURE_CLIENT_ID: CLIENT,
      AZURE_TENANT_ID: TENANT,
      RESOURCE_GROUP_NAME: 'packer-rg',
    });
    const base = `/subscriptions/${SUB}/resourceGroups/packer-rg/providers/Microsoft.Compute`;
    expect(result).toMatchObject({
      image: {
        definition: 'custom-node',
        version: '2.1.0',
        osType: 'Linux',
        hyperVGeneration: 'V2',
      },
      managedImageId: `${base}/images/custom-node-1763716000`,
      imageVersionId: `${base}/galleries/custom_gallery/images/custom-node/versions/2.1.0`,
      manifest: { builder: 'packer', packer: { template: template() } },
    });
    expect(existsSync(`${record}.az`)).toBe(false);
    expect(ctx.logger.messages('info')).toContain('==> custom-ubuntu: Running builder ...');
  });

  it('fails with the error record as its message', async () => {
    const error = await buildImage(
      packerInputs(),
      context({}, { STANDIN_SCENARIO: 'failure' }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BuildFailedError);
    expect((error as Error).message).toMatch(
      /^packer build .* failed \(exit 1\): QuotaExceeded: Operation could not be completed/,
    );
  });

  it('refuses a template that does not exist', async () => {
    const error = await buildImage(
      packerInputs({ 'packer-template': join(work, 'missing.pkr.hcl') }),
      context(),
    ).catch((e: unknown) => e);
    expect((error as InputError).input).toBe('packer-template');
  });
});
