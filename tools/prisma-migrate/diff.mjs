// Prints the SQL that turns one Prisma datamodel into another, without Prisma's native schema
// engine (which these machines cannot download). Prisma 6.19's WASM engine needs a database
// connection even for a datamodel-to-datamodel diff, so we give it a throwaway in-memory PGlite
// behind a local socket. Usage: node diff.mjs <from.prisma | --empty> <to.prisma>
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

const here = dirname(fileURLToPath(import.meta.url));
const [from, to] = process.argv.slice(2);
if (!from || !to) {
  console.error("usage: node diff.mjs <from.prisma | --empty> <to.prisma>");
  process.exit(2);
}

// Prisma 6 wants `url` in the datasource block; Prisma 7 forbids it. Add it to temp copies.
const withUrl = (schema) =>
  schema.replace(/datasource\s+db\s*\{/, (m) => `${m}\n  url = env("DATABASE_URL")`);

const work = await mkdtemp(join(tmpdir(), "pkbdesk-migrate-"));
const db = await PGlite.create();
const server = new PGLiteSocketServer({ db, port: 0, host: "127.0.0.1" });
await server.start();
const port = server.server?.address()?.port ?? server.port;
try {
  const toPath = join(work, "to.prisma");
  await writeFile(toPath, withUrl(await readFile(resolve(to), "utf8")));
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  // Prisma 6's WASM engine refuses --from-migrations (it cannot reach a shadow database through
  // an adapter), so the starting point is a datamodel: the snapshot the last migration was
  // written from (prisma/schema.migrated.prisma), or nothing.
  const fromArgs =
    from === "--empty" ? ["--from-empty"] : ["--from-schema-datamodel", join(work, "from.prisma")];
  if (from !== "--empty") {
    await writeFile(join(work, "from.prisma"), withUrl(await readFile(resolve(from), "utf8")));
  }
  await writeFile(
    join(work, "prisma.config.mjs"),
    `import { PrismaPg } from ${JSON.stringify(join(here, "node_modules/@prisma/adapter-pg/dist/index.mjs"))};
export default {
  experimental: { adapter: true },
  engine: "js",
  schema: ${JSON.stringify(toPath)},
  async adapter() { return new PrismaPg({ connectionString: ${JSON.stringify(url)} }); },
};
`,
  );
  const sql = await new Promise((resolve, reject) => {
    execFile(
      join(here, "node_modules/.bin/prisma"),
      [
        "migrate",
        "diff",
        ...fromArgs,
        "--to-schema-datamodel",
        toPath,
        "--script",
        "--config",
        join(work, "prisma.config.mjs"),
      ],
      {
        cwd: work,
        env: {
          ...process.env,
          DATABASE_URL: url,
          PRISMA_SCHEMA_ENGINE_BINARY: "/bin/false",
          PRISMA_QUERY_ENGINE_LIBRARY: "/bin/false",
          PRISMA_HIDE_UPDATE_MESSAGE: "1",
        },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
  process.stdout.write(sql);
} finally {
  await server.stop();
  await db.close();
  await rm(work, { recursive: true, force: true });
}
