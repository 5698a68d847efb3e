import { createPglite } from "./pglite.server.ts";
import { describe, expect, it } from "vitest";
import { createTestDatabase } from "../../tests/support/database.ts";
import { migrate, MigrationError, migrationsUpToDate, readMigrations } from "./migrator.server.ts";
import { pgliteRunner } from "./sql-runner.server.ts";

describe("migrator", () => {
  it("is idempotent: a second run applies nothing and the records match Prisma's format", async () => {
    const database = await createTestDatabase();
    try {
      const files = await readMigrations();
      const second = await migrate(database.sql, files);
      expect(second.applied).toEqual([]);
      expect(second.alreadyApplied).toEqual(files.map((file) => file.name));
      const rows = await database.sql.query<{
        migration_name: string;
        checksum: string;
        applied_steps_count: number;
        finished_at: Date | null;
      }>(
        `SELECT migration_name, checksum, applied_steps_count, finished_at FROM "_prisma_migrations" ORDER BY migration_name`,
      );
      expect(rows.map((row) => row.migration_name)).toEqual(files.map((file) => file.name));
      for (const [index, row] of rows.entries()) {
        expect(row.checksum).toBe(files[index]!.checksum);
        expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
        expect(row.finished_at).not.toBeNull();
      }
      expect(await migrationsUpToDate(database.sql, files)).toBe(true);
    } finally {
      await database.close();
    }
  });

  it("refuses a migration edited after it was applied", async () => {
    const database = await createTestDatabase();
    try {
      const files = await readMigrations();
      const edited = files.map((file, index) =>
        index === 0 ? { ...file, checksum: "0".repeat(64) } : file,
      );
      await expect(migrate(database.sql, edited)).rejects.toThrow(MigrationError);
      await expect(migrate(database.sql, edited)).rejects.toThrow(/edited after it was applied/);
    } finally {
      await database.close();
    }
  });

  it("refuses, before changing anything, a database that is ahead of this build", async () => {
    const pglite = await createPglite();
    try {
      const runner = pgliteRunner(pglite);
      const first = {
        name: "20990101000000_a",
        sql: `CREATE TABLE "a" (id int);`,
        checksum: "a".repeat(64),
      };
      const second = {
        name: "20990102000000_b",
        sql: `CREATE TABLE "b" (id int);`,
        checksum: "b".repeat(64),
      };
      await migrate(runner, [first, second]);
      const olderBuild = {
        name: "20990103000000_c",
        sql: `CREATE TABLE "c" (id int);`,
        checksum: "c".repeat(64),
      };
      await expect(migrate(runner, [first, olderBuild])).rejects.toThrow(
        /does not know: 20990102000000_b/,
      );
      const tables = await runner.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'c'`,
      );
      expect(tables[0]?.n).toBe(0);
    } finally {
      await pglite.close();
    }
  });

  it("leaves no trace of a migration that fails part-way", async () => {
    const pglite = await createPglite();
    try {
      const runner = pgliteRunner(pglite);
      const broken = {
        name: "20990101000000_broken",
        sql: `CREATE TABLE "half" (id int); SELECT * FROM "no_such_table";`,
        checksum: "a".repeat(64),
      };
      await expect(migrate(runner, [broken])).rejects.toThrow(/no_such_table/);
      const tables = await runner.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'half'`,
      );
      expect(tables[0]?.n).toBe(0);
      const recorded = await runner.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "_prisma_migrations"`,
      );
      expect(recorded[0]?.n).toBe(0);
      expect(await migrationsUpToDate(runner, [broken])).toBe(false);
    } finally {
      await pglite.close();
    }
  });
});
