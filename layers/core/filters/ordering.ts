import { z } from 'zod';
import { ValidationError } from '../errors';
import type { FieldType, FieldValue, ModelDefinition, StoredRecord } from '../model/types';
import { compareCodePoints, compareFieldValues } from './compare-values';

/** One sort key of an export: a field, and whether it sorts from high to low. */
export interface OrderingTerm {
  /** `'id'` or a direct, non-relational field of the model. */
  readonly field: string;
  readonly descending: boolean;
  /** The field's type, so values compare as numbers, decimals or text; filled in by `parseOrdering`. */
  readonly type?: FieldType;
}

const orderingSchema = z.array(z.unknown(), { error: 'expected an array of field names, e.g. ["-price", "name"]' });
const UNORDERED_TYPES = new Set<FieldType>(['foreign_key', 'many_to_many', 'json']);

/**
 * Validates an export's `ordering`: field names, each optionally prefixed with `-` for descending
 * (`["-price", "name"]`). Allowed: `id` and direct fields that are neither sensitive, relations
 * nor JSON; each at most once.
 * @throws ValidationError `ordering[i]: <problem>` with `details.path` `[i]`
 */
export function parseOrdering(json: unknown, model: ModelDefinition): OrderingTerm[] {
  const parsed = orderingSchema.safeParse(json);
  if (!parsed.success) throw invalid('', parsed.error.issues[0]?.message ?? 'invalid ordering');
  const seen = new Set<string>();
  return parsed.data.map((item, i) => {
    const at = `[${i}]`;
    if (typeof item !== 'string' || item.replace(/^-/, '') === '') throw invalid(at, 'expected a field name, optionally prefixed with - for descending');
    const descending = item.startsWith('-');
    const name = descending ? item.slice(1) : item;
    const type = typeOf(name, model, at);
    if (seen.has(name)) throw invalid(at, `field '${name}' is listed twice`);
    seen.add(name);
    return { field: name, descending, type };
  });
}

function typeOf(name: string, model: ModelDefinition, at: string): FieldType {
  if (name === 'id') return 'string';
  const f = model.fields[name];
  if (!f) throw invalid(at, `unknown field '${name}'`);
  if (f.sensitive) throw invalid(at, `field '${name}' cannot be ordered by`);
  if (UNORDERED_TYPES.has(f.type)) throw invalid(at, `a ${f.type} field cannot be ordered by ('${name}')`);
  return f.type;
}

/**
 * A comparator over records for `Array.prototype.sort`: by each term in turn with typed
 * comparison (decimals exactly, text by code point), records without a value after the others
 * (before them when descending), ties broken by id ascending.
 * @param model fills in the type of terms that lack one; without either, values compare by their
 *   JavaScript type (numbers as numbers, anything else as text)
 */
export function compareRecords(ordering: readonly OrderingTerm[], model?: ModelDefinition): (a: StoredRecord, b: StoredRecord) => number {
  const terms = ordering.map((term) => ({ ...term, type: term.type ?? (term.field === 'id' ? 'string' : model?.fields[term.field]?.type) }));
  return (a, b) => {
    for (const term of terms) {
      const order = compareNullable(term.type, valueOf(a, term.field), valueOf(b, term.field));
      if (order !== 0) return term.descending ? -order : order;
    }
    return compareCodePoints(a.id, b.id);
  };
}

function valueOf(record: StoredRecord, field: string): FieldValue {
  return field === 'id' ? record.id : (record.values[field] ?? null);
}

function compareNullable(type: FieldType | undefined, a: FieldValue, b: FieldValue): number {
  if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
  return Math.sign(compareFieldValues(type ?? (typeof a === 'number' ? 'integer' : typeof a === 'boolean' ? 'boolean' : 'string'), a, b));
}

function invalid(at: string, message: string): ValidationError {
  return new ValidationError(`ordering${at}: ${message}`, { path: at });
}
