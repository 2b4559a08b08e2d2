/**
 * A strict RFC 4180 CSV reader for inventory imports.
 * Rules: fields separated by `,`; records by CRLF or LF; a quoted field may contain commas,
 * line breaks and doubled quotes (`""`); a quote inside an unquoted field, text after a closing
 * quote, or an unterminated quote is an error naming the line. The first record is the header.
 * Empty lines are skipped. Input is capped by the caller.
 */
import { AppError } from '../../platform/errors.ts';

export function parseCsv(text: string): { header: string[]; rows: Array<{ line: number; cells: string[] }> } {
  const records: Array<{ line: number; cells: string[] }> = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // BOM
  while (i < n) {
    const startLine = line;
    const cells: string[] = [];
    for (;;) {
      let cell = '';
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) throw new AppError('ERR_BAD_INPUT', `CSV line ${startLine}: unterminated quoted field`);
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              cell += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          cell += c;
          i++;
        }
        if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r')
          throw new AppError('ERR_BAD_INPUT', `CSV line ${line}: text after a closing quote`);
      } else {
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') {
          if (text[i] === '"') throw new AppError('ERR_BAD_INPUT', `CSV line ${line}: quote inside an unquoted field`);
          cell += text[i];
          i++;
        }
      }
      cells.push(cell);
      if (i < n && text[i] === ',') {
        i++;
        continue;
      }
      break;
    }
    if (text[i] === '\r') i++;
    if (text[i] === '\n') {
      i++;
      line++;
    } else if (i < n) throw new AppError('ERR_BAD_INPUT', `CSV line ${line}: stray carriage return`);
    if (!(cells.length === 1 && cells[0] === '')) records.push({ line: startLine, cells });
  }
  if (records.length === 0) throw new AppError('ERR_BAD_INPUT', 'CSV is empty: a header line is required');
  const header = records.shift()!.cells.map((h) => h.trim());
  return { header, rows: records };
}
