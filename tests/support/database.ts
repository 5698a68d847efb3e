import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createPglite } from "../../app/platform/pglite.server.ts";
import pg from "pg";
import { afterAll, beforeAll, inject } from "vitest";
import { openDatabase, setDatabase, type Database } from "~/platform/db.server.ts";
import { withDatabase } from "./global-setup.ts";

/**
 * A fresh, migrated database for one test file: a clone of the run's template, on PostgreSQL
 * when TEST_DATABASE_URL is set (npm run test:postgres) and on embedded PGlite otherwise.
 */
export async function createTestDatabase(): Promise<Database> {
  const url = process.env.TEST_DATABASE_URL;
  const template = inject("postgresTemplate");
  if (url && template) {
    const name = `pkbdesk_test_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    await admin.end();
    const database = await openDatabase({
      connectionString: withDatabase(url, name),
      skipMigrations: true,
    });
    return {
      ...database,
      async close() {
        await database.close();
        const dropper = new pg.Client({ connectionString: url });
        await dropper.connect();
        // Connections still closing (a stopped job runtime's pool) get up to 5 s to go on their
        // own: a forced drop terminates them, and a client that is mid-close reports that as an
        // error nobody listens for any more, failing the run after every test passed.
        for (let waited = 0; waited < 5_000; waited += 100) {
          const { rows } = await dropper.query<{ open: number }>(
            "SELECT count(*)::int AS open FROM pg_stat_activity WHERE datname = $1",
            [name],
          );
          if (rows[0]!.open === 0) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await dropper.end();
      },
    };
  }
  const dump = await readFile(inject("pgliteTemplatePath"));
  const pglite = await createPglite({ loadDataDir: new Blob([dump]) });
  return openDatabase({ pglite, skipMigrations: true });
}

/** Installs a fresh database as the process database for the duration of a test file. */
export function withTestDatabase(): { current: () => Database } {
  let database: Database | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    setDatabase(database);
  });
  afterAll(async () => {
    setDatabase(undefined);
    await database?.close();
  });
  return {
    current() {
      if (!database) throw new Error("test database not ready: call inside a test or hook");
      return database;
    },
  };
}
