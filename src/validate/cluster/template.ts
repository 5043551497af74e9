/**
 * The workload cluster manifest: a CAPZ cluster template (clusterctl's `${VAR}`,
 * `${VAR:=default}`, `${VAR:-default}` variables) rendered with the run's values, its
 * `AzureMachineTemplate`s pointed at the staging version through `image.computeGallery` (with
 * `subscriptionID` and `resourceGroup`, as a private gallery needs), every object put in the
 * validation's namespace.
 */
import { parseAllDocuments, stringify } from 'yaml';
import { InputError } from '../../common/errors.js';
import type { GalleryImageVersionId } from '../../gallery/identifiers.js';
import type { OsType } from '../../gallery/names.js';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; [k: string]: unknown };
  spec?: Record<string, unknown>;
  [k: string]: unknown;
}

/**
 * Replaces clusterctl variables. A variable that is unset (or empty, for the `:` forms) takes its
 * default; one without a default is reported, all of them at once, as clusterctl does.
 */
export function substituteVariables(
  text: string,
  values: Readonly<Record<string, string | undefined>>,
): { text: string; missing: string[] } {
  const missing = new Set<string>();
  const expand = (input: string): string => {
    let out = '';
    let i = 0;
    while (i < input.length) {
      const start = input.indexOf('${', i);
      if (start < 0) return out + input.slice(i);
      out += input.slice(i, start);
      let depth = 0;
      let end = start;
      for (; end < input.length; end++) {
        if (input[end] === '{') depth++;
        else if (input[end] === '}' && --depth === 0) break;
      }
      const body = input.slice(start + 2, end);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[=-])([\s\S]*))?$/.exec(body);
      if (!m) {
        out += input.slice(start, end + 1);
      } else {
        const [, name, op, fallback] = m as unknown as [string, string, string?, string?];
        const value = values[name];
        const unset = value === undefined || (op?.startsWith(':') === true && value === '');
        if (!unset) out += value;
        else if (op !== undefined) out += expand(fallback ?? '');
        else missing.add(name);
      }
      i = end + 1;
    }
    return out;
  };
  return { text: expand(text), missing: [...missing].sort() };
}

/** The documents of a manifest; a document that is not a Kubernetes object is an error. */
export function parseManifest(text: string, input: string, shown: string): KubeObject[] {
  const docs = parseAllDocuments(text);
  const objects: KubeObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      throw new InputError(
        input,
        shown,
        `Not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`,
      );
    }
    const value = doc.toJS() as unknown;
    if (value === null || value === undefined) continue;
    const object = value as KubeObject;
    if (typeof value !== 'object' || !object.kind || !object.apiVersion) {
      throw new InputError(
        input,
        shown,
        'Every document must be a Kubernetes object with apiVersion and kind.',
      );
    }
    objects.push(object);
  }
  return objects;
}

/** Whether the raw (unrendered) template has an AzureMachineTemplate; checked before Azure. */
export function checkTemplateShape(text: string, shown: string): void {
  const objects = parseManifest(text, 'cluster-template', shown);
  if (!objects.some((o) => o.kind === 'AzureMachineTemplate')) {
    throw new InputError(
      'cluster-template',
      shown,
      'It has no AzureMachineTemplate, so there is nowhere to put the image under test. Expected a CAPZ cluster template (cluster-template.yaml of a CAPZ release, or a flavor of it).',
    );
  }
}

export interface RenderOptions {
  /** The template's text and how to name it in errors. */
  readonly template: { readonly text: string; readonly shown: string };
  readonly variables: Readonly<Record<string, string | undefined>>;
  readonly namespace: string;
  readonly image: GalleryImageVersionId;
  readonly osType: OsType;
}

export interface RenderedCluster {
  readonly objects: KubeObject[];
  /** The manifest to apply. */
  readonly yaml: string;
  /** Names of the AzureMachineTemplates now booting the image under test. */
  readonly imageTemplates: string[];
}

/** Renders the template and points the AzureMachineTemplates of the image's OS at it. */
export function renderClusterTemplate(o: RenderOptions): RenderedCluster {
  const { text, missing } = substituteVariables(o.template.text, o.variables);
  if (missing.length > 0) {
    throw new InputError(
      'cluster-template',
      o.template.shown,
      `It needs variable(s) ${missing.join(', ')}: set them as environment variables of the step (as clusterctl reads them).`,
    );
  }
  const objects = parseManifest(text, 'cluster-template', o.template.shown);
  const computeGallery = {
    gallery: o.image.gallery,
    name: o.image.imageDefinition,
    version: o.image.version,
    subscriptionID: o.image.subscriptionId,
    resourceGroup: o.image.resourceGroup,
  };
  const imageTemplates: string[] = [];
  for (const object of objects) {
    object.metadata = { ...object.metadata, namespace: o.namespace };
    if (object.kind !== 'AzureMachineTemplate') continue;
    const spec = ((object.spec ??= {}).template ??= {}) as Record<string, unknown>;
    const machine = (spec.spec ??= {}) as Record<string, unknown>;
    const osType = ((machine.osDisk as { osType?: string } | undefined)?.osType ??
      'Linux') as string;
    if (osType.toLowerCase() !== o.osType.toLowerCase()) continue;
    machine.image = { computeGallery };
    imageTemplates.push(object.metadata.name ?? '(unnamed)');
  }
  if (imageTemplates.length === 0) {
    throw new InputError(
      'cluster-template',
      o.template.shown,
      `It has no AzureMachineTemplate for ${o.osType} machines (osDisk.osType), so no machine would boot the image under test.`,
    );
  }
  const yaml = objects.map((obj) => stringify(obj, { lineWidth: 0 })).join('---\n');
  return { objects, yaml, imageTemplates };
}
