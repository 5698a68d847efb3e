import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { openDatabase } from "~/platform/db.server.ts";
import { hashSetupToken } from "~/modules/auth/users.server.ts";

const run = promisify(execFile);

function script(name: string, args: string[], env: Record<string, string>) {
  return run(process.execPath, ["--import", "tsx", `scripts/${name}`, ...args], {
    env: { ...process.env, LOG_LEVEL: "silent", ...env },
  });
}

describe("npm run create-admin", () => {
  it(
    "creates the first administrator and prints a working one-time set-password link",
    { timeout: 60_000 },
    async () => {
      const dir = await mkdtemp(path.join(tmpdir(), "pkbdesk-admin-"));
      try {
        const dataDir = path.join(dir, "pglite");
        const { stdout } = await script(
          "create-admin.ts",
          [
            "--email",
            "First.Admin@Trust.nhs.uk",
            "--name",
            "First Admin",
            "--origin",
            "https://pkbdesk.example.nhs.uk",
          ],
          { PGLITE_DATA_DIR: dataDir },
        );
        const link = /https:\/\/pkbdesk\.example\.nhs\.uk\/set-password\/([A-Za-z0-9_-]{43})/.exec(
          stdout,
        );
        expect(link, stdout).not.toBeNull();
        const database = await openDatabase({ dataDir });
        try {
          const user = await database.prisma.user.findUniqueOrThrow({
            where: { email: "first.admin@trust.nhs.uk" },
          });
          expect(user.role).toBe("ADMIN");
          expect(user.passwordHash).toBeNull();
          const token = await database.prisma.passwordSetupToken.findUnique({
            where: { tokenHash: hashSetupToken(link![1]!) },
          });
          expect(token?.userId).toBe(user.id);
          expect(token?.usedAt).toBeNull();
        } finally {
          await database.close();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it("explains its usage when a flag is missing", async () => {
    const failure = await script("create-admin.ts", ["--email", "x@nhs.net"], {}).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toContain("usage: npm run create-admin");
  });
});

describe("npm run worker", () => {
  it("refuses to run on the embedded database, saying why", async () => {
    const failure = await run(process.execPath, ["--import", "tsx", "server/worker.ts"], {
      env: { ...process.env, DATABASE_URL: "" },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toContain("npm run worker needs PostgreSQL");
  });
});
