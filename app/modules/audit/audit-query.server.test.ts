import { describe, expect, it } from "vitest";
import { prisma } from "~/platform/db.server.ts";
import { loader as exportLoader } from "~/routes/_shell.admin.audit.export[.csv].ts";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { get, signedInAs } from "../../../tests/support/requests.ts";
import { auditPage, AUDIT_PAGE_SIZE, AuditFilterSchema } from "./audit-query.server.ts";

withTestDatabase();

describe("audit queries", () => {
  it("pages newest-first by keyset without gaps or repeats, even with identical timestamps", async () => {
    const db = await prisma();
    const at = new Date("2026-03-29T00:30:00Z");
    await db.auditEvent.createMany({
      data: Array.from({ length: 130 }, (_, index) => ({
        occurredAt: index < 60 ? at : new Date(at.getTime() + index * 1000),
        actorLabel: "pager@test.nhs.uk",
        action: "test.page",
        entityType: "test",
        entityId: String(index),
      })),
    });
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await auditPage(AuditFilterSchema.parse({ action: "test.page", after }));
      seen.push(...page.rows.map((row) => row.entityId!));
      expect(page.rows.length).toBeLessThanOrEqual(AUDIT_PAGE_SIZE);
      after = page.nextCursor ?? undefined;
      pages += 1;
    } while (after);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(130);
    expect(seen.slice(0, 3)).toEqual(["129", "128", "127"]);
  });

  it("filters by UK calendar day across the clocks-change night", async () => {
    const db = await prisma();
    // 29 March 2026: clocks go forward at 01:00 GMT. 23:30 GMT on the 28th is still the 28th in the UK;
    // 23:30 UTC on the 29th is 00:30 BST on the 30th.
    await db.auditEvent.createMany({
      data: [
        {
          occurredAt: new Date("2026-03-28T23:30:00Z"),
          actorLabel: "a",
          action: "test.day",
          entityType: "t",
          entityId: "28th",
        },
        {
          occurredAt: new Date("2026-03-29T12:00:00Z"),
          actorLabel: "a",
          action: "test.day",
          entityType: "t",
          entityId: "29th",
        },
        {
          occurredAt: new Date("2026-03-29T23:30:00Z"),
          actorLabel: "a",
          action: "test.day",
          entityType: "t",
          entityId: "30th",
        },
      ],
    });
    const page = await auditPage(
      AuditFilterSchema.parse({ action: "test.day", from: "2026-03-29", to: "2026-03-29" }),
    );
    expect(page.rows.map((row) => row.entityId)).toEqual(["29th"]);
    // In summer time a UK day starts at 23:00 UTC the evening before.
    await db.auditEvent.createMany({
      data: [
        {
          occurredAt: new Date("2026-07-14T22:59:00Z"),
          actorLabel: "a",
          action: "test.summer",
          entityType: "t",
          entityId: "14th",
        },
        {
          occurredAt: new Date("2026-07-14T23:01:00Z"),
          actorLabel: "a",
          action: "test.summer",
          entityType: "t",
          entityId: "15th-early",
        },
        {
          occurredAt: new Date("2026-07-15T22:59:00Z"),
          actorLabel: "a",
          action: "test.summer",
          entityType: "t",
          entityId: "15th-late",
        },
        {
          occurredAt: new Date("2026-07-15T23:01:00Z"),
          actorLabel: "a",
          action: "test.summer",
          entityType: "t",
          entityId: "16th",
        },
      ],
    });
    const summer = await auditPage(
      AuditFilterSchema.parse({ action: "test.summer", from: "2026-07-15", to: "2026-07-15" }),
    );
    expect(summer.rows.map((row) => row.entityId)).toEqual(["15th-late", "15th-early"]);
  });

  it("streams an export larger than one batch, in order, with the header once", async () => {
    const admin = await signedInAs("ADMIN");
    const db = await prisma();
    await db.auditEvent.createMany({
      data: Array.from({ length: 1234 }, (_, index) => ({
        occurredAt: new Date(Date.UTC(2026, 0, 1) + index * 1000),
        actorLabel: "streamer",
        action: "test.stream",
        entityType: "test",
        entityId: String(index),
      })),
    });
    const response = (await exportLoader({
      request: get("/admin/audit/export.csv?action=test.stream", admin),
      params: {},
      context: {},
    })) as Response;
    const lines = (await response.text()).trim().split("\r\n");
    expect(lines).toHaveLength(1235);
    expect(lines.filter((line) => line.startsWith("id,"))).toHaveLength(1);
    expect(lines[1]).toContain(",test.stream,test,1233,");
    expect(lines.at(-1)).toContain(",test.stream,test,0,");
  });

  it("exports formula-safe CSV and audits the export itself", async () => {
    const admin = await signedInAs("ADMIN");
    const db = await prisma();
    await db.auditEvent.create({
      data: {
        actorLabel: '=HYPERLINK("http://evil")',
        action: "test.export",
        entityType: "test",
        entityId: "+44",
      },
    });
    const response = (await exportLoader({
      request: get("/admin/audit/export.csv?action=test.export", admin),
      params: {},
      context: {},
    })) as Response;
    expect(response.headers.get("Content-Type")).toContain("text/csv");
    const csv = await response.text();
    const lines = csv.trim().split("\r\n");
    expect(lines[0]).toBe(
      "id,occurred_at_utc,actor,action,entity_type,entity_id,client_address,details",
    );
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(lines[1]).toContain(",'+44,");
    expect(
      await db.auditEvent.count({ where: { action: "audit.export", actorId: admin.userId } }),
    ).toBe(1);
  });
});
