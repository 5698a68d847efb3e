import type { AuditActor } from "~/modules/audit/audit.server.ts";

/** Placeholder until the PKB grant lands on main: no grant can be synced yet. */
export async function requestSyncNow(_context: {
  actor: AuditActor;
  clientAddress: string | null;
}): Promise<{ grants: number; queued: number }> {
  return { grants: 0, queued: 0 };
}
