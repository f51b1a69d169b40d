/**
 * @fileoverview A small JSON Schema checker for the keywords docs/json-output.schema.json uses
 * (type, const, enum, required, properties, additionalProperties: false, items, minimum, $ref
 * into the same document). It throws on any other keyword, so the schema cannot quietly grow a
 * constraint this checker ignores.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = Record<string, unknown>;

const known = new Set([
  '$schema',
  '$id',
  'title',
  'description',
  'type',
  'const',
  'enum',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'minimum',
  '$ref',
  '$defs',
]);

/** Errors as `path: problem`; empty when the value conforms. */
export function checkSchema(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): Schema => {
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    let node: unknown = root;
    for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown>)[part];
    if (typeof node !== 'object' || node === null) throw new Error(`dangling $ref ${ref}`);
    return node as Schema;
  };
  const visit = (schema: Schema, v: unknown, at: string): void => {
    for (const k of Object.keys(schema))
      if (!known.has(k)) throw new Error(`schema keyword ${k} at ${at} is not supported by this checker`);
    if (typeof schema['$ref'] === 'string') {
      visit(resolve(schema['$ref']), v, at);
      return;
    }
    if ('const' in schema && JSON.stringify(schema['const']) !== JSON.stringify(v))
      errors.push(`${at}: expected ${JSON.stringify(schema['const'])}`);
    if (Array.isArray(schema['enum']) && !schema['enum'].some((e) => JSON.stringify(e) === JSON.stringify(v)))
      errors.push(`${at}: not one of ${JSON.stringify(schema['enum'])}`);
    const type = schema['type'];
    if (typeof type === 'string' && !hasType(v as Json, type)) {
      errors.push(`${at}: expected ${type}, got ${JSON.stringify(v)}`);
      return;
    }
    if (typeof schema['minimum'] === 'number' && typeof v === 'number' && v < schema['minimum'])
      errors.push(`${at}: below ${schema['minimum']}`);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const obj = v as Record<string, unknown>;
      for (const r of (schema['required'] as string[] | undefined) ?? [])
        if (!(r in obj)) errors.push(`${at}: missing ${r}`);
      const props = (schema['properties'] as Record<string, Schema> | undefined) ?? {};
      for (const [k, child] of Object.entries(obj)) {
        if (props[k]) visit(props[k], child, `${at}.${k}`);
        else if (schema['additionalProperties'] === false) errors.push(`${at}: unexpected property ${k}`);
      }
    }
    if (Array.isArray(v) && schema['items'])
      v.forEach((item, i) => visit(schema['items'] as Schema, item, `${at}[${i}]`));
  };
  visit(root, value, '$');
  return errors;
}

function hasType(v: Json, type: string): boolean {
  switch (type) {
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'array':
      return Array.isArray(v);
    case 'integer':
      return Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'null':
      return v === null;
    default:
      return typeof v === type;
  }
}
