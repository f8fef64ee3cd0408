/**
 * Model definitions: the typed description of a business entity that every resource, format and
 * filter works from. Values inside the framework use one canonical representation per field type,
 * so that adapters, pipelines and tests agree on what a record holds.
 */

/** The field types a model may declare. */
export type FieldType =
  | 'string'
  | 'text'
  | 'integer'
  | 'decimal'
  | 'boolean'
  | 'date'
  | 'datetime'
  | 'choice'
  | 'email'
  | 'foreign_key'
  | 'many_to_many'
  | 'json';

/**
 * Canonical in-memory value of a field:
 * - string, text, email, choice: `string`
 * - integer: `number` (a safe integer)
 * - decimal: `string` in canonical form (`"12.50"`: exactly `scale` places, no exponent, `-` sign)
 * - boolean: `boolean`
 * - date: `string` `YYYY-MM-DD`; datetime: `string` ISO 8601 in UTC (`2024-01-31T10:00:00.000Z`)
 * - foreign_key: `string` (the referenced id); many_to_many: `string[]` (referenced ids)
 * - json: any JSON value
 * - `null` when the field has no value.
 */
export type FieldValue = string | number | boolean | null | string[] | JsonValue;

/** Any JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** The values of one record, keyed by field name (without `id`). */
export type RecordValues = Record<string, FieldValue>;

/** A validator attached to a field: returns an error message, or undefined when the value is valid. */
export type FieldValidator = (value: FieldValue, record: RecordValues) => string | undefined;

/** Options every field type accepts. */
export interface BaseFieldOptions {
  /** A blank value is not allowed. @default false */
  readonly required?: boolean;
  /** No two records of one organization may share a non-null value. @default false */
  readonly unique?: boolean;
  /** Never exported by the generic resource and never returned by an API. @default false */
  readonly sensitive?: boolean;
  /** Value used when a new record is created without this field (a value or a factory). */
  readonly default?: FieldValue | (() => FieldValue);
  /** Extra rules run after parsing. */
  readonly validators?: readonly FieldValidator[];
  /** Human label for reports. @default the field name */
  readonly label?: string;
}

/** A field of a model, as declared. `name` is filled in by `defineModel`. */
export interface FieldDefinition extends BaseFieldOptions {
  readonly type: FieldType;
  readonly name: string;
  /** string: maximum length in characters. */
  readonly maxLength?: number;
  /** integer and decimal: inclusive bounds (decimal bounds are decimal strings). */
  readonly min?: number | string;
  readonly max?: number | string;
  /** decimal: total digits and digits after the point. */
  readonly precision?: number;
  readonly scale?: number;
  /** choice: the allowed values. */
  readonly choices?: readonly string[];
  /** foreign_key and many_to_many: the plural name of the referenced model. */
  readonly to?: string;
}

/** A cross-field rule failure raised by a model's `clean`. */
export interface CleanError {
  /** The field the problem belongs to, or undefined for the whole record. */
  readonly field?: string;
  readonly message: string;
}

/** A model definition: the result of `defineModel`. */
export interface ModelDefinition {
  /** Singular name, e.g. `product`. */
  readonly name: string;
  /** Plural name used in URLs and as the model key, e.g. `products`. */
  readonly plural: string;
  /** Fields by name, in declaration order (`id` is implicit and not listed). */
  readonly fields: Readonly<Record<string, FieldDefinition>>;
  /** Cross-field rules run on the full record after field parsing. */
  readonly clean?: (record: RecordValues) => readonly CleanError[] | void;
}

/** A stored record: its id, its values and bookkeeping kept by the framework. */
export interface StoredRecord {
  readonly id: string;
  readonly values: RecordValues;
  readonly meta: RecordMeta;
}

/** Bookkeeping attributes written with every record. */
export interface RecordMeta {
  readonly created_at: string;
  readonly updated_at: string;
  readonly created_by?: string;
  readonly updated_by?: string;
  /** The id of the DataJob that last wrote the record. */
  readonly job_id?: string;
}
