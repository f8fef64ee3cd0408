import { createRequire } from 'node:module';

/** The part of Ajv (JSON Schema 2020-12) the OpenAPI tests use. */
export interface Ajv2020 {
  validateSchema(schema: unknown): boolean;
  addSchema(schema: unknown, key?: string): void;
  getSchema(ref: string): ((data: unknown) => boolean) & { errors?: unknown };
  errors?: unknown;
}

// The Ajv swagger-parser validates OpenAPI 3.1 with (the top-level `ajv` here is an older major).
const loadFromSwaggerParser = createRequire(require.resolve('@apidevtools/swagger-parser'));
const Ajv2020Class = (loadFromSwaggerParser('ajv/dist/2020') as { default: new (opts: object) => Ajv2020 }).default;

/** A JSON Schema 2020-12 validator. */
export function newAjv2020(): Ajv2020 {
  return new Ajv2020Class({ strict: false, allErrors: true });
}

/**
 * Validates data against the component schemas of an OpenAPI document: returns a function giving
 * Ajv's errors for `data` as the schema `name` (an empty list when it is valid).
 */
export function componentValidator(document: { components: unknown }): (name: string, data: unknown) => unknown[] {
  const ajv = newAjv2020();
  const id = 'https://dataio.invalid/openapi.json';
  ajv.addSchema({ $id: id, components: document.components });
  return (name, data) => {
    const check = ajv.getSchema(`${id}#/components/schemas/${name}`);
    return check(data) ? [] : (check.errors as unknown[]);
  };
}
