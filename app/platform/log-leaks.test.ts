import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { handleError } from "~/entry.server.tsx";
import { attemptLogin } from "~/modules/auth/login.server.ts";
import { createUser, setPasswordWithLink } from "~/modules/auth/users.server.ts";
import { withTestDatabase } from "../../tests/support/database.ts";
import { signedInAs } from "../../tests/support/requests.ts";
import { createLogger, getLogger, setLogger } from "./logger.server.ts";

/**
 * Runs account flows (including failures and an unhandled error on a secret-bearing URL) with a
 * capturing logger at debug level, then searches the captured output for every seeded secret and
 * personal detail.
 */
withTestDatabase();

const captured: string[] = [];
const previous = getLogger();
setLogger(
  createLogger({
    level: "debug",
    destination: new Writable({
      write(chunk: Buffer, _encoding, done) {
        captured.push(chunk.toString());
        done();
      },
    }),
  }),
);
afterAll(() => setLogger(previous));

describe("logs", () => {
  it("contain none of the seeded secrets or personal data", async () => {
    const admin = await signedInAs("ADMIN");
    const seeded = {
      email: "leak.check@test.nhs.uk",
      displayName: "Lorna Leakcheck",
      password: "lorna's secret passphrase",
    };
    const { setupToken } = await createUser(
      { email: seeded.email, displayName: seeded.displayName, role: "VIEWER", teamIds: [] },
      { actor: { id: admin.userId, label: admin.email }, clientAddress: "198.51.100.7" },
    );
    await setPasswordWithLink(setupToken, seeded.password, { clientAddress: "198.51.100.7" });
    await attemptLogin({
      email: seeded.email,
      password: "wrong guess",
      clientAddress: "198.51.100.7",
      userAgent: null,
    });
    await attemptLogin({
      email: seeded.email,
      password: seeded.password,
      clientAddress: "198.51.100.7",
      userAgent: null,
    });
    // A careless call site that logs a whole object is caught by redaction.
    getLogger().info(
      { user: { email: seeded.email, displayName: seeded.displayName, password: seeded.password } },
      "careless",
    );
    handleError(new Error("boom"), {
      request: new Request(`http://localhost/set-password/${setupToken}`),
    });

    const output = captured.join("");
    expect(output).toContain("careless");
    expect(output).toContain("/set-password/:redacted");
    for (const value of [
      seeded.email,
      seeded.displayName,
      seeded.password,
      setupToken,
      admin.email,
    ]) {
      expect(output, `logs contain ${value}`).not.toContain(value);
    }
  });
});
