/**
 * image-builder's real contract (issue 10, items 1, 3, 7, 8, 9), for all 15 Azure SIG targets,
 * against the stand-in `make` (__tests__/fixtures/build/make.mjs), which behaves as
 * kubernetes-sigs/image-builder's goal does: each test shows the failure as it was (the shim
 * called the old way) and the behaviour now (build-image's image-builder builder).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildContext, buildImage } from '../../../src/build/builders/build.js';
import { getInputs } from '../../../src/actions/build-image/inputs.js';
import { runCommand, type RunCommand } from '../../../src/common/exec.js';
import { IMAGE_BUILDER_OS_TARGETS } from '../../../src/build/os-targets.js';
import type { StagingApi } from '../../../src/build/packer/staging-version.js';
import { ConfigurationError } from '../../../src/common/errors.js';
import { RecordingLogger } from '../../../src/common/logger.js';
import { capzImageTarget } from '../../../src/gallery/names.js';
import { recordInputReader } from '../../../src/common/inputs.js';
import { makeImageBuilderCheckout, STANDIN_IB_TAG } from '../../helpers/image-builder.js';

const SUB = '00000000-0000-0000-0000-000000000000';
const BIN = fileURLToPath(new URL('../../fixtures/build/bin', import.meta.url));

/** image-builder's definition per target (init-sig.sh l. 77-138, packer-windows.json l. 45). */
const IMAGE_BUILDER_DEFINITIONS: Record<string, string> = {
  'ubuntu-2204': 'capi-ubuntu-2204',
  'ubuntu-2404': 'capi-ubuntu-2404',
  'ubuntu-2604': 'capi-ubuntu-2604',
  'azurelinux-3': 'capi-azurelinux-3',
  'windows-2022-containerd': 'capi-windows-2022-containerd',
  'windows-2025-containerd': 'capi-windows-2025-containerd',
  flatcar: 'capi-flatcar-stable-4230.2.3',
  'ubuntu-2204-gen2': 'capi-ubuntu-2204-gen2',
  'ubuntu-2404-gen2': 'capi-ubuntu-2404-gen2',
  'ubuntu-2604-gen2': 'capi-ubuntu-2604-gen2',
  'azurelinux-3-gen2': 'capi-azurelinux-3-gen2',
  'flatcar-gen2': 'capi-flatcar-stable-4230.2.3-gen2',
  'ubuntu-2204-cvm': 'capi-ubuntu-2204-cvm',
  'ubuntu-2404-cvm': 'capi-ubuntu-2404-cvm',
  'windows-2022-containerd-cvm': 'capi-windows-2022-cvm-containerd',
};

/**
 * The identifier SKU, Hyper-V generation and features init-sig.sh gives each target's staging
 * definition (image-builder ae63061, images/capi/packer/azure/scripts/init-sig.sh l. 77-133).
 */
const INIT_SIG_DEFINITIONS: Record<string, [sku: string, generation: string, features: string]> = {
  'ubuntu-2204': ['22_04-lts', 'V1', ''],
  'ubuntu-2404': ['24_04-lts', 'V1', ''],
  'ubuntu-2604': ['26_04-lts', 'V1', ''],
  'azurelinux-3': ['azurelinux-3', 'V1', ''],
  'windows-2022-containerd': ['win-2022-containerd', 'V1', ''],
  'windows-2025-containerd': ['win-2025-containerd', 'V1', ''],
  flatcar: ['flatcar-stable-4230.2.3', 'V1', ''],
  'ubuntu-2204-gen2': ['22_04-lts-gen2', 'V2', ''],
  'ubuntu-2404-gen2': ['24_04-lts-gen2', 'V2', ''],
  'ubuntu-2604-gen2': ['26_04-lts-gen2', 'V2', ''],
  'azurelinux-3-gen2': ['azurelinux-3-gen2', 'V2', ''],
  'flatcar-gen2': ['flatcar-stable-4230.2.3-gen2', 'V2', ''],
  'ubuntu-2204-cvm': ['22_04-lts-cvm', 'V2', 'SecurityType=ConfidentialVmSupported'],
  'ubuntu-2404-cvm': ['24_04-lts-cvm', 'V2', 'SecurityType=ConfidentialVmSupported'],
  'windows-2022-containerd-cvm': [
    'windows-2022-cvm-containerd',
    'V2',
    'SecurityType=ConfidentialVmSupported',
  ],
};

let work: string;
let checkout: string;
let shallow: string;
let commit: string;
let n = 0;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cga-ib-contract-'));
  checkout = join(work, 'image-builder');
  commit = makeImageBuilderCheckout(checkout);
  shallow = join(work, 'shallow');
  makeImageBuilderCheckout(shallow, { tagged: false });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function baseEnv(record: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${BIN}:${process.env.PATH}`,
    HOME: work,
    STANDIN_RECORD: record,
    AZURE_SUBSCRIPTION_ID: SUB,
    // What init-sig.sh signs the Azure CLI in with when USE_AZURE_CLI_AUTH is not True (l. 26).
    AZURE_CLIENT_ID: 'c',
    AZURE_TENANT_ID: 't',
    AZURE_CLIENT_SECRET: 'local-secret',
    RESOURCE_GROUP_NAME: 'cluster-api-gallery',
    GALLERY_NAME: 'staging_gallery',
    AZURE_LOCATION: 'westus2',
    ...extra,
  };
}

/** The stand-in make, called directly (as this project used to call it). */
function make(os: string, env: Record<string, string>, dir = checkout) {
  const r = spawnSync('make', ['-C', join(dir, 'images', 'capi'), `build-azure-sig-${os}`], {
    env,
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

function build(
  os: string,
  env: Record<string, string> = {},
  inputs: Record<string, string> = {},
  staging?: StagingApi,
) {
  const record = join(work, `r${++n}`);
  const buildEnv = baseEnv(record, { PACKER_GITHUB_API_TOKEN: 'ghs_x', ...env });
  const run: RunCommand = (command, args, options) =>
    runCommand(command, args, { ...options, env: buildEnv });
  const ctx = {
    logger: new RecordingLogger(),
    workDir: join(work, `b${n}`),
    manifestDir: work,
    pageBlob: () => {
      throw new Error('no uploads');
    },
    provenance: {},
    env: buildEnv,
    run,
    signIn: { kind: 'client-secret', subscriptionId: SUB, clientId: 'c', tenantId: 't' },
    ...(staging ? { staging } : {}),
  } as unknown as BuildContext & { logger: RecordingLogger };
  const settings = getInputs(
    recordInputReader({
      'subscription-id': SUB,
      builder: 'image-builder',
      'image-builder-path': checkout,
      os,
      'kubernetes-version': 'v1.31.2',
      'kubernetes-deb-version': '1.31.2-1.1',
      'skip-kube-proxy-check': 'true',
      location: 'westus2',
      'resource-group': 'cluster-api-gallery',
      gallery: 'staging_gallery',
      ...inputs,
    }),
  );
  return { record, ctx, promise: buildImage(settings, ctx) };
}

it('knows the 15 targets of the upstream Makefile', () => {
  expect(IMAGE_BUILDER_OS_TARGETS).toHaveLength(15);
  expect(Object.keys(IMAGE_BUILDER_DEFINITIONS).sort()).toEqual(
    [...IMAGE_BUILDER_OS_TARGETS].sort(),
  );
});

describe.each(IMAGE_BUILDER_OS_TARGETS)('%s', (os) => {
  const windows = os.startsWith('windows');
  it('1/9: was broken for Windows by image_name=<definition>; builds into image-builder’s definition now', async () => {
    // As it was: image_name and SIG_IMAGE_DEFINITION both set to our capi-<os> name.
    const old = `capi-${os}`;
    const before = make(
      os,
      baseEnv(join(work, `old${++n}`), {
        IB_VERSION: 'v0.1.50',
        SIG_IMAGE_DEFINITION: old,
        PACKER_FLAGS: `--var sig_image_version=1.31.2 --var image_name=${old}`,
      }),
    );
    if (windows) {
      expect(before.code).toBe(2);
      expect(before.out).toContain(
        `'${old}-containerd' from which to source the image version does not exist`,
      );
    } else {
      expect(before.code).toBe(0);
    }
    const { record, promise } = build(os);
    const result = await promise;
    expect(result.image.definition).toBe(IMAGE_BUILDER_DEFINITIONS[os]);
    expect(result.imageVersionId).toMatch(
      new RegExp(
        `/galleries/staging_gallery/images/${IMAGE_BUILDER_DEFINITIONS[os]!.replace(/\./g, '\\.')}/versions/1\\.31\\.2$`,
      ),
    );
    const flags = readFileSync(`${record}.make.env`, 'utf8');
    expect(flags).not.toContain('image_name=');
  });

  it('2: init-sig.sh makes the staging definition capz/capz-demo/<its SKU>, through a signed-in az', async () => {
    const { record, promise } = build(os);
    await promise;
    const calls = readFileSync(`${record}.az`, 'utf8').split('\n').filter(Boolean);
    const [sku, generation, features] = INIT_SIG_DEFINITIONS[os]!;
    expect(calls[0]).toBe('login --service-principal -u c -t t -p local-secret');
    expect(calls.at(-1)).toBe(
      `sig image-definition create --resource-group cluster-api-gallery --gallery-name staging_gallery ` +
        `--gallery-image-definition ${IMAGE_BUILDER_DEFINITIONS[os]} --publisher capz --offer capz-demo ` +
        `--sku ${sku} --hyper-v-generation ${generation} --os-type ${windows ? 'Windows' : 'Linux'} ` +
        `--features ${features}`,
    );
    // Without a session, as with a secret that is not there, the definition is never made.
    const signedOut = make(
      os,
      baseEnv(join(work, `old${++n}`), {
        IB_VERSION: 'v0.1.50',
        AZURE_CLIENT_SECRET: '',
        AZURE_CONFIG_DIR: join(work, `signed-out${n}`),
      }),
    );
    expect(signedOut.code).toBe(2);
    expect(signedOut.out).toContain("Please run 'az login' to setup account.");
  });

  it('3: image provenance was empty from a shallow clone; now the build stops before make, and a full clone exports IB_VERSION and IB_COMMIT', async () => {
    const before = make(os, baseEnv(join(work, `old${++n}`)), shallow);
    expect(before.code).toBe(0);
    expect(existsSync(join(work, `old${n}.provenance`))).toBe(false);

    const { record, promise } = build(os);
    await promise;
    const env = readFileSync(`${record}.make.env`, 'utf8');
    expect(env).toContain(`IB_VERSION=${STANDIN_IB_TAG}`);
    expect(env).toContain(`IB_COMMIT=${commit}`);
    const file = readFileSync(`${record}.provenance`, 'utf8');
    expect(file).toContain(
      `IMAGE_BUILDER_VERSION=${STANDIN_IB_TAG}\nIMAGE_BUILDER_COMMIT=${commit}\n`,
    );
    expect(file.includes('BUILD_DATE=')).toBe(!windows);

    const shallowBuild = build(os, {}, { 'image-builder-path': shallow });
    const error = await shallowBuild.promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('fetch-depth: 0');
    expect(existsSync(`${shallowBuild.record}.make.args`)).toBe(false);
  });

  it('7: an existing staging version failed after the whole build; now if-exists decides before it', async () => {
    const def = IMAGE_BUILDER_DEFINITIONS[os]!;
    const before = make(
      os,
      baseEnv(join(work, `old${++n}`), {
        IB_VERSION: 'v0.1.50',
        PACKER_FLAGS: '--var sig_image_version=1.31.2',
        STANDIN_EXISTING_VERSIONS: `staging_gallery/${def}/1.31.2`,
      }),
    );
    expect(before.code).toBe(2);
    expect(before.out).toContain('use the -force option');

    const id = `/subscriptions/${SUB}/resourceGroups/cluster-api-gallery/providers/Microsoft.Compute/galleries/staging_gallery/images/${def}/versions/1.31.2`;
    const deleted: string[] = [];
    const staging = {
      galleryImageVersions: {
        get: async () => ({ id, provisioningState: 'Succeeded' }),
        beginDeleteAndWait: async (...a: string[]) => void deleted.push(a.join('/')),
      },
      images: { beginDeleteAndWait: async () => undefined },
    } as unknown as StagingApi;
    // Flatcar's definition names the version, known beforehand only when pinned.
    const pin: Record<string, string> = os.startsWith('flatcar')
      ? { FLATCAR_VERSION: '4230.2.3' }
      : {};
    const skip = build(os, pin, {}, staging);
    expect((await skip.promise).imageVersionId).toBe(id);
    expect(existsSync(`${skip.record}.make.args`)).toBe(false);

    const fail = build(os, pin, { 'if-exists': 'fail' }, staging);
    await expect(fail.promise).rejects.toThrow(/already exists \(Succeeded\).*if-exists: replace/s);
    expect(existsSync(`${fail.record}.make.args`)).toBe(false);

    const replace = build(os, pin, { 'if-exists': 'replace' }, staging);
    await replace.promise;
    expect(deleted).toEqual([`cluster-api-gallery/staging_gallery/${def}/1.31.2`]);
  });
});

describe('8: ansible-core and packer init', () => {
  it('an old ansible-core stopped make with exit 2 and no Packer error; now a clear error first', async () => {
    const env = { STANDIN_ANSIBLE_CORE: '2.16.3' };
    const before = make('ubuntu-2404', baseEnv(join(work, `old${++n}`), env));
    expect(before.code).toBe(2);
    expect(before.out).toContain('Image builder requires 2.18.18 or greater.');

    const { record, promise } = build('ubuntu-2404', env);
    const error = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain(
      'ansible-core 2.16.3 on this runner is older than the 2.18.18 image-builder needs',
    );
    expect((error as Error).message).toContain('pip install "ansible-core==2.18.18"');
    expect(existsSync(`${record}.make.args`)).toBe(false);
  });

  it('packer init ran without PACKER_GITHUB_API_TOKEN; now it gets it, and its absence is warned of', async () => {
    const before = make(
      'ubuntu-2404',
      baseEnv(join(work, `old${++n}`), { STANDIN_GITHUB_RATE_LIMITED: '1', IB_VERSION: 'x' }),
    );
    expect(before.code).toBe(2);
    expect(before.out).toContain('API rate limit exceeded');

    const ok = build('ubuntu-2404', { STANDIN_GITHUB_RATE_LIMITED: '1' });
    await ok.promise;
    expect(readFileSync(`${ok.record}.packer-init.token`, 'utf8')).toBe('set');

    const { ctx, promise } = build('ubuntu-2404', { PACKER_GITHUB_API_TOKEN: '' });
    await promise;
    expect(ctx.logger.messages('warning').join('\n')).toContain(
      'PACKER_GITHUB_API_TOKEN is not set',
    );
  });
});

describe('1/9: a definition the caller names', () => {
  it('overrides both names, Windows image_name without the runtime Packer appends', async () => {
    const { record, promise } = build(
      'windows-2022-containerd',
      {},
      {
        'image-definition': 'my-win-2022-containerd',
      },
    );
    const result = await promise;
    expect(result.image.definition).toBe('my-win-2022-containerd');
    const env = readFileSync(`${record}.make.env`, 'utf8');
    expect(env).toContain('SIG_IMAGE_DEFINITION=my-win-2022-containerd');
    expect(env).toContain('--var image_name=my-win-2022\n');
  });

  it('refuses a Windows definition that does not end with -containerd, before make', async () => {
    const { record, promise } = build(
      'windows-2025-containerd',
      {},
      { 'image-definition': 'my-win' },
    );
    await expect(promise).rejects.toThrow(/must end with '-containerd'/);
    expect(existsSync(`${record}.make.args`)).toBe(false);
  });

  it('CAPZ names follow image-builder for the Windows CVM target', () => {
    expect(capzImageTarget('windows-2022-containerd-cvm')).toMatchObject({
      stagingDefinition: 'capi-windows-2022-cvm-containerd',
      productionDefinition: 'capi-win-2022-cvm-containerd',
    });
  });
});
