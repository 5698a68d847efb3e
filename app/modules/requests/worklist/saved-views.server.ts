import type { Prisma } from "~/generated/prisma/client.ts";
import { isConstraintViolation } from "~/platform/db-errors.ts";
import { prisma } from "~/platform/db.server.ts";
import { parseWorklistFilter, worklistQuery } from "./filters.ts";

/**
 * A user's saved worklist filters. Each is the worklist's query string, re-parsed through the
 * filter schema on save (so only known keys survive) — a saved view never carries scope: it is
 * applied under the viewer's scope each time it is opened.
 */
export const MAX_SAVED_VIEWS = 20;

export class SavedViewError extends Error {
  override name = "SavedViewError";
}

export async function listSavedViews(userId: string) {
  const db = await prisma();
  return db.savedRequestView.findMany({
    where: { userId },
    orderBy: { name: "asc" },
    select: { id: true, name: true, query: true },
  });
}

export async function saveView(userId: string, name: string, query: string) {
  const db = await prisma();
  const normalised = worklistQuery(parseWorklistFilter(new URLSearchParams(query)));
  await db.$transaction(async (tx: Prisma.TransactionClient) => {
    const count = await tx.savedRequestView.count({ where: { userId } });
    const existing = await tx.savedRequestView.findUnique({
      where: { userId_name: { userId, name } },
      select: { id: true },
    });
    if (existing) {
      await tx.savedRequestView.update({ where: { id: existing.id }, data: { query: normalised } });
      return;
    }
    if (count >= MAX_SAVED_VIEWS) {
      throw new SavedViewError(`You can keep ${MAX_SAVED_VIEWS} saved views; delete one first.`);
    }
    try {
      await tx.savedRequestView.create({ data: { userId, name, query: normalised } });
    } catch (error) {
      if (isConstraintViolation(error, "P2002")) {
        throw new SavedViewError("You already have a view with that name.");
      }
      throw error;
    }
  });
}

/** Deletes one of the user's own views; another user's id is simply not found. */
export async function deleteView(userId: string, viewId: string): Promise<boolean> {
  const db = await prisma();
  const { count } = await db.savedRequestView.deleteMany({ where: { id: viewId, userId } });
  return count === 1;
}
