import type { ModelRegistry } from '../model/define-model';
import type { FieldType, FieldValue, ModelDefinition, StoredRecord } from '../model/types';
import { STORE_FILTER_LIMITS, type RecordStore, type StoreFilter, type StoreScalar } from '../ports/record-store';
import { parseDecimalParts } from '../util/decimal';
import { compareFieldValues, equalFieldValues } from './compare-values';
import type { ConditionNode, FilterNode, FilterTree, RelatedNode } from './filter-tree';

/** What `compileFilter` needs: the organization whose related records are looked up, and where. */
export interface CompileFilterContext {
  readonly org: string;
  readonly store: RecordStore;
  readonly registry: ModelRegistry;
}

/** A filter ready to run over one scan. */
export interface CompiledFilter {
  /**
   * The part of the filter the store can evaluate while it reads (pass it as `ScanOptions.filter`).
   * It selects every record `matches` selects, and maybe more; undefined when no part fits.
   */
  readonly storeFilter?: StoreFilter;
  /** Whether a record satisfies the whole filter; never depends on what the store filtered. */
  matches(record: StoredRecord): boolean;
}

/** A relation condition resolved to the ids of the related records that pass each test. */
interface IdsNode {
  readonly kind: 'ids';
  readonly relation: string;
  readonly many: boolean;
  readonly quantifier: RelatedNode['quantifier'];
  readonly sets: ReadonlyArray<ReadonlySet<string>>;
}

/** A filter tree with every relation condition resolved to id sets. */
type ResolvedNode =
  | { readonly kind: 'and'; readonly children: readonly ResolvedNode[] }
  | { readonly kind: 'or'; readonly children: readonly ResolvedNode[] }
  | { readonly kind: 'not'; readonly child: ResolvedNode }
  | ConditionNode
  | IdsNode;

/** `id` always has a value, so this store filter selects nothing. */
const NOTHING: StoreFilter = { field: 'id', op: 'isnull', value: true };
const EVERYTHING: StoreFilter = { not: NOTHING };
/** DynamoDB numbers hold at most 38 significant digits. */
const MAX_STORE_DIGITS = 38;
const STORE_TYPES = new Set<FieldType>(['string', 'text', 'email', 'choice', 'foreign_key', 'integer', 'decimal', 'date', 'datetime', 'boolean']);
const STORE_TEXT_TYPES = new Set<FieldType>(['string', 'text', 'email', 'choice', 'foreign_key']);

/**
 * Prepares a parsed filter for one scan of `tree.model`.
 *
 * 1. Resolve every relation condition, innermost first: scan the related model once per
 *    condition (with a store filter where the condition allows one) and keep the ids of the
 *    related records that pass, so `category.code in [...]` becomes `category in {ids}`.
 * 2. Derive the store filter: the conditions the store can evaluate exactly, combined so the
 *    result never drops a matching record, within `STORE_FILTER_LIMITS`.
 * 3. Return it with `matches`, which evaluates the whole resolved filter in memory.
 */
export async function compileFilter(tree: FilterTree, ctx: CompileFilterContext): Promise<CompiledFilter> {
  const root = await resolve(tree.root, ctx);
  const storeFilter = withinLimits(toStoreFilter(root, tree.model, false));
  return { storeFilter, matches: (record) => matchesNode(root, record) };
}

async function resolve(node: FilterNode, ctx: CompileFilterContext): Promise<ResolvedNode> {
  switch (node.kind) {
    case 'and':
    case 'or': {
      // One after the other, so lookups happen in a predictable order and never all at once.
      const children: ResolvedNode[] = [];
      for (const child of node.children) children.push(await resolve(child, ctx));
      return { kind: node.kind, children };
    }
    case 'not':
      return { kind: 'not', child: await resolve(node.child, ctx) };
    case 'condition':
      return node;
    case 'related':
      return resolveRelated(node, ctx);
  }
}

async function resolveRelated(node: RelatedNode, ctx: CompileFilterContext): Promise<IdsNode> {
  const tests: ResolvedNode[] = [];
  for (const test of node.tests) tests.push(await resolve(test, ctx));
  const sets = tests.map(() => new Set<string>());
  const approximations = tests.map((test) => toStoreFilter(test, node.target, false));
  const filter = approximations.every((f): f is StoreFilter => f !== undefined)
    ? withinLimits(approximations.length === 1 ? approximations[0] : { or: approximations })
    : undefined;
  for await (const page of ctx.store.scan(ctx.org, node.target, { segment: 0, totalSegments: 1, filter })) {
    for (const record of page) {
      tests.forEach((test, i) => {
        if (matchesNode(test, record)) sets[i]!.add(record.id);
      });
    }
  }
  return { kind: 'ids', relation: node.relation, many: node.many, quantifier: node.quantifier, sets };
}

// ---------------------------------------------------------------------------------------------
// In-memory evaluation

function matchesNode(node: ResolvedNode, record: StoredRecord): boolean {
  switch (node.kind) {
    case 'and':
      return node.children.every((child) => matchesNode(child, record));
    case 'or':
      return node.children.some((child) => matchesNode(child, record));
    case 'not':
      return !matchesNode(node.child, record);
    case 'ids':
      return matchesIds(node, record);
    case 'condition':
      return matchesCondition(node, record);
  }
}

function matchesIds(node: IdsNode, record: StoredRecord): boolean {
  const related = relatedIds(record.values[node.relation], node.many);
  const hits = (set: ReadonlySet<string>) => related.some((id) => set.has(id));
  switch (node.quantifier) {
    case 'any':
      return hits(node.sets[0]!);
    case 'all':
      return node.sets.every(hits);
    case 'none':
      return !hits(node.sets[0]!);
  }
}

function relatedIds(value: FieldValue | undefined, many: boolean): string[] {
  if (many) return Array.isArray(value) ? value.map(String) : [];
  return value === null || value === undefined || value === '' ? [] : [String(value)];
}

/**
 * One condition in memory. A field without a value fails every test except `ne`, `not_in`,
 * `isnull: true` and `none`; many-to-many without ids counts as no value.
 */
function matchesCondition(condition: ConditionNode, record: StoredRecord): boolean {
  const { type, op, value } = condition;
  const raw = condition.field === 'id' ? record.id : record.values[condition.field];
  if (type === 'many_to_many') {
    const ids = relatedIds(raw ?? null, true);
    const wanted = value as readonly string[];
    switch (op) {
      case 'isnull':
        return (ids.length === 0) === value;
      case 'any':
        return wanted.some((id) => ids.includes(id));
      case 'all':
        return wanted.every((id) => ids.includes(id));
      case 'none':
        return !wanted.some((id) => ids.includes(id));
      default:
        return false;
    }
  }
  const actual: FieldValue = raw === undefined ? null : raw;
  if (op === 'isnull') return (actual === null) === value;
  if (op === 'ne') return actual === null || !equalFieldValues(type, actual, value as FieldValue);
  if (op === 'not_in') return !inList(type, actual, value as readonly FieldValue[]);
  if (op === 'in') return inList(type, actual, value as readonly FieldValue[]);
  if (actual === null) return false;
  const compare = (other: FieldValue) => compareFieldValues(type, actual, other);
  switch (op) {
    case 'eq':
      return equalFieldValues(type, actual, value as FieldValue);
    case 'lt':
      return compare(value as FieldValue) < 0;
    case 'lte':
      return compare(value as FieldValue) <= 0;
    case 'gt':
      return compare(value as FieldValue) > 0;
    case 'gte':
      return compare(value as FieldValue) >= 0;
    case 'between': {
      const [low, high] = value as readonly [FieldValue, FieldValue];
      return compare(low) >= 0 && compare(high) <= 0;
    }
    case 'contains':
      return typeof actual === 'string' && actual.includes(value as string);
    case 'icontains':
      return typeof actual === 'string' && actual.toLowerCase().includes((value as string).toLowerCase());
    case 'startswith':
      return typeof actual === 'string' && actual.startsWith(value as string);
    case 'istartswith':
      return typeof actual === 'string' && actual.toLowerCase().startsWith((value as string).toLowerCase());
    case 'endswith':
      return typeof actual === 'string' && actual.endsWith(value as string);
    default:
      return false;
  }
}

function inList(type: FieldType, actual: FieldValue, list: readonly FieldValue[]): boolean {
  return list.some((item) => (item === null || actual === null ? item === actual : equalFieldValues(type, actual, item)));
}

// ---------------------------------------------------------------------------------------------
// Store filter

/**
 * The store filter for a resolved node. `exact`: the result must select exactly the records the
 * node selects (needed under `not`); otherwise it may select more (an `and` keeps the children it
 * can express), never fewer.
 */
function toStoreFilter(node: ResolvedNode, model: ModelDefinition, exact: boolean): StoreFilter | undefined {
  switch (node.kind) {
    case 'and': {
      const parts = node.children.map((child) => toStoreFilter(child, model, exact));
      if (exact && parts.includes(undefined)) return undefined;
      const kept = parts.filter((part): part is StoreFilter => part !== undefined);
      if (kept.length === 0) return exact ? EVERYTHING : undefined;
      return kept.length === 1 ? kept[0] : { and: kept };
    }
    case 'or': {
      // Every branch must be there: a record only one missing branch selects would be lost.
      const parts = node.children.map((child) => toStoreFilter(child, model, exact));
      if (parts.includes(undefined)) return undefined;
      const kept = parts as StoreFilter[];
      if (kept.length === 0) return NOTHING;
      return kept.length === 1 ? kept[0] : { or: kept };
    }
    case 'not': {
      const inner = toStoreFilter(node.child, model, true);
      return inner === undefined ? undefined : { not: inner };
    }
    case 'ids':
      return idsToStoreFilter(node);
    case 'condition':
      return conditionToStoreFilter(node);
  }
}

function idsToStoreFilter(node: IdsNode): StoreFilter | undefined {
  // Many-to-many ids are lists in the store: set operations stay in memory.
  if (node.many || node.quantifier !== 'any') return undefined;
  const ids = [...node.sets[0]!].sort();
  if (ids.length === 0) return NOTHING;
  if (ids.length > STORE_FILTER_LIMITS.maxInValues) return undefined;
  return { field: node.relation, op: 'in', value: ids };
}

function conditionToStoreFilter(node: ConditionNode): StoreFilter | undefined {
  const { field, type, op, value } = node;
  if (!STORE_TYPES.has(type)) return undefined;
  switch (op) {
    case 'eq':
    case 'ne':
    case 'lt':
    case 'lte':
    case 'gt':
    case 'gte': {
      const scalar = toStoreScalar(type, value as FieldValue);
      return scalar === undefined ? undefined : { field, op, value: scalar };
    }
    case 'between': {
      const [low, high] = (value as readonly [FieldValue, FieldValue]).map((v) => toStoreScalar(type, v));
      return low === undefined || high === undefined ? undefined : { field, op, value: [low, high] };
    }
    case 'in':
      return inToStoreFilter(field, type, value as readonly FieldValue[]);
    case 'not_in': {
      const inner = inToStoreFilter(field, type, value as readonly FieldValue[]);
      return inner === undefined ? undefined : { not: inner };
    }
    case 'contains':
    case 'startswith':
      return STORE_TEXT_TYPES.has(type) ? { field, op, value: value as string } : undefined;
    case 'isnull':
      return { field, op, value: value as boolean };
    default:
      // Case-insensitive matching, endswith and set operations have no store equivalent.
      return undefined;
  }
}

function inToStoreFilter(field: string, type: FieldType, list: readonly FieldValue[]): StoreFilter | undefined {
  const scalars = new Map<string, StoreScalar>();
  for (const item of list) {
    if (item === null) continue;
    const scalar = toStoreScalar(type, item);
    if (scalar === undefined) return undefined;
    scalars.set(`${typeof scalar}:${String(scalar)}`, scalar);
  }
  if (scalars.size > STORE_FILTER_LIMITS.maxInValues) return undefined;
  const parts: StoreFilter[] = [];
  if (list.includes(null)) parts.push({ field, op: 'isnull', value: true });
  if (scalars.size > 0) parts.push({ field, op: 'in', value: [...scalars.values()] });
  if (parts.length === 0) return NOTHING;
  return parts.length === 1 ? parts[0] : { or: parts };
}

function toStoreScalar(type: FieldType, value: FieldValue): StoreScalar | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  if (type === 'decimal') {
    // A value DynamoDB cannot hold as a number (filters are lenient about precision) stays in memory.
    const parts = parseDecimalParts(value);
    if (!parts || parts.integer.length + parts.fraction.length > MAX_STORE_DIGITS) return undefined;
  }
  return value;
}

/** Keeps a store filter within `STORE_FILTER_LIMITS`, dropping parts of a top-level `and`. */
function withinLimits(filter: StoreFilter | undefined): StoreFilter | undefined {
  if (filter === undefined || fits(storeFilterSize(filter))) return filter;
  if (!('and' in filter)) return undefined;
  const kept: StoreFilter[] = [];
  let total = { conditions: 0, values: 0 };
  for (const part of flattenAnd(filter)) {
    const size = storeFilterSize(part);
    const next = { conditions: total.conditions + size.conditions, values: total.values + size.values };
    if (!fits(next)) continue;
    kept.push(part);
    total = next;
  }
  if (kept.length === 0) return undefined;
  return kept.length === 1 ? kept[0] : { and: kept };
}

function flattenAnd(filter: StoreFilter): StoreFilter[] {
  return 'and' in filter ? filter.and.flatMap(flattenAnd) : [filter];
}

function fits(size: { conditions: number; values: number }): boolean {
  return size.conditions <= STORE_FILTER_LIMITS.maxConditions && size.values <= STORE_FILTER_LIMITS.maxValues;
}

/** How many conditions and values a store filter holds (what `STORE_FILTER_LIMITS` bounds). */
export function storeFilterSize(filter: StoreFilter): { conditions: number; values: number } {
  if ('and' in filter || 'or' in filter) {
    const children = 'and' in filter ? filter.and : filter.or;
    return children.map(storeFilterSize).reduce((a, b) => ({ conditions: a.conditions + b.conditions, values: a.values + b.values }), { conditions: 0, values: 0 });
  }
  if ('not' in filter) return storeFilterSize(filter.not);
  return { conditions: 1, values: Array.isArray(filter.value) ? filter.value.length : 1 };
}
