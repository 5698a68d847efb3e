import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { prisma } from "~/platform/db.server.ts";
import { updateUserAccess } from "../auth/users.server.ts";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { signedInAs } from "../../../tests/support/requests.ts";
import { recordAudit } from "./audit.server.ts";

withTestDatabase();

describe("audit trail", () => {
  it("is written in the change's transaction: a failed change leaves no audit row", async () => {
    const admin = await signedInAs("ADMIN");
    const target = await signedInAs("VIEWER");
    const db = await prisma();
    // A team id that does not exist makes the membership insert fail after the role update.
    await expect(
      updateUserAccess(
        target.userId,
        { role: "TEAM_LEAD", teamIds: [randomUUID()], displayName: "Renamed" },
        { actor: { id: admin.userId, label: admin.email }, clientAddress: "127.0.0.1" },
      ),
    ).rejects.toThrow();
    const user = await db.user.findUniqueOrThrow({ where: { id: target.userId } });
    expect(user.role).toBe("VIEWER");
    expect(user.displayName).not.toBe("Renamed");
    expect(
      await db.auditEvent.count({
        where: { action: "user.update-access", entityId: target.userId },
      }),
    ).toBe(0);

    // The same call with a valid team commits both the change and its audit row.
    const team = await db.team.create({ data: { name: "Audit team" } });
    await updateUserAccess(
      target.userId,
      { role: "TEAM_LEAD", teamIds: [team.id], displayName: "Renamed" },
      { actor: { id: admin.userId, label: admin.email }, clientAddress: "127.0.0.1" },
    );
    const rows = await db.auditEvent.findMany({
      where: { action: "user.update-access", entityId: target.userId },
    });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      actorId: admin.userId,
      clientAddress: "127.0.0.1",
      entityType: "user",
    });
    expect(rows[0]!.details).toMatchObject({ role: "TEAM_LEAD", previousRole: "VIEWER" });
  });

  it("is append-only: the database refuses UPDATE, DELETE and TRUNCATE", async () => {
    const db = await prisma();
    await db.$transaction((tx) =>
      recordAudit(tx, {
        actor: { id: null, label: "system" },
        action: "test.append-only",
        entityType: "test",
      }),
    );
    const row = await db.auditEvent.findFirstOrThrow({ where: { action: "test.append-only" } });
    await expect(
      db.auditEvent.update({ where: { id: row.id }, data: { action: "tampered" } }),
    ).rejects.toThrow(/append-only/);
    await expect(db.auditEvent.delete({ where: { id: row.id } })).rejects.toThrow(/append-only/);
    await expect(db.$executeRawUnsafe(`TRUNCATE "AuditEvent"`)).rejects.toThrow(/append-only/);
    expect(await db.auditEvent.count({ where: { action: "test.append-only" } })).toBe(1);
  });
});
