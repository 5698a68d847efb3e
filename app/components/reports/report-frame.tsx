import { Form, Link, NavLink } from "@remix-run/react";
import type { ReactNode } from "react";
import { ErrorSummary } from "~/components/ui/field.tsx";
import { HeaderRow, Th } from "~/components/ui/table.tsx";
import { useRootData } from "~/root.tsx";
import {
  filterQuery,
  GRANULARITIES,
  GRANULARITY_LABELS,
  type ReportFilter,
} from "~/modules/reports/report-filter.ts";

/** The report pages, in the order the sub-navigation shows them. */
const PAGES = [
  { to: "/reports", label: "Volume by specialty" },
  { to: "/reports/teams", label: "Time to action and SLA" },
  { to: "/reports/unmatched", label: "Unmatched requests" },
];

/** Campaign reports, for the roles that may see them (read:campaign-report). */
const CAMPAIGN_PAGE = { to: "/reports/campaigns", label: "Invitation campaigns" };

/** Sub-navigation between the report pages, keeping the chosen range. */
export function ReportNav({ filter }: { filter: ReportFilter }) {
  const query = filterQuery(filter);
  const permissions = useRootData()?.user?.permissions ?? [];
  const pages = permissions.includes("read:campaign-report") ? [...PAGES, CAMPAIGN_PAGE] : PAGES;
  return (
    <nav aria-label="Reports" className="mb-6">
      <ul className="flex flex-wrap gap-2">
        {pages.map((page) => (
          <li key={page.to}>
            <NavLink
              to={`${page.to}?${query}`}
              end
              className={({ isActive }) =>
                `inline-block rounded border-2 px-3 py-1 no-underline ${
                  isActive
                    ? "border-nhs-blue bg-nhs-blue font-bold text-white"
                    : "border-nhs-blue bg-white text-nhs-blue"
                }`
              }
            >
              {page.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

const CONTROL = "mt-1 block rounded-none border-2 border-nhs-black bg-white px-2 py-1.5 text-base";

/**
 * The range picker: UK dates, inclusive, and the bucket size; a GET form, so every view of a
 * report is a link. `extra` holds page-specific controls (the specialty).
 */
export function ReportFilterForm({
  filter,
  errors,
  extra,
  showGranularity = true,
  note = "Dates are UK dates (Europe/London), both days included. Requests count on the day they were received.",
}: {
  filter: ReportFilter;
  errors: Record<string, string> | null;
  extra?: ReactNode;
  showGranularity?: boolean;
  /** what the range means on this page */
  note?: string;
}) {
  const errorList = errors
    ? Object.entries(errors).map(([field, message]) => ({ field, message }))
    : [];
  const fieldError = (name: string) =>
    errors?.[name] ? (
      <p id={`${name}-error`} className="font-bold text-nhs-red">
        <span className="sr-only">Error: </span>
        {errors[name]}
      </p>
    ) : null;
  const invalid = (name: string) =>
    errors?.[name] ? { "aria-invalid": true as const, "aria-describedby": `${name}-error` } : {};
  return (
    <>
      {errorList.length ? <ErrorSummary errors={errorList} /> : null}
      <Form method="get" className="mb-6 bg-white p-4 shadow-sm" aria-label="Report range">
        <p className="mb-3 text-nhs-dark-grey">{note}</p>
        <div className="flex flex-wrap items-end gap-6">
          <div className={errors?.from ? "border-l-4 border-nhs-red pl-3" : ""}>
            <label htmlFor="from" className="block font-bold">
              From
            </label>
            {fieldError("from")}
            <input
              id="from"
              name="from"
              type="date"
              required
              defaultValue={filter.from}
              className={CONTROL}
              {...invalid("from")}
            />
          </div>
          <div className={errors?.to ? "border-l-4 border-nhs-red pl-3" : ""}>
            <label htmlFor="to" className="block font-bold">
              To
            </label>
            {fieldError("to")}
            <input
              id="to"
              name="to"
              type="date"
              required
              defaultValue={filter.to}
              className={CONTROL}
              {...invalid("to")}
            />
          </div>
          {showGranularity ? (
            <div className={errors?.granularity ? "border-l-4 border-nhs-red pl-3" : ""}>
              <label htmlFor="granularity" className="block font-bold">
                Group by
              </label>
              {fieldError("granularity")}
              <select
                id="granularity"
                name="granularity"
                defaultValue={filter.granularity}
                className={CONTROL}
                {...invalid("granularity")}
              >
                {GRANULARITIES.map((value) => (
                  <option key={value} value={value}>
                    {GRANULARITY_LABELS[value]}
                  </option>
                ))}
              </select>
            </div>
          ) : (
            <input type="hidden" name="granularity" value={filter.granularity} />
          )}
          {extra}
          <button
            type="submit"
            className="rounded bg-nhs-green px-4 py-2 font-bold text-white shadow-[0_4px_0_#00401e] focus:outline-none focus-visible:ring-4 focus-visible:ring-nhs-yellow"
          >
            Show report
          </button>
        </div>
      </Form>
    </>
  );
}

/** One report: heading, chart, the table of exactly its numbers, and the CSV of the same. */
export function ReportSection({
  id,
  title,
  description,
  chart,
  csvHref,
  children,
}: {
  id: string;
  title: string;
  description: ReactNode;
  chart: ReactNode;
  csvHref: string;
  children: ReactNode;
}) {
  return (
    <section aria-labelledby={`${id}-heading`} className="mb-8 bg-white p-6 shadow-sm">
      <div className="mb-2 flex flex-wrap items-baseline justify-between gap-4">
        <h2 id={`${id}-heading`} className="text-2xl font-bold">
          {title}
        </h2>
        <Link to={csvHref} reloadDocument download className="font-bold">
          Download CSV<span className="sr-only"> of {title.toLowerCase()}</span>
        </Link>
      </div>
      <div className="mb-4 max-w-3xl text-nhs-dark-grey">{description}</div>
      <figure className="mb-6">
        {chart}
        <figcaption className="mt-2 text-sm text-nhs-dark-grey">
          {title}. The table below gives the same numbers.
        </figcaption>
      </figure>
      {children}
    </section>
  );
}

export interface TableColumn<Row> {
  label: string;
  numeric?: boolean;
  value: (row: Row) => string | number | null;
}

/** A report's table; the first column heads each row (th scope="row"). */
export function ReportTable<Row>({
  caption,
  columns,
  rows,
  rowKey,
  footer,
  emptyMessage = "No requests in this range.",
}: {
  caption: string;
  columns: Array<TableColumn<Row>>;
  rows: Row[];
  rowKey: (row: Row) => string;
  footer?: Row;
  /** what an empty table says */
  emptyMessage?: string;
}) {
  const cells = (row: Row) =>
    columns.map((column, index) => {
      const value = column.value(row);
      const text = value === null ? "—" : String(value);
      return index === 0 ? (
        <th key={column.label} scope="row" className="py-2 pr-4 text-left font-normal">
          {text}
        </th>
      ) : (
        <td key={column.label} className={`py-2 pr-4 ${column.numeric ? "text-right" : ""}`}>
          {text}
        </td>
      );
    });
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left">
        <caption className="mb-2 text-left font-bold">{caption}</caption>
        <HeaderRow>
          {columns.map((column) => (
            <Th key={column.label} numeric={column.numeric}>
              {column.label}
            </Th>
          ))}
        </HeaderRow>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} className="py-2">
                {emptyMessage}
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr key={rowKey(row)} className="border-b border-nhs-pale-grey">
                {cells(row)}
              </tr>
            ))
          )}
        </tbody>
        {footer ? (
          <tfoot>
            <tr className="border-t-2 border-nhs-mid-grey font-bold">{cells(footer)}</tr>
          </tfoot>
        ) : null}
      </table>
    </div>
  );
}
