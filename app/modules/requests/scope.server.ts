import type { Prisma } from "~/generated/prisma/client.ts";
import type { Role } from "~/generated/prisma/enums.ts";
import { hasPermission } from "~/modules/auth/permissions.ts";

/**
 * The one scoping rule for appointment requests. Every screen, export and action builds its
 * `where` from here, never from the URL or the form:
 *
 * - requests in the queues of the teams the user belongs to (`read:request:team`),
 * - the unrouted queue (teamId null) for those holding `read:request:unrouted` (team leads, H2),
 * - requests assigned to the user, wherever they sit.
 *
 * Roles without `read:request:team` (admins, campaign managers, viewers) see no request here:
 * admins run the system, they do not work patients' requests (permissions.ts).
 */
export interface RequestViewer {
  id: string;
  role: Role;
  teamIds: readonly string[];
}

/** Matches no row (Prisma has no literal `false`). */
const NOTHING: Prisma.AppointmentRequestWhereInput = { id: { in: [] } };

export function requestScope(viewer: RequestViewer): Prisma.AppointmentRequestWhereInput {
  if (!hasPermission(viewer.role, "read:request:team")) return NOTHING;
  const or: Prisma.AppointmentRequestWhereInput[] = [{ assigneeId: viewer.id }];
  if (viewer.teamIds.length > 0) or.push({ teamId: { in: [...viewer.teamIds] } });
  if (hasPermission(viewer.role, "read:request:unrouted")) or.push({ teamId: null });
  return { OR: or };
}

/** The same rule for one request already loaded (pages deciding what to show). */
export function canSeeRequest(
  viewer: RequestViewer,
  request: { teamId: string | null; assigneeId: string | null },
): boolean {
  if (!hasPermission(viewer.role, "read:request:team")) return false;
  if (request.assigneeId === viewer.id) return true;
  if (request.teamId === null) return hasPermission(viewer.role, "read:request:unrouted");
  return viewer.teamIds.includes(request.teamId);
}
