import { stringify } from "csv-stringify/sync";

/**
 * CSV for spreadsheets (clinical hazard H7): a cell starting with = + - @ TAB or CR would run as
 * a formula in Excel, so it is prefixed with an apostrophe, which Excel shows as text.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function neutraliseFormula(value: string): string {
  return FORMULA_START.test(value) ? `'${value}` : value;
}

export function toCsv(
  header: string[],
  rows: Array<Array<string | number | null | undefined>>,
): string {
  return stringify(
    [
      header,
      ...rows.map((row) =>
        row.map((cell) => (cell == null ? "" : neutraliseFormula(String(cell)))),
      ),
    ],
    { record_delimiter: "\r\n" },
  );
}
