import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseCsv } from '../../../../enrollment/inventory/csv.ts';
import { isAppError } from '../../../../platform/errors.ts';

test('quoted fields with commas, quotes and newlines; CRLF; BOM', () => {
  const r = parseCsv('\ufeffid,name\r\ncam-1,"Lobby, ""north"""\r\ncam-2,"two\nlines"\n\n');
  assert.deepEqual(r.header, ['id', 'name']);
  assert.deepEqual(r.rows, [
    { line: 2, cells: ['cam-1', 'Lobby, "north"'] },
    { line: 3, cells: ['cam-2', 'two\nlines'] },
  ]);
});

test('malformed CSV names the line', () => {
  assert.throws(() => parseCsv('a,b\n1,"x'), /line 2: unterminated/);
  assert.throws(() => parseCsv('a,b\n1,"x"y\n'), /line 2: text after a closing quote/);
  assert.throws(() => parseCsv('a,b\n1,x"y\n'), /line 2: quote inside/);
  assert.throws(() => parseCsv(''), /header line is required/);
});

const field = fc.string({ maxLength: 12 });
const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;

test('property: any table written with quoting reads back the same', () => {
  fc.assert(
    fc.property(fc.array(fc.array(field, { minLength: 2, maxLength: 2 }), { minLength: 1, maxLength: 8 }), (rows) => {
      const text = 'a,b\n' + rows.map((r) => r.map(quote).join(',')).join('\r\n') + '\n';
      const parsed = parseCsv(text);
      assert.deepEqual(
        parsed.rows.map((r) => r.cells),
        rows,
      );
    }),
  );
});

test('property: garbage input returns or throws ERR_BAD_INPUT, nothing else', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 200, unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', 'é', '\u0000') }), (s) => {
      try {
        parseCsv(s);
      } catch (e) {
        assert.ok(isAppError(e, 'ERR_BAD_INPUT'), String(e));
      }
    }),
    { numRuns: 2000 },
  );
});
