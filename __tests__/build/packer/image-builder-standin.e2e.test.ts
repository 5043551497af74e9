/**
 * The image-builder path against the local Azure stand-in: the `az` shim as init-sig.sh and
 * build-image call it (issue 10 item 8), and the build's managed image deleted once the staging
 * version holds its bits (item 6). The make shim creates what image-builder's goal creates: the
 * definition through `az`, the managed image `<image_name>-<build_timestamp>` and the version
 * (image-builder ae63061, init-sig.sh l. 55-133, packer.json l. 4-13, 24).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildContext, buildImage } from '../../../src/build/builders/build.js';
import { getInputs } from '../../../src/actions/build-image/inputs.js';
import { runCommand, type RunCommand } from '../../../src/common/exec.js';
import type { StagingApi } from '../../../src/build/packer/staging-version.js';
import { RecordingLogger } from '../../../src/common/logger.js';
import { recordInputReader } from '../../../src/common/inputs.js';
import { makeImageBuilderCheckout } from '../../helpers/image-builder.js';
import {
  CLIENT,
  startTestEmulator,
  SUBSCRIPTION,
  TENANT,
  type TestEmulator,
} from '../../helpers/emulator.js';

const BIN = fileURLToPath(new URL('../../fixtures/build/bin', import.meta.url));
const RG = 'cluster-api-gallery';

let emu: TestEmulator;
let work: string;
let checkout: string;
let n = 0;

beforeAll(async () => {
  emu = await startTestEmulator({ settings: { operationMs: 20, replicationMs: 30 } });
  work = mkdtempSync(join(tmpdir(), 'cga-ib-standin-'));
  checkout = join(work, 'image-builder');
  makeImageBuilderCheckout(checkout);
});
afterAll(async () => {
  await emu.dispose();
  rmSync(work, { recursive: true, force: true });
});

/** The environment of a runner pointed at the stand-in, with a profile dir of its own. */
function standInEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${BIN}:${process.env.PATH}`,
    HOME: work,
    AZURE_CONFIG_DIR: join(work, `azure${++n}`),
    NODE_EXTRA_CA_CERTS: emu.caCertPath,
    STANDIN_RECORD: join(work, `r${n}`),
    STANDIN_ARM_ENDPOINT: emu.endpoint,
    STANDIN_AUTHORITY_HOST: emu.authorityHost,
    ...extra,
  };
}

/** Runs the shim without blocking this process, which serves the stand-in. */
async function az(env: Record<string, string>, ...args: string[]) {
  const r = await runCommand('az', args, { env });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

describe('the az shim (issue 10 item 8)', () => {
  it('refuses unknown commands and flags, and everything but login before a login', async () => {
    const env = standInEnv();
    expect(await az(env, 'group', 'show', '-n', RG)).toMatchObject({
      code: 1,
      err: "ERROR: Please run 'az login' to setup account.\n",
    });
    expect(
      await az(env, 'login', '--service-principal', '-u', CLIENT, '--secret', 'x'),
    ).toMatchObject({
      code: 2,
      err: 'ERROR: unrecognized arguments: --secret x\n',
    });
    expect((await az(env, 'vm', 'list')).code).toBe(2);
    expect(
      await az(env, 'login', '--service-principal', '-u', CLIENT, '-t', TENANT, '--output', 'none'),
    ).toMatchObject({ code: 2 });
  });

  it('signs in at the stand-in and creates what init-sig.sh creates, there', async () => {
    const env = standInEnv();
    const bad = await az(env, 'login', '--service-principal', '-u', CLIENT, '-t', TENANT);
    expect(bad.code).toBe(2);
    const forged = await az(
      env,
      ...['login', '--service-principal', '-u', CLIENT, '-t', TENANT],
      ...['--federated-token', 'eyJhbGciOiJub25lIn0.e30.'],
    );
    expect(forged.code).toBe(1);
    expect(forged.err).toMatch(/AADSTS70021|No matching federated identity/);

    const login = ['login', '--service-principal', '-u', CLIENT, '-t', TENANT];
    expect(await az(env, ...login, '-p', 'local-secret', '-o', 'none')).toMatchObject({
      code: 0,
      out: '',
    });
    expect((await az(env, 'account', 'set', '-s', SUBSCRIPTION)).code).toBe(0);
    expect(JSON.parse((await az(env, 'account', 'show')).out)).toMatchObject({
      id: SUBSCRIPTION,
      tenantId: TENANT,
      user: { name: CLIENT, type: 'servicePrincipal' },
    });
    expect((await az(env, 'group', 'show', '-n', 'rg-az-shim', '-o', 'none')).code).toBe(3);
    expect(
      (await az(env, 'group', 'create', '-n', 'rg-az-shim', '-l', 'westus2', '--tags')).code,
    ).toBe(0);
    expect(
      (await az(env, 'sig', 'create', '--resource-group', 'rg-az-shim', '--gallery-name', 'g1'))
        .code,
    ).toBe(0);
    const create = await az(
      env,
      ...['sig', 'image-definition', 'create', '--resource-group', 'rg-az-shim'],
      ...['--gallery-name', 'g1', '--gallery-image-definition', 'capi-ubuntu-2404-cvm'],
      ...['--publisher', 'capz', '--offer', 'capz-demo', '--sku', '24_04-lts-cvm'],
      ...['--hyper-v-generation', 'V2', '--os-type', 'Linux'],
      ...['--features', 'SecurityType=ConfidentialVmSupported'],
    );
    expect(create.err).toBe('');
    expect(create.code).toBe(0);
    const made = await emu.compute().galleryImages.get('rg-az-shim', 'g1', 'capi-ubuntu-2404-cvm');
    expect(made).toMatchObject({
      location: 'westus2',
      osType: 'Linux',
      hyperVGeneration: 'V2',
      identifier: { publisher: 'capz', offer: 'capz-demo', sku: '24_04-lts-cvm' },
      features: [{ name: 'SecurityType', value: 'ConfidentialVmSupported' }],
    });
    expect(
      (
        await az(
          env,
          'sig',
          'image-definition',
          'show',
          '-g',
          'rg-az-shim',
          '-r',
          'g1',
          '-i',
          'nope',
        )
      ).code,
    ).toBe(3);
  });
});

describe('an image-builder build into the stand-in (issue 10 item 6)', () => {
  function build(os: string, staging?: StagingApi) {
    const env = standInEnv({
      PACKER_GITHUB_API_TOKEN: 'ghs_x',
      AZURE_SUBSCRIPTION_ID: SUBSCRIPTION,
      AZURE_CLIENT_ID: CLIENT,
      AZURE_TENANT_ID: TENANT,
      AZURE_CLIENT_SECRET: 'local-secret',
    });
    const run: RunCommand = (command, args, options) =>
      runCommand(command, args, { ...options, env });
    const ctx = {
      logger: new RecordingLogger(),
      workDir: join(work, `b${n}`),
      manifestDir: work,
      pageBlob: () => {
        throw new Error('no uploads');
      },
      provenance: {},
      env,
      run,
      signIn: {
        kind: 'client-secret',
        subscriptionId: SUBSCRIPTION,
        clientId: CLIENT,
        tenantId: TENANT,
      },
      ...(staging ? { staging } : {}),
    } as unknown as BuildContext & { logger: RecordingLogger };
    const settings = getInputs(
      recordInputReader({
        'subscription-id': SUBSCRIPTION,
        builder: 'image-builder',
        'image-builder-path': checkout,
        os,
        'kubernetes-version': 'v1.31.2',
        'kubernetes-deb-version': '1.31.2-1.1',
        'skip-kube-proxy-check': 'true',
        location: 'westus2',
        'resource-group': RG,
        gallery: 'staging_gallery',
      }),
    );
    return { ctx, promise: buildImage(settings, ctx) };
  }

  async function imageNames(): Promise<string[]> {
    const names: string[] = [];
    for await (const i of emu.compute().images.listByResourceGroup(RG)) names.push(i.name!);
    return names.sort();
  }

  it('deletes the managed image once the staging version is Succeeded, and keeps it otherwise', async () => {
    const { ctx, promise } = build('ubuntu-2404', emu.compute());
    const result = await promise;
    const definition = await emu
      .compute()
      .galleryImages.get(RG, 'staging_gallery', 'capi-ubuntu-2404');
    // init-sig.sh's identifier, made through the az shim (l. 64-73, 82).
    expect(definition.identifier).toEqual({
      publisher: 'capz',
      offer: 'capz-demo',
      sku: '24_04-lts',
    });
    const version = await emu
      .compute()
      .galleryImageVersions.get(RG, 'staging_gallery', 'capi-ubuntu-2404', '1.31.2');
    expect(version.provisioningState).toBe('Succeeded');
    expect(result.imageVersionId).toBe(version.id);
    expect(result.managedImageId).toBeUndefined();
    expect(await imageNames()).not.toContain('capi-ubuntu-2404-1763716000');
    expect(ctx.logger.lines.map((l) => l.message).join('\n')).toContain(
      'Deleting managed image capi-ubuntu-2404-1763716000',
    );

    // A staging version that is not there (yet) keeps its image for cleanup to find.
    const unsure = {
      galleryImageVersions: {
        get: async () => {
          throw Object.assign(new Error('not found'), { statusCode: 404 });
        },
      },
      images: emu.compute().images,
    } as unknown as StagingApi;
    const kept = await build('ubuntu-2404-gen2', unsure).promise;
    expect(kept.managedImageId).toMatch(/\/images\/capi-ubuntu-2404-gen2-1763716000$/);
    expect(await imageNames()).toContain('capi-ubuntu-2404-gen2-1763716000');
  });
});
