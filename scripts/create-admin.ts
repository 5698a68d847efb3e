import { parseArgs } from "node:util";
import { closeDatabase, getDatabase } from "../app/platform/db.server.ts";
import { ConfigError, getEnv } from "../app/platform/env.server.ts";
import { upsertStaffAccount } from "../app/modules/auth/staff-seed.server.ts";
import { issueSetupLink } from "../app/modules/auth/users.server.ts";
import { SYSTEM_ACTOR } from "../app/modules/audit/audit.server.ts";

/**
 * `npm run create-admin -- --email a@nhs.net --name "A Person"`: the first administrator of a
 * production installation. Prints a one-time set-password link; no password ever passes through
 * the command line. On the embedded database, stop the portal first (PGlite is single-process).
 */
const { values } = parseArgs({
  options: { email: { type: "string" }, name: { type: "string" }, origin: { type: "string" } },
});
if (!values.email || !values.name) {
  console.error(
    'usage: npm run create-admin -- --email someone@nhs.net --name "Full Name" [--origin https://pkbdesk.trust.nhs.uk]',
  );
  process.exit(2);
}
try {
  const env = getEnv();
  const database = await getDatabase();
  const userId = await upsertStaffAccount(database.prisma, {
    email: values.email,
    displayName: values.name,
    role: "ADMIN",
  });
  const token = await issueSetupLink(userId, { actor: SYSTEM_ACTOR, clientAddress: null });
  const origin = values.origin ?? env.APP_ORIGIN ?? `http://localhost:${env.PORT}`;
  console.log(
    `Administrator ${values.email} is ready.\nSet-password link (works once, for 72 hours; shown only now):\n  ${origin}/set-password/${token}`,
  );
  await closeDatabase();
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
