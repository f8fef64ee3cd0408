import type { ModelDefinition, RecordValues, StoredRecord } from '../core/model/types';
import { categories, contacts, customers, products, suppliers, tags } from './models';

/** Options of `generateDemoData`. */
export interface DemoDataOptions {
  /** Number of products to generate. @default 3000 for acme, 300 otherwise */
  readonly products?: number;
}

/** The generated records of one model. */
export interface DemoModelData {
  readonly model: ModelDefinition;
  readonly records: StoredRecord[];
}

interface OrgProfile {
  readonly skuPrefix: string;
  readonly domain: string;
  readonly categories: ReadonlyArray<readonly [code: string, name: string, parentCode?: string]>;
  readonly tags: readonly string[];
  readonly supplierNames: readonly string[];
  readonly customerNames: readonly string[];
  readonly productNouns: readonly string[];
  readonly counts: { suppliers: number; customers: number; contacts: number; products: number };
}

const ACME: OrgProfile = {
  skuPrefix: 'ACME',
  domain: 'acme.example',
  categories: [
    ['TOOLS', 'Tools'],
    ['TOOLS-HAND', 'Hand tools', 'TOOLS'],
    ['TOOLS-POWER', 'Power tools', 'TOOLS'],
    ['FAST', 'Fasteners'],
    ['FAST-SCREW', 'Screws & bolts', 'FAST'],
    ['FAST-ANCHOR', 'Wall anchors', 'FAST'],
    ['SAFE', 'Safety equipment'],
    ['SAFE-GLOVE', 'Gloves', 'SAFE'],
    ['SAFE-EYE', 'Eye protection', 'SAFE'],
    ['GARDEN', 'Garden'],
    ['GARDEN-HOSE', 'Hoses & fittings', 'GARDEN'],
    ['GARDEN-SEED', 'Seeds', 'GARDEN'],
  ],
  tags: ['new', 'bestseller', 'eco', 'clearance', 'heavy-duty', 'imported', 'bundle', 'seasonal', 'fragile', 'pro'],
  supplierNames: ['Müller', 'Łódź Metal', 'Nordwerk', 'Société Vis', 'Kowalski', 'Jönsson', 'Brightline', 'Ferro', 'Øresund', 'Castellano'],
  customerNames: ['Bauhaus', 'Zieliński', 'Greenfield', 'Dvořák', 'Harbor', 'Lefèvre', 'Summit', 'Nakamura', 'Oakridge', 'Ibáñez', 'Redwood', 'Kühn'],
  productNouns: ['Hammer', 'Screwdriver', 'Drill', 'Wrench', 'Saw', 'Anchor', 'Bolt', 'Glove', 'Goggles', 'Hose', 'Sprinkler', 'Pliers'],
  counts: { suppliers: 20, customers: 200, contacts: 400, products: 3000 },
};

const GLOBEX: OrgProfile = {
  skuPrefix: 'GLX',
  domain: 'globex.example',
  categories: [
    ['CHEM', 'Chemicals'],
    ['CHEM-SOLV', 'Solvents', 'CHEM'],
    ['ENERGY', 'Energy'],
    ['ENERGY-BATT', 'Batteries', 'ENERGY'],
    ['LAB', 'Laboratory'],
    ['LAB-GLASS', 'Glassware', 'LAB'],
  ],
  tags: ['hazmat', 'refrigerated', 'certified', 'bulk', 'sample', 'restricted'],
  supplierNames: ['Šimek Chemie', 'Ångström Labs', 'Polaris', 'Gdańsk Energia', 'Vance', 'Dubois'],
  customerNames: ['Cypress', 'Sørensen', 'Initech', 'Wójcik', 'Hooli', 'Mäkinen'],
  productNouns: ['Beaker', 'Flask', 'Solvent', 'Cell', 'Pipette', 'Reagent', 'Burette', 'Capacitor'],
  counts: { suppliers: 8, customers: 40, contacts: 80, products: 300 },
};

const SUPPLIER_SUFFIXES = ['GmbH', 'Sp. z o.o.', 'AB', 'Ltd', 'S.A.', 'Inc.', 'BV', 'S.r.l.'];
const CUSTOMER_SUFFIXES = ['Trading', 'Baumarkt', 'Supplies', 'Handel', 'Group', 'Werkstatt', 'Industries', 'Outlet'];
const FIRST_NAMES = ['Anna', 'Łukasz', 'José', 'Zoë', 'Søren', 'Émilie', 'Jürgen', 'Małgorzata', 'Chloé', 'Björn', 'Olivia', 'Noah', 'Ines', 'Mateo', 'Yuki', 'Priya'];
const LAST_NAMES = ['Müller', 'Nowak', 'García', 'Lefèvre', 'Schmidt', 'Kowalczyk', 'Johansson', 'Rossi', 'O’Brien', 'Dąbrowski', 'Smith', 'Tanaka', 'Novák', 'Fernández'];
const CITIES = ['Łódź', 'München', 'Kraków', 'Göteborg', 'Zürich', 'São Paulo', 'Lyon', 'Bilbao', 'Chicago', 'Leeds'];
const COUNTRIES = ['DE', 'PL', 'FR', 'ES', 'SE', 'GB', 'US', 'IT', 'NL', 'CH'];
const ADJECTIVES = ['Compact', 'Heavy', 'Precision', 'Classic', 'Ultra', 'Eco', 'Pro', 'Mini', 'Rugged', 'Smart'];
const CREATED_AT = '2024-01-02T08:00:00.000Z';
const DEMO_USER = 'demo-seed';

/**
 * Deterministic sample data for an organization: the same org and options always give the same
 * records, in dependency order (referenced models first). Every record satisfies its model's rules.
 */
export function generateDemoData(org: 'acme' | 'globex' | string, options: DemoDataOptions = {}): DemoModelData[] {
  const profile = org === 'acme' ? ACME : GLOBEX;
  const rng = createRng(hashSeed(org));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rng() * items.length)] as T;
  const between = (min: number, max: number): number => min + Math.floor(rng() * (max - min + 1));
  const record = (id: string, values: RecordValues): StoredRecord => ({
    id,
    values,
    meta: { created_at: CREATED_AT, updated_at: CREATED_AT, created_by: DEMO_USER, updated_by: DEMO_USER },
  });

  const categoryIdByCode = new Map<string, string>();
  const categoryRecords = profile.categories.map(([code, name, parentCode], i) => {
    const id = `cat-${pad(i + 1, 4)}`;
    categoryIdByCode.set(code, id);
    return record(id, {
      code,
      name,
      parent: parentCode ? (categoryIdByCode.get(parentCode) ?? null) : null,
      description: parentCode ? `${name} for trade and home use.` : null,
    });
  });
  const leafCategoryIds = categoryRecords.filter((c) => c.values.parent !== null).map((c) => c.id);

  const tagRecords = profile.tags.map((name, i) => record(`tag-${pad(i + 1, 4)}`, { name }));

  const supplierRecords = range(profile.counts.suppliers).map((i) => {
    const base = profile.supplierNames[i % profile.supplierNames.length] as string;
    const suffix = SUPPLIER_SUFFIXES[i % SUPPLIER_SUFFIXES.length] as string;
    // The round number keeps names unique (a unique field) once the pools wrap around.
    const round = Math.floor(i / profile.supplierNames.length);
    const name = round === 0 ? `${base} ${suffix}` : `${base} ${suffix} ${pick(CITIES)} ${round + 1}`;
    return record(`sup-${pad(i + 1, 4)}`, {
      name,
      email: `orders@${slug(base)}${i + 1}.example`,
      phone: rng() < 0.8 ? `+49 30 ${between(1000000, 9999999)}` : null,
      rating: rng() < 0.9 ? between(1, 5) : null,
      bank_account: `DE${pad(between(10, 99), 2)}${pad(between(0, 99999999), 8)}${pad(between(0, 9999999999), 10)}`,
    });
  });

  const customerRecords = range(profile.counts.customers).map((i) => {
    const base = pick(profile.customerNames);
    const name = `${base} ${pick(CUSTOMER_SUFFIXES)} ${pick(CITIES)}`;
    return record(`cust-${pad(i + 1, 4)}`, {
      name,
      email: rng() < 0.85 ? `info@${slug(base)}-${i + 1}.example` : null,
      country: pick(COUNTRIES),
      credit_limit: rng() < 0.9 ? cents(between(0, 50_000) * 100 + pick([0, 0, 50, 99])) : null,
      active: rng() < 0.9,
      tax_id: `TX-${pad(between(0, 999999999), 9)}`,
    });
  });

  const contactRecords = range(profile.counts.contacts).map((i) => {
    const customerIndex = i % customerRecords.length;
    // The first contact of each customer is its primary one, and a primary contact needs an email.
    const isPrimary = i < customerRecords.length;
    const first = pick(FIRST_NAMES);
    const last = pick(LAST_NAMES);
    const hasEmail = isPrimary || rng() < 0.7;
    return record(`cont-${pad(i + 1, 4)}`, {
      first_name: first,
      last_name: last,
      email: hasEmail ? `${slug(first)}.${slug(last)}${i + 1}@${profile.domain}` : null,
      phone: rng() < 0.6 ? `+48 ${between(500, 799)} ${between(100, 999)} ${between(100, 999)}` : null,
      customer: customerRecords[customerIndex]?.id ?? null,
      supplier: rng() < 0.1 ? (pick(supplierRecords)?.id ?? null) : null,
      is_primary: isPrimary,
      birthday: rng() < 0.5 ? `${between(1950, 2000)}-${pad(between(1, 12), 2)}-${pad(between(1, 28), 2)}` : null,
      notes: rng() < 0.1 ? `Met at the trade fair in ${pick(CITIES)}.\nPrefers calls before noon.` : null,
      api_key: rng() < 0.2 ? `key_${pad(between(0, 999999999), 9)}${pad(between(0, 999999999), 9)}` : null,
    });
  });

  const productCount = options.products ?? profile.counts.products;
  const productRecords = range(productCount).map((i) => {
    const priceCents = between(99, 250_000);
    const tagIds = tagRecords.filter(() => rng() < 0.15).map((t) => t.id);
    const noun = pick(profile.productNouns);
    return record(`prod-${pad(i + 1, 6)}`, {
      sku: `${profile.skuPrefix}-${pad(i + 1, 6)}`,
      name: `${pick(ADJECTIVES)} ${noun} ${between(100, 999)}`,
      description: rng() < 0.7 ? `A ${noun.toLowerCase()} made to last. Größe ${between(1, 9)}, Ø ${between(5, 50)} mm.` : null,
      price: cents(priceCents),
      cost_price: rng() < 0.8 ? cents(Math.floor(priceCents * (0.4 + rng() * 0.4))) : null,
      quantity: between(0, 5000),
      active: rng() < 0.92,
      status: pick(['draft', 'active', 'active', 'active', 'discontinued']),
      category: pick(leafCategoryIds),
      supplier: rng() < 0.85 ? (pick(supplierRecords)?.id ?? null) : null,
      tags: tagIds.length > 0 ? tagIds : null,
      released_on: rng() < 0.8 ? `${between(2015, 2024)}-${pad(between(1, 12), 2)}-${pad(between(1, 28), 2)}` : null,
      weight_kg: rng() < 0.9 ? milli(between(10, 250_000)) : null,
    });
  });

  return [
    { model: categories, records: categoryRecords },
    { model: tags, records: tagRecords },
    { model: suppliers, records: supplierRecords },
    { model: customers, records: customerRecords },
    { model: contacts, records: contactRecords },
    { model: products, records: productRecords },
  ];
}

/** mulberry32: tiny, fast and good enough for sample data; the seed makes it reproducible. */
export function createRng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashSeed(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

function range(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

// Decimal strings are built from integers so no float rounding reaches a money value.
function cents(value: number): string {
  return `${Math.floor(value / 100)}.${pad(value % 100, 2)}`;
}

function milli(value: number): string {
  return `${Math.floor(value / 1000)}.${pad(value % 1000, 3)}`;
}

/** ASCII slug for email addresses: "Łódź Metal" → "lodzmetal". */
function slug(text: string): string {
  return text
    .replace(/ł/g, 'l')
    .replace(/Ł/g, 'L')
    .replace(/ø/g, 'o')
    .replace(/Ø/g, 'O')
    .normalize('NFD')
    .replace(/[^A-Za-z0-9]/g, '')
    .toLowerCase();
}
