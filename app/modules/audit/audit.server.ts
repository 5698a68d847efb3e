import type { Prisma } from "~/generated/prisma/client.ts";
import { now } from "~/platform/clock.ts";

/**
 * The audit trail: who did what to which record, written in the same transaction as the change
 * it records (so a rolled-back change leaves no audit row, and a committed change always has
 * one). `details` must not hold patient data: ids, counts and hashes only.
 */
export interface AuditActor {
  id: string | null;
  label: string;
}

export const SYSTEM_ACTOR: AuditActor = { id: null, label: "system" };

export interface AuditEntry {
  actor: AuditActor;
  action: string;
  entityType: string;
  entityId?: string | null;
  clientAddress?: string | null;
  details?: Record<string, string | number | boolean | null | string[]>;
}

export async function recordAudit(tx: Prisma.TransactionClient, entry: AuditEntry): Promise<void> {
  await tx.auditEvent.create({
    data: {
      occurredAt: now(),
      actorId: entry.actor.id,
      actorLabel: entry.actor.label,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId ?? null,
      clientAddress: entry.clientAddress ?? null,
      details: entry.details ?? {},
    },
  });
}
