import { z } from "zod";
import type { ReportFilter } from "./report-filter.ts";
import {
  NO_SPECIALTY,
  requestVolume,
  slaMet,
  timeToAction,
  unmatchedShare,
  volumeBySpecialty,
} from "./reports.server.ts";

/**
 * Each report as CSV: the same function the page calls, the same rows and numbers, one column
 * per table column (plus the bucket's ISO start date next to its label, for spreadsheets).
 * The route makes it formula-safe (toCsv) and audits the download.
 */
export const REPORT_NAMES = [
  "volume",
  "specialties",
  "time-to-action",
  "sla",
  "unmatched",
] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

/** A specialty code as the page's control sends it: "none", or a short code. */
export const SpecialtyParamSchema = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,40}$/)
  .optional()
  .catch(undefined);

export function specialtyParam(params: URLSearchParams): string | null {
  const value = params.get("specialty");
  if (!value || value === "all") return null;
  return SpecialtyParamSchema.parse(value) ?? null;
}

export interface ReportCsv {
  filename: string;
  header: string[];
  rows: Array<Array<string | number | null>>;
}

export async function reportCsv(
  name: ReportName,
  filter: ReportFilter,
  options: { specialty: string | null; asOf: Date },
): Promise<ReportCsv> {
  const range = `${filter.from}-to-${filter.to}`;
  switch (name) {
    case "volume": {
      const rows = await requestVolume(filter, options.specialty);
      const which =
        options.specialty === null
          ? "all"
          : options.specialty === NO_SPECIALTY
            ? "no-specialty"
            : `specialty-${options.specialty}`;
      return {
        filename: `request-volume-${which}-${range}-by-${filter.granularity}.csv`,
        header: ["bucket_start", "period", "specialty", "cancel", "change", "total"],
        rows: rows.map((row) => [
          row.bucket,
          row.label,
          options.specialty === null ? "All specialties" : options.specialty,
          row.cancel,
          row.change,
          row.total,
        ]),
      };
    }
    case "specialties": {
      const rows = await volumeBySpecialty(filter);
      return {
        filename: `request-volume-by-specialty-${range}.csv`,
        header: ["specialty_code", "specialty", "cancel", "change", "total"],
        rows: rows.map((row) => [
          row.specialty === NO_SPECIALTY ? "" : row.specialty,
          row.label,
          row.cancel,
          row.change,
          row.total,
        ]),
      };
    }
    case "time-to-action": {
      const rows = await timeToAction(filter);
      return {
        filename: `time-to-action-${range}.csv`,
        header: ["team", "actioned", "p50_hours", "p90_hours"],
        rows: rows.map((row) => [row.team, row.actioned, row.p50Hours, row.p90Hours]),
      };
    }
    case "sla": {
      const rows = await slaMet(filter, options.asOf);
      return {
        filename: `sla-met-${range}.csv`,
        header: ["team", "met", "missed", "pending", "met_percent"],
        rows: rows.map((row) => [row.team, row.met, row.missed, row.pending, row.metPercent]),
      };
    }
    case "unmatched": {
      const rows = await unmatchedShare(filter);
      return {
        filename: `unmatched-requests-${range}-by-${filter.granularity}.csv`,
        header: ["bucket_start", "period", "received", "unmatched", "unmatched_percent"],
        rows: rows.map((row) => [
          row.bucket,
          row.label,
          row.received,
          row.unmatched,
          row.unmatchedPercent,
        ]),
      };
    }
  }
}
