/**
 * Checks a value against a CustomResourceDefinition's structural OpenAPI v3 schema, the way the
 * API server does for the parts CAPZ's `AzureMachineTemplate.spec.template.spec.image` uses:
 * types, required fields, unknown fields (kubectl's strict field validation), minLength,
 * maxLength, enum and pattern. CEL rules (`x-kubernetes-validations`) are not evaluated.
 */

export interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  minLength?: number;
  maxLength?: number;
  enum?: unknown[];
  pattern?: string;
  anyOf?: SchemaNode[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

/** Every way `value` breaks `schema`, each naming its path (`image.computeGallery.version`). */
export function schemaProblems(value: unknown, schema: SchemaNode, path: string): string[] {
  if (value === null || value === undefined) return [];
  if (schema['x-kubernetes-int-or-string']) {
    return typeof value === 'string' || Number.isInteger(value)
      ? []
      : [`${path}: must be an integer or a string`];
  }
  const type = schema.type;
  const actual = Array.isArray(value) ? 'array' : typeof value;
  const fits =
    type === undefined ||
    (type === 'integer' ? Number.isInteger(value) : type === actual) ||
    (type === 'number' && actual === 'number');
  if (!fits)
    return [
      `${path}: must be ${type === 'integer' ? 'an integer' : `a ${type}`}, not ${JSON.stringify(value)}`,
    ];
  const problems: string[] = [];
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) {
      problems.push(`${path}: must have at least ${schema.minLength} character(s)`);
    }
    if (schema.maxLength !== undefined && value.length > schema.maxLength) {
      problems.push(`${path}: must have at most ${schema.maxLength} characters`);
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
      problems.push(`${path}: must match ${schema.pattern}`);
    }
  }
  if (schema.enum && !schema.enum.includes(value)) {
    problems.push(
      `${path}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`,
    );
  }
  if (Array.isArray(value) && schema.items) {
    value.forEach((item, i) =>
      problems.push(...schemaProblems(item, schema.items!, `${path}[${i}]`)),
    );
  }
  if (actual === 'object' && !Array.isArray(value)) {
    const object = value as Record<string, unknown>;
    for (const field of schema.required ?? []) {
      if (object[field] === undefined) problems.push(`${path}.${field}: required`);
    }
    for (const [field, child] of Object.entries(object)) {
      const sub = schema.properties?.[field];
      if (sub) problems.push(...schemaProblems(child, sub, `${path}.${field}`));
      else if (typeof schema.additionalProperties === 'object') {
        problems.push(...schemaProblems(child, schema.additionalProperties, `${path}.${field}`));
      } else if (
        schema.properties &&
        schema.additionalProperties !== true &&
        !schema['x-kubernetes-preserve-unknown-fields']
      ) {
        problems.push(`${path}.${field}: unknown field`);
      }
    }
  }
  return problems;
}

/** The CRD's schema for one served version, or undefined when it does not serve it. */
export function crdVersionSchema(crd: unknown, version: string): SchemaNode | undefined {
  const versions = ((crd as { spec?: { versions?: unknown[] } })?.spec?.versions ?? []) as {
    name?: string;
    served?: boolean;
    schema?: { openAPIV3Schema?: SchemaNode };
  }[];
  const found = versions.find((v) => v.name === version && v.served !== false);
  return found?.schema?.openAPIV3Schema;
}

/** `AzureMachineTemplate.spec.template.spec.image`'s schema in the CRD, for `apiVersion`'s version. */
export function azureMachineImageSchema(crd: unknown, apiVersion: string): SchemaNode | undefined {
  const root = crdVersionSchema(crd, apiVersion.split('/').pop() ?? '');
  return root?.properties?.spec?.properties?.template?.properties?.spec?.properties?.image;
}
