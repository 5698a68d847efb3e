import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { withTestDatabase } from "../../../tests/support/database.ts";
import type { RequestMatchState, RequestStatus } from "~/generated/prisma/enums.ts";
import { parseReportFilter, ReportFilterSchema, type ReportFilter } from "./report-filter.ts";
import {
  NO_SPECIALTY,
  requestVolume,
  slaMet,
  timeToAction,
  unmatchedShare,
  volumeBySpecialty,
} from "./reports.server.ts";

const db = withTestDatabase();

/**
 * The hand-computed fixture. UTC instants, with the UK wall time each one is (BST = UTC+1 until
 * 01:00 UTC on Sunday 25 October 2026, GMT after). Every expected number below was worked out by
 * hand from this table, not by running the code.
 *
 *  #   receivedAt (UTC)       UK wall time                  action  specialty  match           team  status / closed / due
 *  0   2026-06-29T22:59Z      Mon 29 Jun 23:59 BST          CHANGE  100        MATCHED         –     outside every range below
 *  0b  2026-06-29T23:00Z      Tue 30 Jun 00:00 BST          CHANGE  100        MATCHED         –     ACTIONED +1h, no due
 *  1   2026-06-30T22:59Z      Tue 30 Jun 23:59 BST          CANCEL  320        MATCHED         A     ACTIONED +2h, due +24h (met)
 *  2   2026-06-30T23:00Z      Wed  1 Jul 00:00 BST (month)  CHANGE  320        MATCHED         A     ACTIONED +10h, due +8h (missed)
 *  3   2026-07-05T22:30Z      Sun  5 Jul 23:30 BST          CANCEL  100        MATCHED         B     ACTIONED +30h, due +24h (missed)
 *  4   2026-07-05T23:30Z      Mon  6 Jul 00:30 BST (week)   CHANGE  100        MATCHED         B     ACTIONED +6h, no due
 *  8   2026-10-24T22:59Z      Sat 24 Oct 23:59 BST          CHANGE  320        MATCHED_BY_STAFF A    REJECTED +1h, due +24h (met)
 *  5   2026-10-24T23:30Z      Sun 25 Oct 00:30 BST          CANCEL  320        MATCHED         A     ACTIONED +4h (across the change), due +48h (met)
 *  6   2026-10-25T23:30Z      Sun 25 Oct 23:30 GMT          CHANGE  –          NEEDS_TRIAGE    –     NEW, no due
 *  7   2026-10-26T00:00Z      Mon 26 Oct 00:00 GMT (week)   CANCEL  320        NEEDS_MATCHING  A     ASSIGNED, due 2026-10-27T00:00Z (missed: open past due)
 *  9   2026-12-31T23:59Z      Thu 31 Dec 23:59 GMT          CANCEL  100        MATCHED         B     NEW, due 2027-01-05T09:00Z (pending)
 *  10  2027-01-01T00:00Z      Fri  1 Jan 00:00 GMT          CANCEL  100        MATCHED         B     outside the range
 *
 * SLA is judged as of 2027-01-02T00:00Z.
 */
const HOUR = 3_600_000;
const SLA_AS_OF = new Date("2027-01-02T00:00:00Z");

interface Fixture {
  at: string;
  action: "CANCEL" | "CHANGE";
  specialty: "320" | "100" | null;
  match?: RequestMatchState;
  team?: "A" | "B";
  status?: RequestStatus;
  closedAfterHours?: number;
  dueAfterHours?: number;
  dueAt?: string;
}

const FIXTURE: Fixture[] = [
  { at: "2026-06-29T22:59:00Z", action: "CHANGE", specialty: "100" },
  {
    at: "2026-06-29T23:00:00Z",
    action: "CHANGE",
    specialty: "100",
    status: "ACTIONED",
    closedAfterHours: 1,
  },
  {
    at: "2026-06-30T22:59:00Z",
    action: "CANCEL",
    specialty: "320",
    team: "A",
    status: "ACTIONED",
    closedAfterHours: 2,
    dueAfterHours: 24,
  },
  {
    at: "2026-06-30T23:00:00Z",
    action: "CHANGE",
    specialty: "320",
    team: "A",
    status: "ACTIONED",
    closedAfterHours: 10,
    dueAfterHours: 8,
  },
  {
    at: "2026-07-05T22:30:00Z",
    action: "CANCEL",
    specialty: "100",
    team: "B",
    status: "ACTIONED",
    closedAfterHours: 30,
    dueAfterHours: 24,
  },
  {
    at: "2026-07-05T23:30:00Z",
    action: "CHANGE",
    specialty: "100",
    team: "B",
    status: "ACTIONED",
    closedAfterHours: 6,
  },
  {
    at: "2026-10-24T22:59:00Z",
    action: "CHANGE",
    specialty: "320",
    match: "MATCHED_BY_STAFF",
    team: "A",
    status: "REJECTED",
    closedAfterHours: 1,
    dueAfterHours: 24,
  },
  {
    at: "2026-10-24T23:30:00Z",
    action: "CANCEL",
    specialty: "320",
    team: "A",
    status: "ACTIONED",
    closedAfterHours: 4,
    dueAfterHours: 48,
  },
  { at: "2026-10-25T23:30:00Z", action: "CHANGE", specialty: null, match: "NEEDS_TRIAGE" },
  {
    at: "2026-10-26T00:00:00Z",
    action: "CANCEL",
    specialty: "320",
    match: "NEEDS_MATCHING",
    team: "A",
    status: "ASSIGNED",
    dueAt: "2026-10-27T00:00:00Z",
  },
  {
    at: "2026-12-31T23:59:00Z",
    action: "CANCEL",
    specialty: "100",
    team: "B",
    dueAt: "2027-01-05T09:00:00Z",
  },
  { at: "2027-01-01T00:00:00Z", action: "CANCEL", specialty: "100", team: "B" },
];

const SPECIALTY_NAMES = { "320": "Cardiology", "100": "General Surgery" } as const;

beforeAll(async () => {
  const prisma = db.current().prisma;
  const teamA = await prisma.team.create({ data: { name: "Cardiology bookings" } });
  const teamB = await prisma.team.create({ data: { name: "Surgery bookings" } });
  const teams = { A: teamA.id, B: teamB.id };
  for (const row of FIXTURE) {
    const receivedAt = new Date(row.at);
    await prisma.appointmentRequest.create({
      data: {
        grantId: randomUUID(),
        pkbMessageId: randomUUID(),
        patientPublicId: randomUUID(),
        action: row.action,
        rawSubject: `Request to ${row.action.toLowerCase()} appointment`,
        patientNote: "",
        receivedAt,
        matchState: row.match ?? (row.specialty ? "MATCHED" : "NEEDS_TRIAGE"),
        matchReason: "fixture",
        matchedSpecialtyCode: row.specialty,
        matchedSpecialtyDisplay: row.specialty ? SPECIALTY_NAMES[row.specialty] : null,
        teamId: row.team ? teams[row.team] : null,
        status: row.status ?? "NEW",
        closedAt:
          row.closedAfterHours === undefined
            ? null
            : new Date(receivedAt.getTime() + row.closedAfterHours * HOUR),
        dueAt: row.dueAt
          ? new Date(row.dueAt)
          : row.dueAfterHours === undefined
            ? null
            : new Date(receivedAt.getTime() + row.dueAfterHours * HOUR),
      },
    });
  }
});

const range = (
  from: string,
  to: string,
  granularity: ReportFilter["granularity"],
): ReportFilter => ({
  from,
  to,
  granularity,
});
const counts = (rows: Array<{ bucket: string; cancel: number; change: number; total: number }>) =>
  rows.map((row) => [row.bucket, row.cancel, row.change, row.total]);

describe("request volume over time, in UK local time", () => {
  it("buckets by UK month: BST evenings count on the next UK day, the range ends at UK midnight", async () => {
    const rows = await requestVolume(range("2026-06-30", "2026-12-31", "month"));
    expect(counts(rows)).toEqual([
      ["2026-06-01", 1, 1, 2], // 0b (00:00 BST on 30 Jun, 23:00 UTC on the 29th) and 1; not 0
      ["2026-07-01", 1, 2, 3], // 2 is 30 Jun in UTC but 1 Jul in the UK; 3, 4
      ["2026-08-01", 0, 0, 0],
      ["2026-09-01", 0, 0, 0],
      ["2026-10-01", 2, 2, 4], // 8, 5, 6, 7
      ["2026-11-01", 0, 0, 0],
      ["2026-12-01", 1, 0, 1], // 9 (23:59 GMT on 31 Dec); not 10
    ]);
    expect(rows[1]!.label).toBe("Jul 2026");
  });

  it("buckets by ISO week starting Monday at UK midnight", async () => {
    const rows = await requestVolume(range("2026-06-30", "2026-07-12", "week"));
    expect(counts(rows)).toEqual([
      ["2026-06-29", 2, 2, 4], // 0b, 1, 2 and 3 (Sun 5 Jul 23:30 BST)
      ["2026-07-06", 0, 1, 1], // 4: Sunday 23:30 UTC is Monday 00:30 BST
    ]);
    expect(rows[0]!.label).toBe("Week of 29 Jun 2026 (2026-W27)");
  });

  it("buckets by UK day across the October clock change (25 October has 25 hours)", async () => {
    const rows = await requestVolume(range("2026-10-24", "2026-10-26", "day"));
    expect(counts(rows)).toEqual([
      ["2026-10-24", 0, 1, 1], // 8
      ["2026-10-25", 1, 1, 2], // 5 (00:30 BST) and 6 (23:30 GMT)
      ["2026-10-26", 1, 0, 1], // 7 (00:00 GMT Monday)
    ]);
    const weeks = await requestVolume(range("2026-10-19", "2026-11-01", "week"));
    expect(counts(weeks)).toEqual([
      ["2026-10-19", 1, 2, 3],
      ["2026-10-26", 1, 0, 1],
    ]);
  });

  it("narrows to one specialty, or to requests with no matched specialty", async () => {
    const cardiology = await requestVolume(range("2026-06-30", "2026-12-31", "month"), "320");
    expect(counts(cardiology).filter(([, , , total]) => total !== 0)).toEqual([
      ["2026-06-01", 1, 0, 1],
      ["2026-07-01", 0, 1, 1],
      ["2026-10-01", 2, 1, 3],
    ]);
    const none = await requestVolume(range("2026-06-30", "2026-12-31", "month"), NO_SPECIALTY);
    expect(counts(none).filter(([, , , total]) => total !== 0)).toEqual([["2026-10-01", 0, 1, 1]]);
  });

  it("totals each specialty over the range, busiest first", async () => {
    expect(await volumeBySpecialty(range("2026-06-30", "2026-12-31", "month"))).toEqual([
      { specialty: "320", label: "Cardiology (320)", cancel: 3, change: 2, total: 5 },
      { specialty: "100", label: "General Surgery (100)", cancel: 2, change: 2, total: 4 },
      {
        specialty: NO_SPECIALTY,
        label: "No specialty (not matched)",
        cancel: 0,
        change: 1,
        total: 1,
      },
    ]);
  });
});

describe("time to action, SLA met and unmatched share", () => {
  it("gives p50 and p90 of elapsed hours per team (percentile_cont)", async () => {
    const rows = await timeToAction(range("2026-06-30", "2026-12-31", "month"));
    expect(rows.map(({ teamId: _id, ...row }) => row)).toEqual([
      // 2, 4 (00:30 BST → 03:30 GMT: 4 hours elapsed, 3 on the wall clock), 10
      { team: "Cardiology bookings", actioned: 3, p50Hours: 4, p90Hours: 8.8 },
      // 6 and 30: p50 = 18, p90 = 6 + 0.9 × 24 = 27.6
      { team: "Surgery bookings", actioned: 2, p50Hours: 18, p90Hours: 27.6 },
      { team: "Unrouted queue", actioned: 1, p50Hours: 1, p90Hours: 1 },
    ]);
  });

  it("counts SLA met, missed (late or open past due) and pending per team", async () => {
    const rows = await slaMet(range("2026-06-30", "2026-12-31", "month"), SLA_AS_OF);
    expect(rows.map(({ teamId: _id, ...row }) => row)).toEqual([
      // met 1, 8 (rejected in time), 5; missed 2 (late), 7 (open past due)
      { team: "Cardiology bookings", met: 3, missed: 2, pending: 0, metPercent: 60 },
      // missed 3; 9 still open before its deadline; 4 has no deadline
      { team: "Surgery bookings", met: 0, missed: 1, pending: 1, metPercent: 0 },
    ]);
  });

  it("gives the unmatched-on-receipt share per bucket and over the range", async () => {
    const rows = await unmatchedShare(range("2026-06-30", "2026-12-31", "month"));
    expect(
      rows.map((row) => [row.bucket, row.received, row.unmatched, row.unmatchedPercent]),
    ).toEqual([
      ["2026-06-01", 2, 0, 0],
      ["2026-07-01", 3, 0, 0],
      ["2026-08-01", 0, 0, null],
      ["2026-09-01", 0, 0, null],
      ["2026-10-01", 4, 3, 75], // 8 (matched by staff), 6 (triage), 7 (needs matching)
      ["2026-11-01", 0, 0, null],
      ["2026-12-01", 1, 0, 0],
      ["total", 10, 3, 30],
    ]);
  });
});

describe("the report filter", () => {
  it("accepts an inclusive range of real UK dates", () => {
    expect(
      ReportFilterSchema.parse({ from: "2026-10-25", to: "2026-10-25", granularity: "day" }),
    ).toEqual({
      from: "2026-10-25",
      to: "2026-10-25",
      granularity: "day",
    });
  });

  it.each([
    [{ from: "2026-02-30", to: "2026-03-01", granularity: "day" }, "from", "Enter a real date"],
    [
      { from: "01/03/2026", to: "2026-03-01", granularity: "day" },
      "from",
      "Enter the date as YYYY-MM-DD, for example 2026-03-01",
    ],
    [
      { from: "2026-03-02", to: "2026-03-01", granularity: "day" },
      "to",
      "The end date must be on or after the start date",
    ],
    [
      { from: "2020-01-01", to: "2026-03-01", granularity: "month" },
      "from",
      "Choose a range of 5 years or less",
    ],
    [
      { from: "2025-01-01", to: "2026-03-01", granularity: "day" },
      "granularity",
      "Daily buckets are for ranges of a year or less: choose week or month",
    ],
    [
      { from: "2026-01-01", to: "2026-03-01", granularity: "hour" },
      "granularity",
      "Choose day, week or month",
    ],
  ])("refuses %j with a message on %s", (input, field, message) => {
    const parsed = parseReportFilter(new URLSearchParams(input), new Date("2026-11-23T12:00:00Z"));
    expect(parsed.errors?.[field]).toBe(message);
  });

  it("keeps what was typed in a refused range, to show it again beside the message", () => {
    const parsed = parseReportFilter(
      new URLSearchParams({ from: "2026-11-01", to: "2026-10-01", granularity: "week" }),
      new Date("2026-11-23T12:00:00Z"),
    );
    expect(parsed).toEqual({
      filter: { from: "2026-11-01", to: "2026-10-01", granularity: "week" },
      errors: { to: "The end date must be on or after the start date" },
    });
  });

  it("defaults to the last 90 UK days, in weeks", () => {
    // 23:30 UTC on 31 May is 1 June in the UK
    expect(parseReportFilter(new URLSearchParams(), new Date("2026-05-31T23:30:00Z"))).toEqual({
      filter: { from: "2026-03-04", to: "2026-06-01", granularity: "week" },
      errors: null,
    });
  });
});

describe("the daily rollup the volume reports read", () => {
  /** The rollup as it should be: a scan of the requests, grouped the same way. */
  async function fromRequests() {
    return db.current().prisma.$queryRaw<Array<Record<string, unknown>>>`
      SELECT to_char((("receivedAt" AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/London')::date, 'YYYY-MM-DD') AS day,
             coalesce("matchedSpecialtyCode", '') AS code, coalesce("matchedSpecialtyDisplay", '') AS display,
             "action"::text AS action,
             "matchState" IN ('NEEDS_MATCHING', 'NEEDS_TRIAGE', 'MATCHED_BY_STAFF') AS unmatched,
             count(*)::int AS requests
        FROM "AppointmentRequest" GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`;
  }
  async function rollup() {
    return db.current().prisma.$queryRaw<Array<Record<string, unknown>>>`
      SELECT to_char("day", 'YYYY-MM-DD') AS day, "specialtyCode" AS code, "specialtyDisplay" AS display,
             "action"::text AS action, "unmatchedOnReceipt" AS unmatched, "requests"
        FROM "RequestDailyVolume" WHERE "requests" <> 0 ORDER BY 1, 2, 3, 4, 5`;
  }

  it("matches a scan of the requests after inserts, a pick, a close, a bulk insert and a delete", async () => {
    const prisma = db.current().prisma;
    expect(await rollup()).toEqual(await fromRequests());
    // Staff pick the appointment for the triage request: it moves from "no specialty" to 320.
    const triage = await prisma.appointmentRequest.findFirstOrThrow({
      where: { matchState: "NEEDS_TRIAGE" },
    });
    await prisma.appointmentRequest.update({
      where: { id: triage.id },
      data: {
        matchState: "MATCHED_BY_STAFF",
        matchedSpecialtyCode: "320",
        matchedSpecialtyDisplay: "Cardiology",
      },
    });
    // A lifecycle write that moves nothing between groups.
    await prisma.appointmentRequest.updateMany({
      where: { status: "NEW" },
      data: { status: "ASSIGNED" },
    });
    // A bulk insert, as the sync writes a page.
    await prisma.$executeRaw`
      INSERT INTO "AppointmentRequest" ("id", "grantId", "pkbMessageId", "patientPublicId", "action",
        "rawSubject", "patientNote", "receivedAt", "matchState", "matchReason", "updatedAt")
      SELECT gen_random_uuid(), gen_random_uuid(), 'bulk-' || g, 'p', 'CANCEL', 's', '',
             timestamp '2026-03-29 00:30' + g * interval '10 minutes', 'NEEDS_MATCHING', 'bulk', now()
        FROM generate_series(1, 12) AS g`;
    expect(await rollup()).toEqual(await fromRequests());
    // The bulk rows straddle the March change (01:00 UTC on 29 March): all on UK 29 March.
    const march = await requestVolume(range("2026-03-29", "2026-03-29", "day"), NO_SPECIALTY);
    expect(counts(march)).toEqual([["2026-03-29", 12, 0, 12]]);
    await prisma.appointmentRequest.deleteMany({ where: { matchReason: "bulk" } });
    expect(await rollup()).toEqual(await fromRequests());
  });
});
