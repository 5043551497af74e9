import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { InputError } from '../../../src/common/errors.js';
import { parseGalleryImageVersionId } from '../../../src/gallery/identifiers.js';
import { CAPZ_DEFAULT_TEMPLATES } from '../../../src/validate/cluster/capz-templates.js';
import {
  azureMachineImageSchema,
  schemaProblems,
} from '../../../src/validate/cluster/crd-schema.js';
import {
  checkTemplateShape,
  renderClusterTemplate,
  substituteVariables,
} from '../../../src/validate/cluster/template.js';
import type { KubeObject } from '../../../src/validate/cluster/template.js';
import { describeUpstream, upstreamFixture } from '../../helpers/upstream.js';

/** CAPZ's own files (templates, CRD), replayed only when the upstream fixtures are there. */
const fixture = (name: string): string => readFileSync(upstreamFixture(`capz/${name}`)!, 'utf8');
const CRD_FILE = 'capz/infrastructure.cluster.x-k8s.io_azuremachinetemplates.yaml';
const crd = (): unknown =>
  parse(fixture('infrastructure.cluster.x-k8s.io_azuremachinetemplates.yaml')) as unknown;
const ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-staging/providers/Microsoft.Compute/galleries/staging_gallery/images/capi-ubuntu-2404/versions/1.31.2';
const variables = {
  CLUSTER_NAME: 'cga-1-1-abcdef',
  KUBERNETES_VERSION: 'v1.31.2',
  AZURE_LOCATION: 'westus2',
  AZURE_SUBSCRIPTION_ID: '00000000-0000-0000-0000-000000000000',
  AZURE_TENANT_ID: '11111111-1111-1111-1111-111111111111',
  AZURE_CONTROL_PLANE_MACHINE_TYPE: 'Standard_D2s_v5',
  AZURE_NODE_MACHINE_TYPE: 'Standard_D2s_v5',
  CLUSTER_IDENTITY_NAME: 'cluster-identity',
  AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY: '33333333-3333-3333-3333-333333333333',
};

const render = (
  text: string,
  osType: 'Linux' | 'Windows' = 'Linux',
  vars: Record<string, string> = variables,
) =>
  renderClusterTemplate({
    template: { text, shown: 'cluster-template.yaml' },
    variables: vars,
    namespace: 'capz-validate',
    image: parseGalleryImageVersionId(ID)!,
    osType,
  });

const imageOf = (o: KubeObject): unknown =>
  ((o.spec?.template as { spec?: { image?: unknown } }).spec ?? {}).image;

describe('clusterctl variables', () => {
  it('substitutes values, := and :- defaults (nested), and lists what is missing', () => {
    const { text, missing } = substituteVariables(
      'a: ${A}\nb: ${B:=${A}-b}\nc: ${C:-}\nd: ${D}\ne: ${E}\nf: ${A:=x}',
      { A: 'one', C: '' },
    );
    expect(text).toBe('a: one\nb: one-b\nc: \nd: \ne: \nf: one');
    expect(missing).toEqual(['D', 'E']);
  });
});

describeUpstream('capz/cluster-template.yaml')('the bundled CAPZ templates, upstream', () => {
  it('are the CAPZ default flavors, verbatim', () => {
    expect(CAPZ_DEFAULT_TEMPLATES.Linux).toBe(fixture('cluster-template.yaml'));
    expect(CAPZ_DEFAULT_TEMPLATES.Windows).toBe(fixture('cluster-template-windows.yaml'));
  });
});

describeUpstream(CRD_FILE)('the bundled CAPZ templates and the CRD', () => {
  it('render every AzureMachineTemplate image as the CRD accepts it', () => {
    const templates = render(CAPZ_DEFAULT_TEMPLATES.Linux).objects.filter(
      (o) => o.kind === 'AzureMachineTemplate',
    );
    expect(templates).toHaveLength(2);
    for (const t of templates) {
      const schema = azureMachineImageSchema(crd(), t.apiVersion!);
      expect(schema).toBeDefined();
      expect(schemaProblems(imageOf(t), schema!, 'image')).toEqual([]);
    }
  });
});

describe('the bundled CAPZ templates', () => {
  it('render with every AzureMachineTemplate booting the version', () => {
    const rendered = render(CAPZ_DEFAULT_TEMPLATES.Linux);
    expect(rendered.imageTemplates).toEqual([
      'cga-1-1-abcdef-control-plane',
      'cga-1-1-abcdef-md-0',
    ]);
    const templates = rendered.objects.filter((o) => o.kind === 'AzureMachineTemplate');
    for (const t of templates) {
      expect(imageOf(t)).toEqual({
        computeGallery: {
          gallery: 'staging_gallery',
          name: 'capi-ubuntu-2404',
          version: '1.31.2',
          subscriptionID: '00000000-0000-0000-0000-000000000000',
          resourceGroup: 'rg-staging',
        },
      });
    }
    expect(rendered.objects.every((o) => o.metadata?.namespace === 'capz-validate')).toBe(true);
    const kcp = rendered.objects.find((o) => o.kind === 'KubeadmControlPlane')!;
    expect(kcp.spec).toMatchObject({ replicas: 1, version: 'v1.31.2' });
    expect(rendered.yaml).not.toContain('${');
  });

  it('boot a Windows image on the Windows workers only (the control plane is Linux)', () => {
    const rendered = render(CAPZ_DEFAULT_TEMPLATES.Windows, 'Windows');
    expect(rendered.imageTemplates).toEqual(['cga-1-1-abcdef-md-win']);
    const linux = rendered.objects.find(
      (o) =>
        o.metadata?.name === 'cga-1-1-abcdef-control-plane' && o.kind === 'AzureMachineTemplate',
    )!;
    expect(imageOf(linux)).toBeUndefined();
  });
});

describeUpstream(CRD_FILE)('the CRD image schema', () => {
  it('refuses what the API server would', () => {
    const schema = azureMachineImageSchema(crd(), 'infrastructure.cluster.x-k8s.io/v1beta1')!;
    expect(
      schemaProblems({ computeGallery: { gallery: 'g', name: 'd' } }, schema, 'image'),
    ).toEqual(['image.computeGallery.version: required']);
    expect(
      schemaProblems(
        { computeGallery: { gallery: 'g', name: 'd', version: '1.31.2', galleryName: 'x' } },
        schema,
        'image',
      ),
    ).toEqual(['image.computeGallery.galleryName: unknown field']);
    expect(
      schemaProblems({ computeGallery: { gallery: '', name: 'd', version: 1 } }, schema, 'image'),
    ).toEqual([
      'image.computeGallery.gallery: must have at least 1 character(s)',
      'image.computeGallery.version: must be a string, not 1',
    ]);
  });

  it('is found only for a version the CRD serves', () => {
    expect(
      azureMachineImageSchema(crd(), 'infrastructure.cluster.x-k8s.io/v1alpha4'),
    ).toBeUndefined();
  });
});

describe('templates that cannot work', () => {
  it('refuse a template without an AzureMachineTemplate, naming cluster-template', () => {
    const text = CAPZ_DEFAULT_TEMPLATES.Linux.split('---\n')
      .filter((d) => !d.includes('kind: AzureMachineTemplate'))
      .join('---\n');
    expect(() => checkTemplateShape(text, 'no-machines.yaml')).toThrow(
      /Invalid input 'cluster-template': 'no-machines.yaml'. It has no AzureMachineTemplate/,
    );
    expect(() => checkTemplateShape(CAPZ_DEFAULT_TEMPLATES.Linux, 'ok.yaml')).not.toThrow();
    expect(() => checkTemplateShape('kind: [', 'bad.yaml')).toThrow(InputError);
  });

  it('refuse missing variables, all at once', () => {
    const {
      CLUSTER_IDENTITY_NAME: _a,
      AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY: _b,
      ...fewer
    } = variables;
    expect(() => render(CAPZ_DEFAULT_TEMPLATES.Linux, 'Linux', fewer)).toThrow(
      /needs variable\(s\) AZURE_CLIENT_ID_USER_ASSIGNED_IDENTITY, CLUSTER_IDENTITY_NAME: set them as environment variables/,
    );
  });

  it('refuse a Linux template for a Windows image', () => {
    expect(() => render(CAPZ_DEFAULT_TEMPLATES.Linux, 'Windows')).toThrow(
      /no AzureMachineTemplate for Windows machines/,
    );
  });
});
