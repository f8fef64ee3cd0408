import { FileFormatError, ValidationError } from '../errors';
import { formatValue } from '../model/codecs';
import type { FieldDefinition, ModelDefinition, StoredRecord } from '../model/types';
import type { ExportHeaderOptions, HeaderMapping, Resource } from './types';

/** Column name of the record id in generic files. */
export const ID_COLUMN = 'id';

const BOM = '\uFEFF';

/** Header text as written, without a byte order mark and surrounding spaces. */
export function cleanHeader(text: string): string {
  return (text.startsWith(BOM) ? text.slice(1) : text).trim();
}

/** Header text as compared: cleaned and lower-cased. */
export function normalizeHeader(text: string): string {
  return cleanHeader(text).toLowerCase();
}

/** The export column of a field in generic files: `<fk>_id` for a foreign key, else its name. */
export function columnForField(f: FieldDefinition): string {
  return f.type === 'foreign_key' ? `${f.name}_id` : f.name;
}

function isGenericColumnField(f: FieldDefinition): boolean {
  return !f.sensitive && f.type !== 'many_to_many';
}

/**
 * The resource every model gets unless a custom one is registered, mirroring django-import-export's
 * ModelResource: `id`, then each plain field by name and each foreign key as `<fk>_id`. Sensitive
 * and many-to-many fields are left out both ways.
 */
export function createGenericResource(model: ModelDefinition): Resource {
  const fields = Object.values(model.fields);
  const exportable = fields.filter(isGenericColumnField);
  const defaultHeaders = [ID_COLUMN, ...exportable.map(columnForField)];
  // Import lookup: normalised header → field name ('id' for the id).
  const importLookup = new Map<string, string>([[ID_COLUMN, ID_COLUMN]]);
  for (const f of exportable) {
    importLookup.set(f.name, f.name);
    if (f.type === 'foreign_key') importLookup.set(`${f.name}_id`, f.name);
  }
  // Export lookup: header → field, for exportRow.
  const fieldByHeader = new Map<string, FieldDefinition>(exportable.map((f) => [columnForField(f), f]));

  function exportHeaders(options: ExportHeaderOptions = {}): string[] {
    if (!options.fields) return [...defaultHeaders];
    const headers: string[] = [];
    for (const requested of options.fields) {
      const header = resolveExportField(model, requested);
      if (!headers.includes(header)) headers.push(header);
    }
    return headers;
  }

  function exportRow(record: StoredRecord, headers: readonly string[]): string[] {
    return headers.map((header) => {
      if (header === ID_COLUMN) return record.id;
      const f = fieldByHeader.get(header);
      return f ? formatValue(f, record.values[f.name]) : '';
    });
  }

  function mapHeader(header: readonly string[]): HeaderMapping {
    const columns: HeaderMapping['columns'] = [];
    const unmapped: string[] = [];
    const seenHeaders = new Set<string>();
    const seenFields = new Set<string>();
    header.forEach((text, index) => {
      const column = cleanHeader(text);
      const normalized = column.toLowerCase();
      // Spreadsheets often carry trailing empty header cells: ignore them quietly.
      if (normalized === '') {
        columns.push({ index, column, field: null });
        return;
      }
      const field = importLookup.get(normalized) ?? null;
      if (seenHeaders.has(normalized) || (field !== null && seenFields.has(field))) {
        throw new FileFormatError(`duplicate column '${column}'`);
      }
      seenHeaders.add(normalized);
      if (field !== null) seenFields.add(field);
      else unmapped.push(column);
      columns.push({ index, column, field });
    });
    return { columns, unmapped };
  }

  return { model, exportHeaders, exportRow, mapHeader };
}

function resolveExportField(model: ModelDefinition, requested: string): string {
  if (requested === ID_COLUMN) return ID_COLUMN;
  const direct = model.fields[requested];
  const viaAlias = requested.endsWith('_id') ? model.fields[requested.slice(0, -3)] : undefined;
  const f = direct ?? (viaAlias?.type === 'foreign_key' ? viaAlias : undefined);
  if (!f) throw new ValidationError(`unknown field '${requested}'`, { field: requested });
  if (f.sensitive) throw new ValidationError(`field '${requested}' cannot be exported`, { field: requested });
  if (f.type === 'many_to_many') {
    throw new ValidationError(`field '${requested}' (many-to-many) is not exported by the generic resource`, { field: requested });
  }
  return columnForField(f);
}
