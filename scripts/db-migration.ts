import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

/**
 * `npm run db:migration -- <name>`: writes the next migration's SQL from the change to
 * prisma/schema.prisma, offline (docs/decisions/0003). The starting point is
 * prisma/schema.migrated.prisma, the schema the previous migration was written from.
 */
const name = process.argv[2];
if (!name || !/^[a-z0-9_]+$/.test(name)) {
  console.error("usage: npm run db:migration -- <name>   (lower-case letters, digits and _)");
  process.exit(2);
}
const schema = path.resolve("prisma/schema.prisma");
const snapshot = path.resolve("prisma/schema.migrated.prisma");
const tool = path.resolve("tools/prisma-migrate/diff.mjs");
if (!existsSync(path.resolve("tools/prisma-migrate/node_modules/prisma"))) {
  console.error(
    "The offline migration tool is not installed: run npm ci (it installs tools/prisma-migrate).",
  );
  process.exit(1);
}
const sql = execFileSync(
  process.execPath,
  [tool, existsSync(snapshot) ? snapshot : "--empty", schema],
  {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  },
);
if (sql.includes("This is an empty migration")) {
  console.log("schema.prisma has no changes since the last migration: nothing written.");
  process.exit(0);
}
const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const dir = path.resolve("prisma/migrations", `${stamp}_${name}`);
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, "migration.sql"), sql);
copyFileSync(schema, snapshot);
console.log(
  `Wrote ${path.relative(process.cwd(), dir)}/migration.sql — read it, add anything Prisma cannot express (triggers), then commit it with the schema.`,
);
