import { NotFoundError } from '../errors';
import { isDecimal, compareDecimal } from '../util/decimal';
import type { BaseFieldOptions, CleanError, FieldDefinition, ModelDefinition, RecordValues } from './types';

/** A field as declared, before `defineModel` gives it its name. */
export type FieldSpec = Omit<FieldDefinition, 'name'>;

/** Options of `field.string`. */
export interface StringFieldOptions extends BaseFieldOptions {
  readonly maxLength?: number;
}

/** Options of `field.integer`. */
export interface IntegerFieldOptions extends BaseFieldOptions {
  readonly min?: number;
  readonly max?: number;
}

/** Options of `field.decimal`; bounds are decimal strings (or safe integers). */
export interface DecimalFieldOptions extends BaseFieldOptions {
  readonly precision: number;
  readonly scale: number;
  readonly min?: string | number;
  readonly max?: string | number;
}

/** Options of `field.choice`. */
export interface ChoiceFieldOptions extends BaseFieldOptions {
  readonly choices: readonly string[];
}

/** Options of `field.email`. */
export interface EmailFieldOptions extends BaseFieldOptions {
  /** @default 254, the longest address SMTP allows */
  readonly maxLength?: number;
}

/** Builders for field declarations, used inside `defineModel({ fields: { ... } })`. */
export const field = {
  /** A single-line string, trimmed on import. */
  string: (options: StringFieldOptions = {}): FieldSpec => ({ ...options, type: 'string' }),
  /** A multi-line text kept as written. */
  text: (options: BaseFieldOptions = {}): FieldSpec => ({ ...options, type: 'text' }),
  /** A safe integer. */
  integer: (options: IntegerFieldOptions = {}): FieldSpec => ({ ...options, type: 'integer' }),
  /** An exact decimal with `precision` total digits and `scale` places. */
  decimal: (options: DecimalFieldOptions): FieldSpec => ({ ...options, type: 'decimal' }),
  /** A boolean. */
  boolean: (options: BaseFieldOptions = {}): FieldSpec => ({ ...options, type: 'boolean' }),
  /** A calendar date `YYYY-MM-DD`. */
  date: (options: BaseFieldOptions = {}): FieldSpec => ({ ...options, type: 'date' }),
  /** An instant, stored as ISO 8601 UTC. */
  datetime: (options: BaseFieldOptions = {}): FieldSpec => ({ ...options, type: 'datetime' }),
  /** One of a fixed list of values. */
  choice: (options: ChoiceFieldOptions): FieldSpec => ({ ...options, type: 'choice' }),
  /** An email address. */
  email: (options: EmailFieldOptions = {}): FieldSpec => ({ maxLength: 254, ...options, type: 'email' }),
  /** A reference to one record of the model whose plural name is `to`. */
  foreignKey: (to: string, options: BaseFieldOptions = {}): FieldSpec => ({ ...options, type: 'foreign_key', to }),
  /** References to records of the model whose plural name is `to`. */
  manyToMany: (to: string, options: BaseFieldOptions = {}): FieldSpec => ({ ...options, type: 'many_to_many', to }),
  /** Any JSON value. */
  json: (options: BaseFieldOptions = {}): FieldSpec => ({ ...options, type: 'json' }),
};

/** What `defineModel` takes. */
export interface ModelSpec {
  readonly name: string;
  readonly plural: string;
  readonly fields: Readonly<Record<string, FieldSpec>>;
  readonly clean?: (record: RecordValues) => readonly CleanError[] | void;
}

// Reserved because they are the record key or storage key attributes of the adapters.
const RESERVED_FIELD_NAMES = new Set(['id', 'pk', 'sk']);
const FIELD_NAME_PATTERN = /^[a-z][a-z0-9_]*$/;
const MODEL_NAME_PATTERN = /^[a-z][a-z0-9_-]*$/;
const NOT_UNIQUE_TYPES = new Set(['boolean', 'json', 'many_to_many', 'text']);

/**
 * Builds a model definition: names the fields and checks the declaration, so mistakes fail when the
 * module loads rather than in the middle of an import.
 * @throws Error describing the first problem found
 */
export function defineModel(spec: ModelSpec): ModelDefinition {
  const where = `model '${spec.plural}'`;
  if (!MODEL_NAME_PATTERN.test(spec.name)) throw new Error(`${where}: invalid name '${spec.name}'`);
  if (!MODEL_NAME_PATTERN.test(spec.plural)) throw new Error(`${where}: invalid plural '${spec.plural}'`);
  const fields: Record<string, FieldDefinition> = {};
  for (const [name, fieldSpec] of Object.entries(spec.fields)) {
    const definition: FieldDefinition = { ...fieldSpec, name };
    checkField(`${where}, field '${name}'`, definition);
    fields[name] = Object.freeze(definition);
  }
  checkHeaderClashes(where, fields);
  return Object.freeze({ name: spec.name, plural: spec.plural, fields: Object.freeze(fields), clean: spec.clean });
}

function checkField(where: string, f: FieldDefinition): void {
  if (RESERVED_FIELD_NAMES.has(f.name)) throw new Error(`${where}: the name is reserved`);
  if (f.name.startsWith('_')) throw new Error(`${where}: names starting with '_' are reserved`);
  if (!FIELD_NAME_PATTERN.test(f.name)) {
    throw new Error(`${where}: use lower-case letters, digits and '_' in field names`);
  }
  if (f.unique && NOT_UNIQUE_TYPES.has(f.type)) throw new Error(`${where}: a ${f.type} field cannot be unique`);
  if (f.maxLength !== undefined && !(Number.isInteger(f.maxLength) && f.maxLength > 0)) {
    throw new Error(`${where}: maxLength must be a positive integer`);
  }
  switch (f.type) {
    case 'integer':
      for (const bound of [f.min, f.max]) {
        if (bound !== undefined && !Number.isSafeInteger(bound)) throw new Error(`${where}: min/max must be safe integers`);
      }
      if (f.min !== undefined && f.max !== undefined && Number(f.min) > Number(f.max)) {
        throw new Error(`${where}: min is greater than max`);
      }
      break;
    case 'decimal':
      checkDecimal(where, f);
      break;
    case 'choice': {
      if (!f.choices || f.choices.length === 0) throw new Error(`${where}: a choice field needs at least one choice`);
      // Import matches choices case-insensitively, so two choices differing only by case are ambiguous.
      const seen = new Set(f.choices.map((c) => c.toLowerCase()));
      if (seen.size !== f.choices.length) throw new Error(`${where}: choices must be distinct ignoring case`);
      if (f.choices.some((c) => c.trim() === '' || c !== c.trim())) {
        throw new Error(`${where}: choices must be non-blank and without surrounding spaces`);
      }
      if (typeof f.default === 'string' && !f.choices.includes(f.default)) {
        throw new Error(`${where}: default '${f.default}' is not one of the choices`);
      }
      break;
    }
    case 'foreign_key':
    case 'many_to_many':
      if (!f.to) throw new Error(`${where}: a ${f.type} field needs the plural name of the model it references`);
      break;
    default:
      break;
  }
}

function checkDecimal(where: string, f: FieldDefinition): void {
  const { precision, scale } = f;
  if (!Number.isInteger(precision) || (precision as number) < 1 || (precision as number) > 38) {
    throw new Error(`${where}: decimal precision must be an integer from 1 to 38`);
  }
  if (!Number.isInteger(scale) || (scale as number) < 0 || (scale as number) > (precision as number)) {
    throw new Error(`${where}: decimal scale must be an integer from 0 to the precision`);
  }
  for (const bound of [f.min, f.max]) {
    if (bound !== undefined && !isDecimal(String(bound))) throw new Error(`${where}: min/max must be decimal strings`);
  }
  if (f.min !== undefined && f.max !== undefined && compareDecimal(String(f.min), String(f.max)) > 0) {
    throw new Error(`${where}: min is greater than max`);
  }
}

// The generic resource maps `<fk>_id` and `<fk>` to a foreign key: a field with such a name would
// make a header ambiguous.
function checkHeaderClashes(where: string, fields: Record<string, FieldDefinition>): void {
  for (const f of Object.values(fields)) {
    if (f.type !== 'foreign_key') continue;
    const alias = `${f.name}_id`;
    if (fields[alias]) throw new Error(`${where}: field '${alias}' clashes with the column of foreign key '${f.name}'`);
  }
}

/** The models of one application, looked up by plural name. */
export interface ModelRegistry {
  /** The model with this plural name, or undefined. */
  get(plural: string): ModelDefinition | undefined;
  /** The model with this plural name; throws NotFoundError when there is none. */
  require(plural: string): ModelDefinition;
  /** Every model, in registration order. */
  all(): ModelDefinition[];
}

/**
 * Builds the registry of an application's models, checking that every relation points at a
 * registered model.
 * @throws Error on a duplicate plural or a relation to an unknown model
 */
export function createModelRegistry(models: readonly ModelDefinition[]): ModelRegistry {
  const byPlural = new Map<string, ModelDefinition>();
  for (const model of models) {
    if (byPlural.has(model.plural)) throw new Error(`model '${model.plural}' is registered twice`);
    byPlural.set(model.plural, model);
  }
  for (const model of models) {
    for (const f of Object.values(model.fields)) {
      if ((f.type === 'foreign_key' || f.type === 'many_to_many') && !byPlural.has(f.to as string)) {
        throw new Error(`model '${model.plural}', field '${f.name}': unknown model '${f.to}'`);
      }
    }
  }
  const list = [...models];
  return {
    get: (plural) => byPlural.get(plural),
    require: (plural) => {
      const model = byPlural.get(plural);
      if (!model) throw new NotFoundError(`unknown model '${plural}'`);
      return model;
    },
    all: () => [...list],
  };
}

/** Whether a field references other records (foreign key or many-to-many). */
export function isRelation(f: FieldDefinition): boolean {
  return f.type === 'foreign_key' || f.type === 'many_to_many';
}
