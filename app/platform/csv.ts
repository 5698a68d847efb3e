import { stringify } from "csv-stringify/sync";

/**
 * CSV for spreadsheets (clinical hazard H7): a cell starting with = + - @ TAB or CR would run as
 * a formula in Excel, so it is prefixed with an apostrophe, which Excel shows as text.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutraliseFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** CSV text for `rows`, preceded by `header` unless it is null (later chunks of a stream). */
export function toCsv(
  header: string[] | null,
  rows: Array<Array<string | number | null | undefined>>,
): string {
  const cells = rows.map((row) =>
    row.map((cell) => (cell == null ? "" : neutraliseFormula(String(cell)))),
  );
  return stringify(header ? [header, ...cells] : cells, { record_delimiter: "\r\n" });
}
