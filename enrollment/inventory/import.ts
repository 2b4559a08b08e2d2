/**
 * Bulk import of devices from CSV or JSON: validated row by row, errors reported per row, and
 * applied all or nothing in one transaction (each device still gets its own audit entry).
 *
 * CSV columns (header names, any order): id, name, function, owner, location, riskTier, segment,
 * macs (separated by `;` or spaces), manufacturer, model, idevidSerial, firmwareVersion, dnsName,
 * mabOnly (true/false/yes/no/1/0). JSON: an array of device objects (or { devices: [...] }).
 */
import { AppError } from '../../platform/errors.ts';
import { withTx, type Db } from '../../platform/db/index.ts';
import { deviceInput, describeZodError, type DeviceFields } from './model.ts';
import { parseCsv } from './csv.ts';
import type { InventoryService } from './service.ts';

export const MAX_IMPORT_BYTES = 32 * 1024 * 1024;
const COLUMNS = ['id', 'name', 'function', 'owner', 'location', 'riskTier', 'segment', 'macs', 'manufacturer', 'model', 'idevidSerial', 'firmwareVersion', 'dnsName', 'mabOnly'];

export interface RowError {
  row: number; // CSV line number, or 1-based index in a JSON array
  errors: string;
}

export interface ImportResult {
  imported: number;
}

function bool(v: string): boolean | string {
  const s = v.trim().toLowerCase();
  if (['true', 'yes', '1'].includes(s)) return true;
  if (['false', 'no', '0', ''].includes(s)) return false;
  return v;
}

export function rowsFromText(text: string, format: 'csv' | 'json'): Array<{ row: number; value: unknown }> {
  if (Buffer.byteLength(text) > MAX_IMPORT_BYTES) throw new AppError('ERR_TOO_LARGE', `import larger than ${MAX_IMPORT_BYTES} bytes`);
  if (format === 'json') {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new AppError('ERR_BAD_INPUT', `JSON: ${(e as Error).message}`);
    }
    const arr = Array.isArray(doc) ? doc : (doc as { devices?: unknown })?.devices;
    if (!Array.isArray(arr)) throw new AppError('ERR_BAD_INPUT', 'JSON import must be an array of devices or { "devices": [...] }');
    return arr.map((value, i) => ({ row: i + 1, value }));
  }
  const { header, rows } = parseCsv(text);
  const unknown = header.filter((h) => !COLUMNS.includes(h));
  if (unknown.length) throw new AppError('ERR_BAD_INPUT', `CSV header: unknown column(s) ${unknown.join(', ')}; known: ${COLUMNS.join(', ')}`);
  return rows.map(({ line, cells }) => {
    const o: Record<string, unknown> = {};
    header.forEach((h, i) => {
      const v = cells[i] ?? '';
      if (h === 'macs') o.macs = v.split(/[;\s]+/).filter(Boolean);
      else if (h === 'mabOnly') o.mabOnly = bool(v);
      else if (v !== '' || ['location'].includes(h)) o[h] = v;
    });
    if (cells.length !== header.length) o.__cells = `expected ${header.length} fields, got ${cells.length}`;
    return { row: line, value: o };
  });
}

/** Validates every row (schema, duplicates inside the file). Returns devices or all row errors. */
export function validateRows(rows: Array<{ row: number; value: unknown }>): { devices: Array<{ row: number; dev: DeviceFields }>; errors: RowError[] } {
  const errors: RowError[] = [];
  const devices: Array<{ row: number; dev: DeviceFields }> = [];
  const ids = new Map<string, number>();
  const macs = new Map<string, number>();
  for (const { row, value } of rows) {
    const v = value as Record<string, unknown>;
    if (v && typeof v === 'object' && '__cells' in v) {
      errors.push({ row, errors: String(v.__cells) });
      continue;
    }
    const r = deviceInput.safeParse(value);
    if (!r.success) {
      errors.push({ row, errors: describeZodError(r.error) });
      continue;
    }
    const dup = ids.get(r.data.id);
    if (dup) {
      errors.push({ row, errors: `id: ${r.data.id} already used on row ${dup}` });
      continue;
    }
    ids.set(r.data.id, row);
    const macDup = r.data.macs.find((m) => macs.has(m));
    if (macDup) {
      errors.push({ row, errors: `macs: ${macDup} already used on row ${macs.get(macDup)}` });
      continue;
    }
    for (const m of r.data.macs) macs.set(m, row);
    devices.push({ row, dev: r.data });
  }
  return { devices, errors };
}

export async function importDevices(
  db: Db,
  inventory: InventoryService,
  rows: Array<{ row: number; value: unknown }>,
  actor: string,
  onProgress?: (done: number, total: number) => void,
): Promise<ImportResult> {
  const { devices, errors } = validateRows(rows);
  if (errors.length) throw new AppError('ERR_BAD_INPUT', `${errors.length} row(s) invalid; nothing imported`, { detail: { rows: errors } });
  await withTx(db, async (trx) => {
    let done = 0;
    for (const { row, dev } of devices) {
      try {
        await inventory.insertValidated(trx, dev, actor);
      } catch (e) {
        const msg = e instanceof AppError ? e.message : 'database error';
        throw new AppError(e instanceof AppError ? e.code : 'ERR_BAD_INPUT', `row ${row}: ${msg}; nothing imported`, { cause: e, detail: { rows: [{ row, errors: msg }] } });
      }
      onProgress?.(++done, devices.length);
    }
  });
  return { imported: devices.length };
}
