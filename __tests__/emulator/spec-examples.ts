/**
 * Loading the Azure REST spec examples in ../shared/fixtures/azure-rest-api-specs and building,
 * in the stand-in, the world each example assumes (a gallery, a managed image, a VHD…).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import {
  armFetch,
  armPut,
  armRequest,
  seedStorage,
  SUBSCRIPTION,
  waitForOperation,
} from '../helpers/emulator.js';
import type { TestEmulator } from '../helpers/emulator.js';
import { uploadVhd } from '../helpers/vhd.js';

import { UPSTREAM_FIXTURES } from '../helpers/upstream.js';

/** Upstream data, read only when a test runs (describeUpstream skips them where it is absent). */
export const SPECS_FOLDER = 'azure-rest-api-specs/';
const SPECS = new URL(SPECS_FOLDER, UPSTREAM_FIXTURES);
const EXAMPLES = new URL('gallery-examples/', SPECS);

export interface Example {
  parameters: Record<string, unknown>;
  responses: Record<string, { headers?: Record<string, string>; body?: unknown }>;
}

export interface Operation {
  method: string;
  template: string;
  bodyParameter?: string;
}

/** Every example file, as a path relative to gallery-examples/. */
export function exampleFiles(): string[] {
  const walk = (dir: URL, prefix: string): string[] =>
    readdirSync(dir).flatMap((name) =>
      statSync(new URL(name, dir)).isDirectory()
        ? walk(new URL(`${name}/`, dir), `${prefix}${name}/`)
        : name.endsWith('.json')
          ? [`${prefix}${name}`]
          : [],
    );
  return walk(EXAMPLES, '').sort();
}

export const load = (file: string): Example =>
  JSON.parse(readFileSync(new URL(file, EXAMPLES), 'utf8')) as Example;

interface SpecOperation {
  operationId?: string;
  parameters?: { name?: string; in?: string; $ref?: string }[];
  'x-ms-examples'?: Record<string, { $ref: string }>;
}
type Spec = { paths: Record<string, Record<string, SpecOperation>> };
let specCache: Spec | undefined;
const spec = (): Spec =>
  (specCache ??= JSON.parse(
    readFileSync(new URL('GalleryRP.2025-12-03.json', SPECS), 'utf8'),
  ) as Spec);

/**
 * The operation an example belongs to, found through the spec's `x-ms-examples` references
 * (`./examples/<folder>/<name>`). A file in a sub-folder here matches that folder; a file at the
 * top matches by name, and `CommunityGallery_Get.json` there is the communityGalleryExamples one
 * (SOURCES.md explains the two files of that name).
 */
export function operationFor(file: string): Operation {
  const name = file.split('/').pop()!;
  const folder = file.includes('/') ? file.split('/')[0] : undefined;
  const found: (Operation & { ref: string })[] = [];
  for (const [template, ops] of Object.entries(spec().paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const ex of Object.values(op['x-ms-examples'] ?? {})) {
        if (!ex.$ref.endsWith(`/${name}`)) continue;
        const body = (op.parameters ?? []).find((p) => p.in === 'body');
        found.push({
          method: method.toUpperCase(),
          template,
          bodyParameter: body?.name,
          ref: ex.$ref,
        });
      }
    }
  }
  const pick = folder
    ? found.filter((f) => f.ref.includes(`/${folder}/`))
    : found.length > 1
      ? found.filter((f) => f.ref.includes('/communityGalleryExamples/'))
      : found;
  if (pick.length !== 1) throw new Error(`${file}: ${pick.length} operations in the spec`);
  return pick[0]!;
}

/** Fills a spec path template; `{location}` becomes a real region. */
export function pathFor(template: string, params: Record<string, unknown>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = params[name];
    if (typeof v !== 'string') throw new Error(`no value for {${name}} in ${template}`);
    return encodeURIComponent(v);
  });
}

/** Replaces placeholder strings anywhere in a JSON value, longest first. */
export function substitute<T>(value: T, map: Record<string, string>): T {
  let text = JSON.stringify(value);
  for (const k of Object.keys(map).sort((a, b) => b.length - a.length)) {
    text = text.split(k).join(map[k]!);
  }
  return JSON.parse(text) as T;
}

/** The things examples point at that must exist, as the examples spell them. */
export const REFS = {
  managedImage:
    '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Compute/images/{imageName}',
  sourceVersion:
    '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroup}/providers/Microsoft.Compute/galleries/{galleryName}/images/{imageDefinitionName}/versions/{versionName}',
  storageAccount:
    '/subscriptions/{subscriptionId}/resourceGroups/myResourceGroup/providers/Microsoft.Storage/storageAccounts/{storageAccount}',
  vhd: 'https://gallerysourcencus.blob.core.windows.net/myvhds/Windows-Server-2012-R2-20171216-en.us-128GB.vhd',
};

const body = (file: string, param: string): Record<string, unknown> =>
  load(file).parameters[param] as Record<string, unknown>;

/** Builds example worlds in one stand-in, each in a resource group of its own. */
export class SpecWorld {
  private groups = 0;
  storageAccountId = '';
  vhdUrl = '';

  constructor(readonly emu: TestEmulator) {}

  /** The storage account and VHD blob the VHD examples name (one account: names are global). */
  async seedVhd(): Promise<void> {
    this.storageAccountId = await seedStorage(
      this.emu,
      'rg-spec-storage',
      'gallerysourcencus',
      'westus',
    );
    const credential = this.emu.credential();
    this.vhdUrl = await uploadVhd(
      this.emu.blobEndpoint,
      'gallerysourcencus',
      credential,
      'ws2012.vhd',
    );
  }

  async resourceGroup(): Promise<string> {
    const rg = `rg-spec-${++this.groups}`;
    await armRequest(this.emu, 'PUT', `${this.rgId(rg)}`, { location: 'westus' }, '2024-11-01');
    return rg;
  }

  rgId(rg: string): string {
    return `/subscriptions/${SUBSCRIPTION}/resourceGroups/${rg}`;
  }

  galleryId(rg: string, gallery = 'myGalleryName'): string {
    return `${this.rgId(rg)}/providers/Microsoft.Compute/galleries/${gallery}`;
  }

  /** Placeholder → real value, for request bodies. */
  substitutions(extra: Record<string, string> = {}): Record<string, string> {
    return {
      [REFS.storageAccount]: this.storageAccountId,
      [REFS.vhd]: this.vhdUrl,
      '{subscriptionId}': SUBSCRIPTION,
      ...extra,
    };
  }

  async gallery(rg: string, community = false, name = 'myGalleryName'): Promise<void> {
    const file = community ? 'CommunityGallery_Create.json' : 'Gallery_Create.json';
    await armPut(this.emu, this.galleryId(rg, name), body(file, 'gallery'));
  }

  /** `POST share EnableCommunity`, waited out; returns the gallery's public name. */
  async enableCommunity(rg: string): Promise<string> {
    const id = this.galleryId(rg);
    const res = await armRequest(this.emu, 'POST', `${id}/share`, {
      operationType: 'EnableCommunity',
    });
    if (res.status !== 202) throw new Error(`share: ${res.status} ${JSON.stringify(res.body)}`);
    await waitForOperation(this.emu, res.headers.get('azure-asyncoperation')!);
    const gallery = await armRequest<{
      properties: { sharingProfile: { communityGalleryInfo: { publicNames: string[] } } };
    }>(this.emu, 'GET', id);
    return gallery.body.properties.sharingProfile.communityGalleryInfo.publicNames[0]!;
  }

  async definition(rg: string, name = 'myGalleryImageName', sku = 'mySkuName'): Promise<void> {
    const b = body('GalleryImage_Create.json', 'galleryImage');
    const props = b.properties as Record<string, unknown>;
    await armPut(this.emu, `${this.galleryId(rg)}/images/${name}`, {
      ...b,
      properties: { ...props, identifier: { ...(props.identifier as object), sku } },
    });
  }

  /** A managed image in West US with an OS disk and a data disk at LUN 1, as the examples show. */
  async managedImage(rg: string, name = 'myManagedImage'): Promise<string> {
    const id = `${this.rgId(rg)}/providers/Microsoft.Compute/images/${name}`;
    await armPut(
      this.emu,
      id,
      {
        location: 'West US',
        properties: {
          hyperVGeneration: 'V1',
          storageProfile: {
            osDisk: {
              osType: 'Windows',
              osState: 'Generalized',
              diskSizeGB: 10,
              caching: 'ReadOnly',
            },
            dataDisks: [{ lun: 1, diskSizeGB: 10, caching: 'None' }],
          },
        },
      },
      '2024-11-01',
    );
    return id;
  }

  /**
   * A version made from the GalleryImageVersion_Create example (managed image source) or the
   * WithVHD one, waited out; returns its ID.
   */
  async version(
    rg: string,
    source: 'managedImage' | 'vhd',
    name = '1.0.0',
    definition = 'myGalleryImageName',
    publishing: Record<string, unknown> = {},
  ): Promise<string> {
    const file =
      source === 'vhd'
        ? 'GalleryImageVersion_Create_WithVHD.json'
        : 'GalleryImageVersion_Create.json';
    const extra =
      source === 'managedImage'
        ? { [REFS.managedImage]: await this.managedImage(rg, `img-${name}`) }
        : {};
    const b = substitute(body(file, 'galleryImageVersion'), this.substitutions(extra));
    const props = b.properties as Record<string, Record<string, unknown>>;
    props.publishingProfile = { ...props.publishingProfile, ...publishing };
    const id = `${this.galleryId(rg)}/images/${definition}/versions/${name}`;
    await armPut(this.emu, id, b);
    return id;
  }

  async setPageSize(pageSize: number): Promise<void> {
    await this.emu.admin('POST', '/settings', { pageSize });
  }

  /** Follows an absolute `nextLink` from the stand-in. */
  next(url: string): ReturnType<typeof armFetch<{ value: unknown[]; nextLink?: string }>> {
    return armFetch(this.emu, 'GET', url);
  }
}
