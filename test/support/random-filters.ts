import { createModelRegistry, defineModel, field } from '../../layers/core/model/define-model';
import type { FieldValue, ModelDefinition, RecordValues, StoredRecord } from '../../layers/core/model/types';
import type { StoreFilter, StoreScalar } from '../../layers/core/ports/record-store';

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same cases on every run. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** `count` elements drawn with replacement. */
  some<T>(items: readonly T[], count: number): T[] {
    return Array.from({ length: count }, () => this.pick(items));
  }
}

/** Makers: what labels and items point at, with a self reference for two-hop paths. */
export const makers = defineModel({
  name: 'maker',
  plural: 'makers',
  fields: {
    name: field.string({ required: true }),
    rating: field.integer(),
    country: field.choice({ choices: ['DE', 'FR', 'US'] }),
    parent: field.foreignKey('makers'),
    secret: field.string({ sensitive: true }),
  },
});

/** Labels: the many-to-many target of items. */
export const labels = defineModel({
  name: 'label',
  plural: 'labels',
  fields: {
    name: field.string({ required: true }),
    weight: field.integer(),
    maker: field.foreignKey('makers'),
  },
});

/** Items: one field of every filterable type, all nullable. */
export const items = defineModel({
  name: 'item',
  plural: 'items',
  fields: {
    code: field.string(),
    title: field.text(),
    count: field.integer(),
    price: field.decimal({ precision: 12, scale: 2 }),
    day: field.date(),
    at: field.datetime(),
    ok: field.boolean(),
    size: field.choice({ choices: ['S', 'M', 'L'] }),
    maker: field.foreignKey('makers'),
    labels: field.manyToMany('labels'),
    extra: field.json(),
  },
});

/** Registry of the property-test models. */
export const randomRegistry = createModelRegistry([makers, labels, items]);

// Small pools, so that equal values, shared prefixes and non-ASCII order all come up often.
export const STRINGS = ['alpha', 'Alpha', 'alphabet', 'beta', 'b', 'ALPHA beta', 'ångström', 'zebra', '\uff5aed', '\u{1f600}x', 'x\u{1f600}', 'émile'];
export const INTEGERS = [-5, -1, 0, 1, 2, 3, 7, 20, 1000];
export const DECIMALS = ['0.00', '1.50', '-2.25', '10.10', '10.00', '0.01', '99999999.99', '-0.50'];
export const DATES = ['2020-01-01', '2023-12-31', '2024-01-15', '2024-02-29', '1999-07-04'];
export const DATETIMES = ['2024-01-15T10:00:00.000Z', '2024-01-15T09:59:59.999Z', '2023-06-01T00:00:00.000Z', '2025-03-09T23:00:00.000Z'];
export const SIZES = ['S', 'M', 'L'];
export const COUNTRIES = ['DE', 'FR', 'US'];
export const MAKER_IDS = ['m-1', 'm-2', 'm-3', 'm-4', 'm-5'];
export const LABEL_IDS = ['l-1', 'l-2', 'l-3', 'l-4', 'l-5', 'l-6'];

function stored(id: string, values: RecordValues): StoredRecord {
  return { id, values, meta: { created_at: '2024-01-01T00:00:00.000Z', updated_at: '2024-01-01T00:00:00.000Z' } };
}

const maybe = <T extends FieldValue>(random: Random, value: () => T): T | null => (random.chance(0.2) ? null : value());

/** Random records of the three models, every field null about a fifth of the time. */
export function randomDataset(random: Random, itemCount = 60): { makers: StoredRecord[]; labels: StoredRecord[]; items: StoredRecord[] } {
  const makerRecords = MAKER_IDS.map((id) =>
    stored(id, {
      name: random.pick(STRINGS),
      rating: maybe(random, () => random.int(1, 5)),
      country: maybe(random, () => random.pick(COUNTRIES)),
      parent: maybe(random, () => random.pick([...MAKER_IDS, 'm-gone'])),
      secret: 'hidden',
    }),
  );
  const labelRecords = LABEL_IDS.map((id) =>
    stored(id, { name: random.pick(STRINGS), weight: maybe(random, () => random.pick(INTEGERS)), maker: maybe(random, () => random.pick(MAKER_IDS)) }),
  );
  const itemRecords = Array.from({ length: itemCount }, (_, i) =>
    stored(`i-${String(i).padStart(3, '0')}`, {
      code: maybe(random, () => random.pick(STRINGS)),
      title: maybe(random, () => random.pick(STRINGS)),
      count: maybe(random, () => random.pick(INTEGERS)),
      price: maybe(random, () => random.pick(DECIMALS)),
      day: maybe(random, () => random.pick(DATES)),
      at: maybe(random, () => random.pick(DATETIMES)),
      ok: maybe(random, () => random.chance(0.5)),
      size: maybe(random, () => random.pick(SIZES)),
      maker: maybe(random, () => random.pick([...MAKER_IDS, 'm-gone'])),
      labels: [...new Set(random.some(LABEL_IDS, random.int(0, 3)))],
      extra: maybe(random, () => random.pick([{ a: 1 }, [1, 2], 'text', 3])),
    }),
  );
  return { makers: makerRecords, labels: labelRecords, items: itemRecords };
}

type Kind = 'string' | 'integer' | 'decimal' | 'date' | 'datetime' | 'boolean' | 'choice' | 'size' | 'country' | 'maker' | 'labels' | 'json';

/** Filterable paths of `items` with what their values look like. */
const PATHS: ReadonlyArray<{ path: string; kind: Kind; viaMany?: boolean }> = [
  { path: 'id', kind: 'string' },
  { path: 'code', kind: 'string' },
  { path: 'title', kind: 'string' },
  { path: 'count', kind: 'integer' },
  { path: 'price', kind: 'decimal' },
  { path: 'day', kind: 'date' },
  { path: 'at', kind: 'datetime' },
  { path: 'ok', kind: 'boolean' },
  { path: 'size', kind: 'size' },
  { path: 'maker', kind: 'maker' },
  { path: 'maker_id', kind: 'maker' },
  { path: 'labels', kind: 'labels' },
  { path: 'extra', kind: 'json' },
  { path: 'maker.name', kind: 'string' },
  { path: 'maker.rating', kind: 'integer' },
  { path: 'maker.country', kind: 'country' },
  { path: 'maker.parent', kind: 'maker' },
  { path: 'maker.parent.name', kind: 'string' },
  { path: 'maker.parent.rating', kind: 'integer' },
  { path: 'labels.name', kind: 'string', viaMany: true },
  { path: 'labels.weight', kind: 'integer', viaMany: true },
  { path: 'labels.maker.country', kind: 'country', viaMany: true },
];

const ORDERED = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'between', 'in', 'not_in', 'isnull'];
const TEXT = [...ORDERED, 'contains', 'icontains', 'startswith', 'istartswith', 'endswith'];
const OPS: Record<Kind, readonly string[]> = {
  string: TEXT,
  size: TEXT,
  country: TEXT,
  maker: TEXT,
  integer: ORDERED,
  decimal: ORDERED,
  date: ORDERED,
  datetime: ORDERED,
  choice: TEXT,
  boolean: ['eq', 'ne', 'in', 'not_in', 'isnull'],
  labels: ['any', 'all', 'none', 'contains', 'isnull'],
  json: ['eq', 'ne', 'isnull'],
};

function valueOf(random: Random, kind: Kind): FieldValue {
  switch (kind) {
    case 'string':
      return random.pick(STRINGS);
    case 'integer':
      return random.pick(INTEGERS);
    case 'decimal':
      // Both forms a client may send: a string or a number, and sometimes more places than the scale.
      return random.pick([...DECIMALS, '10.1', '1.505', 0.5, 10]);
    case 'date':
      return random.pick(DATES);
    case 'datetime':
      return random.pick(DATETIMES);
    case 'boolean':
      return random.chance(0.5);
    case 'size':
    case 'choice':
      return random.pick(SIZES);
    case 'country':
      return random.pick(COUNTRIES);
    case 'maker':
      return random.pick([...MAKER_IDS, 'm-gone']);
    case 'labels':
      return random.pick(LABEL_IDS);
    case 'json':
      return random.pick([{ a: 1 }, [1, 2], 'text', 3]);
  }
}

function fragment(random: Random, kind: Kind): string {
  const whole = String(valueOf(random, kind));
  const start = random.int(0, Math.max(0, whole.length - 1));
  const piece = [...whole].slice(start, start + random.int(1, 3)).join('');
  return piece === '' ? whole : random.chance(0.3) ? piece.toUpperCase() : piece;
}

/** A random condition of the filter language over `items`, always valid. */
export function randomCondition(random: Random): Record<string, unknown> {
  const { path, kind, viaMany } = random.pick(PATHS);
  const ops = viaMany ? [...OPS[kind], 'any', 'all', 'none'] : OPS[kind];
  const op = random.pick(ops);
  const list = (nullable: boolean) => Array.from({ length: random.int(0, 3) }, () => (nullable && random.chance(0.15) ? null : valueOf(random, kind)));
  switch (op) {
    case 'isnull':
      return { field: path, op, value: random.chance(0.5) };
    case 'between':
      return { field: path, op, value: [valueOf(random, kind), valueOf(random, kind)] };
    case 'in':
    case 'not_in':
      return { field: path, op, value: list(true) };
    case 'any':
    case 'all':
    case 'none':
      return { field: path, op, value: list(false) };
    case 'contains':
      return { field: path, op, value: kind === 'labels' ? valueOf(random, kind) : fragment(random, kind) };
    case 'icontains':
    case 'startswith':
    case 'istartswith':
    case 'endswith':
      return { field: path, op, value: fragment(random, kind) };
    default:
      return { field: path, op, value: op === 'eq' || op === 'ne' ? (random.chance(0.1) ? null : valueOf(random, kind)) : valueOf(random, kind) };
  }
}

/** A random filter tree (JSON as a client sends it) over `items`. */
export function randomFilterJson(random: Random, depth = 3): unknown {
  if (depth === 0 || random.chance(0.4)) return randomCondition(random);
  const children = () => Array.from({ length: random.int(0, 3) }, () => randomFilterJson(random, depth - 1));
  switch (random.int(0, 3)) {
    case 0:
      return { and: children() };
    case 1:
      return { or: children() };
    case 2:
      return { not: randomFilterJson(random, depth - 1) };
    default:
      return children();
  }
}

const STORE_FIELDS: ReadonlyArray<{ field: string; values: readonly StoreScalar[]; text?: boolean }> = [
  { field: 'id', values: ['i-001', 'i-010', 'i-030', 'i-059'], text: true },
  { field: 'code', values: STRINGS, text: true },
  { field: 'title', values: STRINGS, text: true },
  { field: 'count', values: INTEGERS },
  { field: 'price', values: [...DECIMALS, '10.1', '1.505'] },
  { field: 'day', values: DATES, text: true },
  { field: 'at', values: DATETIMES, text: true },
  { field: 'ok', values: [true, false] },
  { field: 'size', values: SIZES, text: true },
  { field: 'maker', values: [...MAKER_IDS, 'm-gone'], text: true },
];

/** A random store filter over `items` (what `ScanOptions.filter` takes). */
export function randomStoreFilter(random: Random, depth = 3): StoreFilter {
  if (depth > 0 && random.chance(0.5)) {
    const parts = () => Array.from({ length: random.int(1, 3) }, () => randomStoreFilter(random, depth - 1));
    switch (random.int(0, 2)) {
      case 0:
        return { and: parts() };
      case 1:
        return { or: parts() };
      default:
        return { not: randomStoreFilter(random, depth - 1) };
    }
  }
  const { field, values, text } = random.pick(STORE_FIELDS);
  const isBoolean = field === 'ok';
  const ops = isBoolean ? ['eq', 'ne', 'in', 'isnull'] : text ? ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'between', 'in', 'contains', 'startswith', 'isnull'] : ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'between', 'in', 'isnull'];
  const op = random.pick(ops);
  const value = () => random.pick(values);
  switch (op) {
    case 'isnull':
      return { field, op, value: random.chance(0.5) };
    case 'between':
      return { field, op, value: [value(), value()] };
    case 'in':
      return { field, op, value: random.some(values, random.int(1, 4)) };
    case 'contains':
    case 'startswith': {
      const whole = String(value());
      const start = op === 'startswith' ? 0 : random.int(0, whole.length - 1);
      return { field, op, value: [...whole].slice(start, start + random.int(1, 3)).join('') || whole };
    }
    default:
      return { field, op: op as 'eq', value: value() };
  }
}

/** The models a random dataset fills. */
export const RANDOM_MODELS: readonly ModelDefinition[] = [makers, labels, items];
