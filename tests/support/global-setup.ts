import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createPglite } from "../../app/platform/pglite.server.ts";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { migrate, readMigrations } from "../../app/platform/migrator.server.ts";
import { clientRunner, pgliteRunner } from "../../app/platform/sql-runner.server.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** PGlite: a migrated data directory dump every test file loads instead of running initdb. */
    pgliteTemplatePath: string;
    /** PostgreSQL: the migrated template database test files clone, when TEST_DATABASE_URL is set. */
    postgresTemplate: string;
  }
}

/**
 * Migrates one template database for the whole run, so no test file pays PGlite's
 * multi-second initdb or re-runs migrations: each file clones the template.
 */
export default async function setup(project: TestProject) {
  const migrations = await readMigrations(path.resolve("prisma/migrations"));
  const cleanups: Array<() => Promise<void>> = [];

  const dir = await mkdtemp(path.join(tmpdir(), "pkbdesk-test-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const pglite = await createPglite();
  await migrate(pgliteRunner(pglite), migrations);
  const dump = await pglite.dumpDataDir("none");
  await pglite.close();
  const templatePath = path.join(dir, "template.tar");
  await writeFile(templatePath, Buffer.from(await dump.arrayBuffer()));
  project.provide("pgliteTemplatePath", templatePath);

  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const template = `pkbdesk_template_${process.pid}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${template}`);
    await admin.query(`CREATE DATABASE ${template}`);
    const templateClient = new pg.Client({ connectionString: withDatabase(url, template) });
    await templateClient.connect();
    await migrate(clientRunner(templateClient), migrations);
    await templateClient.end();
    project.provide("postgresTemplate", template);
    cleanups.push(async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
      await admin.end();
    });
  } else {
    project.provide("postgresTemplate", "");
  }

  return async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
