/** Operators in words, as a report's header shows them. */
const OPERATOR_WORDS: Record<string, string> = {
  eq: 'is',
  ne: 'is not',
  lt: 'is less than',
  lte: 'is at most',
  gt: 'is greater than',
  gte: 'is at least',
  between: 'is between',
  in: 'is one of',
  not_in: 'is none of',
  contains: 'contains',
  icontains: 'contains (any case)',
  startswith: 'starts with',
  istartswith: 'starts with (any case)',
  endswith: 'ends with',
  any: 'includes any of',
  all: 'includes all of',
  none: 'includes none of',
};

/**
 * A checked filter (the export's `filters` JSON) in words, e.g.
 * `category.code is one of TOOLS-HAND, TOOLS-POWER and price is between 10 and 200`; "all records"
 * without a filter.
 */
export function describeFilter(json: unknown): string {
  if (json === undefined || json === null) return 'all records';
  return describe(json, true);
}

function describe(node: unknown, top: boolean): string {
  if (Array.isArray(node)) return group(node, 'and', top);
  const value = node as Record<string, unknown>;
  if (Array.isArray(value.and)) return group(value.and, 'and', top);
  if (Array.isArray(value.or)) return group(value.or, 'or', top);
  if ('not' in value) return `not (${describe(value.not, true)})`;
  const { field, op, value: operand } = value as { field: string; op: string; value?: unknown };
  if (op === 'isnull') return `${field} ${operand === false ? 'is set' : 'is empty'}`;
  if (op === 'between' && Array.isArray(operand)) return `${field} is between ${text(operand[0])} and ${text(operand[1])}`;
  const words = OPERATOR_WORDS[op] ?? op;
  return `${field} ${words} ${Array.isArray(operand) ? operand.map(text).join(', ') : text(operand)}`;
}

function group(nodes: unknown[], joiner: 'and' | 'or', top: boolean): string {
  if (nodes.length === 1) return describe(nodes[0], top);
  const joined = nodes.map((n) => describe(n, false)).join(` ${joiner} `);
  return top ? joined : `(${joined})`;
}

function text(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : String(value);
}
