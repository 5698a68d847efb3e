import { execFileSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { createPglite } from "./pglite.server.ts";
import { describe, expect, it } from "vitest";
import { migrate } from "./migrator.server.ts";
import type { SqlRunner } from "./sql-runner.server.ts";
import { pgliteRunner } from "./sql-runner.server.ts";

/**
 * The migrations and schema.prisma must describe the same database. We build one database from
 * the migrations (the test template) and one from the SQL Prisma writes for schema.prisma from
 * nothing, and compare their catalogues: tables, columns, types, defaults, nullability, indexes,
 * constraints and enums. Triggers are hand-written in migrations and not compared; so are the
 * worklist's partial indexes ("AppointmentRequest_wl_*", which Prisma's schema cannot state): they
 * are compared against the list below instead (docs/decisions/0011).
 */
const HAND_WRITTEN_INDEXES = [
  "AppointmentRequest_wl_assignee_due",
  "AppointmentRequest_wl_assignee_received",
  "AppointmentRequest_wl_assignee_team",
  "AppointmentRequest_wl_counts",
  "AppointmentRequest_wl_identifier",
  "AppointmentRequest_wl_name_closed",
  "AppointmentRequest_wl_name_open",
  "AppointmentRequest_wl_team_appointment",
  "AppointmentRequest_wl_team_closed",
  "AppointmentRequest_wl_team_due",
  "AppointmentRequest_wl_team_received",
];
const isHandWritten = (row: Record<string, unknown>) =>
  HAND_WRITTEN_INDEXES.includes(String(row.indexname));

async function catalogue(sql: SqlRunner) {
  const columns = await sql.query(
    `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default
       FROM information_schema.columns WHERE table_schema = 'public' AND table_name <> '_prisma_migrations'
      ORDER BY table_name, column_name`,
  );
  const indexes = await sql.query(
    `SELECT tablename, indexname, indexdef FROM pg_indexes
      WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY indexname`,
  );
  const constraints = await sql.query(
    `SELECT conrelid::regclass::text AS table_name, conname, pg_get_constraintdef(oid) AS definition
       FROM pg_constraint WHERE connamespace = 'public'::regnamespace
        AND conrelid::regclass::text NOT IN ('_prisma_migrations', '"_prisma_migrations"')
      ORDER BY conname`,
  );
  const enums = await sql.query(
    `SELECT t.typname, string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS labels
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
       JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname = 'public'
      GROUP BY t.typname ORDER BY t.typname`,
  );
  return { columns, indexes, constraints, enums };
}

describe("schema.prisma and prisma/migrations", () => {
  it("describe the same database (drift check)", { timeout: 120_000 }, async () => {
    const expectedSql = execFileSync(
      process.execPath,
      [
        path.resolve("tools/prisma-migrate/diff.mjs"),
        "--empty",
        path.resolve("prisma/schema.prisma"),
      ],
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 },
    );
    // Both on the same engine, so only the schema can differ.
    const fromSchema = await createPglite();
    const fromMigrations = await createPglite();
    try {
      await fromSchema.exec(expectedSql);
      await migrate(pgliteRunner(fromMigrations));
      const migrated = await catalogue(pgliteRunner(fromMigrations));
      const handWritten = migrated.indexes.filter(isHandWritten);
      expect(handWritten.map((row) => row.indexname)).toEqual(HAND_WRITTEN_INDEXES);
      for (const row of handWritten) expect(String(row.indexdef)).toContain(" WHERE ");
      expect({
        ...migrated,
        indexes: migrated.indexes.filter((row) => !isHandWritten(row)),
      }).toEqual(await catalogue(pgliteRunner(fromSchema)));
    } finally {
      await fromSchema.close();
      await fromMigrations.close();
    }
  });

  it("keeps the snapshot the next migration is diffed from in step with the schema", async () => {
    const [schema, snapshot] = await Promise.all([
      readFile("prisma/schema.prisma", "utf8"),
      readFile("prisma/schema.migrated.prisma", "utf8"),
    ]);
    expect(snapshot, "run npm run db:migration -- <name> after changing schema.prisma").toBe(
      schema,
    );
  });
});
