/**
 * A worker process for the refresh single-flight test (app/modules/pkb/refresh-single-flight.test.ts):
 * it reads the grant's access token, says READY, waits for GO on stdin, then reports PKB's 401 for
 * that token (afterUnauthorized) at the same moment as its twin.
 *
 * argv: <postgres connection string> <grant id>
 * stdout lines: READY, TOKEN <sha-256 of the token it ended with>, ERROR <name>
 * (a hash, never the token: tokens do not go to logs, not even a test's)
 */
import { createHash } from "node:crypto";
import { createInterface } from "node:readline";
import { userTokenSource } from "~/modules/pkb/grants.server.ts";
import { openDatabase, setDatabase } from "~/platform/db.server.ts";

const [connectionString, grantId] = process.argv.slice(2);
const say = (line: string) => process.stdout.write(`${line}\n`);
const hash = (token: string) => createHash("sha256").update(token).digest("hex");

const database = await openDatabase({ connectionString, skipMigrations: true });
setDatabase(database);
const source = userTokenSource(grantId!);
const stale = await source.accessToken();
say("READY");
const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() !== "GO") continue;
  try {
    say(`TOKEN ${hash(await source.afterUnauthorized(stale))}`);
  } catch (error) {
    say(`ERROR ${error instanceof Error ? error.name : "unknown"}`);
  }
  break;
}
lines.close();
await database.close();
