import { createConnection } from "~/modules/pkb/connections.server.ts";
import {
  completeGrantAuthorisation,
  startGrantAuthorisation,
} from "~/modules/pkb/grants.server.ts";
import { prisma } from "~/platform/db.server.ts";
import type { RunningSandbox } from "../../sandbox/src/server.ts";
import { answerConsent, sandboxConnection } from "./pkb-grant.ts";
import { signedInAs } from "./requests.ts";

/**
 * A PKB connection to `sandbox` and a clinician grant on it, made through the grant module's own
 * round trip (state, PKCE, the sandbox's consent page, code exchange) by a signed-in admin.
 * Returns the grant id. For request-sync tests, which need a real grant but are not about it.
 */
export async function grantOnSandbox(sandbox: RunningSandbox): Promise<string> {
  const admin = await signedInAs("ADMIN");
  const context = { actor: { id: admin.userId, label: admin.email }, clientAddress: "127.0.0.1" };
  const connectionId = await createConnection(sandboxConnection(sandbox), context);
  const db = await prisma();
  const session = await db.session.findFirstOrThrow({
    where: { userId: admin.userId },
    orderBy: { createdAt: "desc" },
    select: { id: true },
  });
  const started = await startGrantAuthorisation(
    connectionId,
    { id: session.id, userId: admin.userId },
    context,
  );
  if (!started) throw new Error("connection vanished");
  const back = await answerConsent(sandbox, started.url, "allow");
  const outcome = await completeGrantAuthorisation(back.searchParams, { id: session.id }, context);
  if (!outcome.ok) throw new Error(`grant refused: ${outcome.reason}`);
  return (await db.pkbGrant.findUniqueOrThrow({ where: { connectionId } })).id;
}
