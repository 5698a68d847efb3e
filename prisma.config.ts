import { defineConfig } from "prisma/config";

// The Prisma CLI is used only for `generate` here: migrations are applied by the app's own
// migrator (docs/decisions/0003-migrations-without-prisma-engine.md).
export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
});
