import { z } from "zod";
import type { Prisma, PrismaClient } from "~/generated/prisma/client.ts";
import { AppointmentRequestAction } from "~/generated/prisma/enums.ts";
import { recordAudit, type AuditActor } from "~/modules/audit/audit.server.ts";
import { hasPermission } from "~/modules/auth/permissions.ts";
import { applySystemEvent } from "../lifecycle.server.ts";
import type { RequestViewer } from "../scope.server.ts";
import { refreshDueAt } from "../sla/sla.server.ts";
import {
  inOrder,
  isCatchAll,
  PREVIEW_REQUESTS,
  previewRouting,
  routeRequest,
  withDraft,
  type RoutableRequest,
  type RoutingRuleLike,
} from "./rules.ts";

/**
 * Routing rules in the database: who may manage which, saving and ordering them (audited), the
 * preview of a draft over the latest requests, routing new requests for the sync, and re-routing
 * open requests when — and only when — a person asks.
 *
 * Who manages what: a team lead (`manage:routing`) manages the rules sending to their own teams;
 * an administrator (`manage:routing` with `manage:team`) manages every team's. Everyone who manages
 * rules sees the whole ordered list, because the order across teams decides what each rule takes.
 */

type Tx = Prisma.TransactionClient;

export class RoutingRuleError extends Error {
  override name = "RoutingRuleError";
  constructor(
    message: string,
    readonly field?: string,
    readonly notFound = false,
  ) {
    super(message);
  }
}

export interface RoutingActor extends RequestViewer {
  label: string;
  clientAddress: string | null;
}

export function managesAllTeams(viewer: RequestViewer): boolean {
  return hasPermission(viewer.role, "manage:routing") && hasPermission(viewer.role, "manage:team");
}

export function canManageTeam(viewer: RequestViewer, teamId: string): boolean {
  if (!hasPermission(viewer.role, "manage:routing")) return false;
  return managesAllTeams(viewer) || viewer.teamIds.includes(teamId);
}

/** The teams (with their members who work requests) this person may send rules to. */
export async function manageableTeams(db: PrismaClient | Tx, viewer: RequestViewer) {
  const teams = await db.team.findMany({
    where: managesAllTeams(viewer) ? {} : { id: { in: [...viewer.teamIds] } },
    orderBy: { name: "asc" },
    select: {
      id: true,
      name: true,
      members: {
        where: { user: { disabledAt: null, role: { in: ["TEAM_LEAD", "REQUEST_HANDLER"] } } },
        select: { user: { select: { id: true, displayName: true } } },
        orderBy: { user: { displayName: "asc" } },
      },
    },
  });
  return teams.map((team) => ({
    id: team.id,
    name: team.name,
    members: team.members.map((m) => m.user),
  }));
}

const RULE_SELECT = {
  id: true,
  position: true,
  name: true,
  enabled: true,
  specialtyCode: true,
  location: true,
  serviceType: true,
  action: true,
  teamId: true,
  assigneeId: true,
  team: { select: { name: true } },
  assignee: { select: { displayName: true } },
} satisfies Prisma.RoutingRuleSelect;
export type StoredRule = Prisma.RoutingRuleGetPayload<{ select: typeof RULE_SELECT }>;

export async function listRules(db: PrismaClient | Tx): Promise<StoredRule[]> {
  return db.routingRule.findMany({ orderBy: { position: "asc" }, select: RULE_SELECT });
}

/**
 * The rules as routing applies them: enabled, in order, and a rule's person only while they are
 * still an active member of the rule's team (else the rule sends to the team alone).
 */
export async function activeRules(tx: Tx | PrismaClient): Promise<RoutingRuleLike[]> {
  const rules = await tx.routingRule.findMany({
    where: { enabled: true },
    orderBy: { position: "asc" },
    select: {
      id: true,
      position: true,
      enabled: true,
      specialtyCode: true,
      location: true,
      serviceType: true,
      action: true,
      teamId: true,
      assigneeId: true,
      assignee: {
        select: { disabledAt: true, role: true, memberships: { select: { teamId: true } } },
      },
    },
  });
  return rules.map(({ assignee, ...rule }) => ({
    ...rule,
    assigneeId:
      assignee &&
      !assignee.disabledAt &&
      hasPermission(assignee.role, "update:request:team") &&
      assignee.memberships.some((m) => m.teamId === rule.teamId)
        ? rule.assigneeId
        : null,
  }));
}

// ── Saving, ordering, enabling, deleting ──────────────────────────────────────────────────────

const optionalText = (max: number, label: string) =>
  z
    .string()
    .trim()
    .max(max, { error: `${label} must be ${max} characters or fewer.` })
    .optional()
    .transform((v) => (v ? v : null));

export const RuleInputSchema = z.object({
  name: z
    .string({ error: "Give the rule a name." })
    .trim()
    .min(1, { error: "Give the rule a name." })
    .max(100, { error: "The name must be 100 characters or fewer." }),
  specialtyCode: optionalText(20, "The specialty code"),
  location: optionalText(200, "The clinic or location"),
  serviceType: optionalText(200, "The service type"),
  action: z
    .enum(["ANY", AppointmentRequestAction.CANCEL, AppointmentRequestAction.CHANGE])
    .optional()
    .transform((v) => (v && v !== "ANY" ? v : null)),
  teamId: z.uuid({ error: "Choose the team the rule sends requests to." }),
  assigneeId: z
    .union([z.uuid(), z.literal("")])
    .optional()
    .transform((v) => (v ? v : null)),
  /** place the rule before this one; "" = last */
  beforeRuleId: z
    .union([z.uuid(), z.literal("")])
    .optional()
    .transform((v) => (v ? v : null)),
  enabled: z
    .enum(["on", "true"])
    .optional()
    .transform((v) => v !== undefined),
});
export type RuleInput = z.infer<typeof RuleInputSchema>;

async function checkDestination(tx: Tx, viewer: RequestViewer, input: RuleInput): Promise<void> {
  if (!canManageTeam(viewer, input.teamId)) {
    throw new RoutingRuleError("You can only send rules to your own teams.", "teamId");
  }
  if (input.assigneeId) {
    const member = await tx.teamMembership.findFirst({
      where: {
        teamId: input.teamId,
        userId: input.assigneeId,
        user: { disabledAt: null, role: { in: ["TEAM_LEAD", "REQUEST_HANDLER"] } },
      },
    });
    if (!member) {
      throw new RoutingRuleError("Choose a person in that team, or nobody.", "assigneeId");
    }
  }
}

/** Rewrites every rule's position to match `orderedIds` (0, 1, 2…), unique at every step. */
async function writeOrder(tx: Tx, orderedIds: readonly string[]): Promise<void> {
  if (orderedIds.length === 0) return;
  const positions = orderedIds.map((_, i) => i);
  // Negative first so no two rows ever hold the same position mid-statement.
  await tx.$executeRaw`
    UPDATE "RoutingRule" r SET "position" = -1 - t.pos
    FROM unnest(${[...orderedIds]}::uuid[], ${positions}::int[]) AS t(id, pos)
    WHERE r."id" = t.id`;
  await tx.$executeRaw`UPDATE "RoutingRule" SET "position" = -1 - "position" WHERE "position" < 0`;
}

/** One person changes rules at a time (positions are a total order). */
async function lockRules(tx: Tx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('routing-rules'))`;
}

async function loadManageable(tx: Tx, viewer: RequestViewer, ruleId: string) {
  const rule = await tx.routingRule.findUnique({ where: { id: ruleId }, select: RULE_SELECT });
  // Another team's rule is "not found" to someone who may not change it.
  if (!rule || !canManageTeam(viewer, rule.teamId)) {
    throw new RoutingRuleError("That rule does not exist.", undefined, true);
  }
  return rule;
}

function ruleAudit(rule: {
  teamId: string;
  assigneeId: string | null;
  position: number;
  enabled: boolean;
}) {
  return {
    teamId: rule.teamId,
    assigneeId: rule.assigneeId,
    position: rule.position,
    enabled: rule.enabled,
  };
}

export async function saveRule(
  db: PrismaClient,
  actor: RoutingActor,
  ruleId: string | null,
  input: RuleInput,
): Promise<{ id: string }> {
  return db.$transaction(async (tx) => {
    await lockRules(tx);
    await checkDestination(tx, actor, input);
    const existing = ruleId ? await loadManageable(tx, actor, ruleId) : null;
    const data = {
      name: input.name,
      specialtyCode: input.specialtyCode,
      location: input.location,
      serviceType: input.serviceType,
      action: input.action,
      teamId: input.teamId,
      assigneeId: input.assigneeId,
      enabled: input.enabled,
    };
    const all = await listRules(tx);
    if (input.beforeRuleId && !all.some((r) => r.id === input.beforeRuleId)) {
      throw new RoutingRuleError("Choose where the rule goes in the list.", "beforeRuleId");
    }
    const saved = existing
      ? await tx.routingRule.update({ where: { id: existing.id }, data })
      : await tx.routingRule.create({
          data: {
            ...data,
            position: (all.at(-1)?.position ?? -1) + 1,
            createdById: actor.id,
          },
        });
    const order = withDraft(
      all.map(toLike),
      { ...toLike(saved), position: saved.position },
      input.beforeRuleId,
    ).map((r) => r.id);
    await writeOrder(tx, order);
    const position = order.indexOf(saved.id);
    await recordAudit(tx, {
      actor: { id: actor.id, label: actor.label },
      action: existing ? "routing-rule.update" : "routing-rule.create",
      entityType: "routing-rule",
      entityId: saved.id,
      clientAddress: actor.clientAddress,
      details: {
        ...ruleAudit({ ...saved, position }),
        catchAll: isCatchAll(saved),
        ...(existing
          ? { previousTeamId: existing.teamId, previousPosition: existing.position }
          : {}),
      },
    });
    return { id: saved.id };
  });
}

export async function moveRule(
  db: PrismaClient,
  actor: RoutingActor,
  ruleId: string,
  direction: "up" | "down",
): Promise<void> {
  await db.$transaction(async (tx) => {
    await lockRules(tx);
    const rule = await loadManageable(tx, actor, ruleId);
    const ids = (await listRules(tx)).map((r) => r.id);
    const at = ids.indexOf(rule.id);
    const to = direction === "up" ? at - 1 : at + 1;
    if (to < 0 || to >= ids.length) return;
    [ids[at], ids[to]] = [ids[to]!, ids[at]!];
    await writeOrder(tx, ids);
    await recordAudit(tx, {
      actor: { id: actor.id, label: actor.label },
      action: "routing-rule.move",
      entityType: "routing-rule",
      entityId: rule.id,
      clientAddress: actor.clientAddress,
      details: { from: at, to },
    });
  });
}

export async function setRuleEnabled(
  db: PrismaClient,
  actor: RoutingActor,
  ruleId: string,
  enabled: boolean,
): Promise<void> {
  await db.$transaction(async (tx) => {
    await lockRules(tx);
    const rule = await loadManageable(tx, actor, ruleId);
    if (rule.enabled === enabled) return;
    await tx.routingRule.update({ where: { id: rule.id }, data: { enabled } });
    await recordAudit(tx, {
      actor: { id: actor.id, label: actor.label },
      action: enabled ? "routing-rule.enable" : "routing-rule.disable",
      entityType: "routing-rule",
      entityId: rule.id,
      clientAddress: actor.clientAddress,
      details: ruleAudit({ ...rule, enabled }),
    });
  });
}

export async function deleteRule(
  db: PrismaClient,
  actor: RoutingActor,
  ruleId: string,
): Promise<void> {
  await db.$transaction(async (tx) => {
    await lockRules(tx);
    const rule = await loadManageable(tx, actor, ruleId);
    // Requests it routed keep their team; routedByRuleId is cleared by the foreign key.
    await tx.routingRule.delete({ where: { id: rule.id } });
    await writeOrder(
      tx,
      (await listRules(tx)).map((r) => r.id),
    );
    await recordAudit(tx, {
      actor: { id: actor.id, label: actor.label },
      action: "routing-rule.delete",
      entityType: "routing-rule",
      entityId: rule.id,
      clientAddress: actor.clientAddress,
      details: { ...ruleAudit(rule), name: rule.name },
    });
  });
}

function toLike(rule: {
  id: string;
  position: number;
  enabled: boolean;
  specialtyCode: string | null;
  location: string | null;
  serviceType: string | null;
  action: AppointmentRequestAction | null;
  teamId: string;
  assigneeId: string | null;
}): RoutingRuleLike {
  return {
    id: rule.id,
    position: rule.position,
    enabled: rule.enabled,
    specialtyCode: rule.specialtyCode,
    location: rule.location,
    serviceType: rule.serviceType,
    action: rule.action,
    teamId: rule.teamId,
    assigneeId: rule.assigneeId,
  };
}

// ── Preview ───────────────────────────────────────────────────────────────────────────────────

export const DRAFT_ID = "draft";

/**
 * What the rules would do to the latest requests with `draft` saved in its place (before
 * `beforeRuleId`, or last). Shows no patient: received time, type and the appointment's
 * specialty, clinic and service type, and the queue each request is in now.
 */
export async function previewRule(
  db: PrismaClient,
  draft: { id: string | null; input: RuleInput },
  limit = PREVIEW_REQUESTS,
) {
  const [rules, requests, teams] = await Promise.all([
    listRules(db),
    db.appointmentRequest.findMany({
      orderBy: [{ receivedAt: "desc" }, { id: "desc" }],
      take: limit,
      select: {
        id: true,
        receivedAt: true,
        action: true,
        matchedSpecialtyCode: true,
        matchedSpecialtyDisplay: true,
        matchedLocation: true,
        matchedServiceType: true,
        teamId: true,
        routedByRuleId: true,
      },
    }),
    db.team.findMany({ select: { id: true, name: true } }),
  ]);
  const teamName = new Map(teams.map((t) => [t.id, t.name]));
  const draftId = draft.id ?? DRAFT_ID;
  const draftLike: RoutingRuleLike = {
    id: draftId,
    position: 0,
    enabled: true,
    specialtyCode: draft.input.specialtyCode,
    location: draft.input.location,
    serviceType: draft.input.serviceType,
    action: draft.input.action,
    teamId: draft.input.teamId,
    assigneeId: draft.input.assigneeId,
  };
  const ordered = withDraft(rules.map(toLike), draftLike, draft.input.beforeRuleId);
  const result = previewRouting(ordered, requests);
  const names = new Map(rules.map((r) => [r.id, r.name]));
  names.set(draftId, draft.input.name || "This rule");
  return {
    considered: requests.length,
    rules: ordered.map((rule) => ({
      id: rule.id,
      name: names.get(rule.id) ?? "",
      isDraft: rule.id === draftId,
      enabled: rule.enabled,
      team: teamName.get(rule.teamId) ?? "",
      takes: result.takenBy.get(rule.id)?.length ?? 0,
    })),
    unrouted: result.unrouted.length,
    draftTakes: (result.takenBy.get(draftId) ?? []).map((request) => ({
      id: request.id,
      receivedAt: request.receivedAt,
      action: request.action,
      specialty: request.matchedSpecialtyDisplay
        ? `${request.matchedSpecialtyDisplay}${request.matchedSpecialtyCode ? ` (${request.matchedSpecialtyCode})` : ""}`
        : null,
      location: request.matchedLocation,
      serviceType: request.matchedServiceType,
      queueNow: request.teamId ? (teamName.get(request.teamId) ?? "") : null,
    })),
    catchAll: isCatchAll(draftLike),
  };
}

// ── Routing new requests (the sync) and re-routing open ones (a person asks) ──────────────────

export interface RouteDecision {
  teamId: string | null;
  assigneeId: string | null;
  ruleId: string | null;
}

export function decideRoute(
  rules: readonly RoutingRuleLike[],
  request: RoutableRequest,
): RouteDecision {
  const rule = routeRequest(rules, request);
  return rule
    ? { teamId: rule.teamId, assigneeId: rule.assigneeId, ruleId: rule.id }
    : { teamId: null, assigneeId: null, ruleId: null };
}

/** Re-routing moves requests nobody has taken on yet; a request someone holds stays with them. */
const REROUTABLE = { status: "NEW" as const, assigneeId: null };

async function plannedMoves(db: PrismaClient | Tx, viewer: RequestViewer) {
  const rules = await activeRules(db);
  const moves: Array<{
    request: {
      id: string;
      status: "NEW";
      assigneeId: null;
      teamId: string | null;
      expiredAt: Date | null;
      version: number;
    };
    route: RouteDecision;
  }> = [];
  let after: string | undefined;
  for (;;) {
    const rows = await db.appointmentRequest.findMany({
      where: { ...REROUTABLE, ...(after ? { id: { gt: after } } : {}) },
      orderBy: { id: "asc" },
      take: 5_000,
      select: {
        id: true,
        teamId: true,
        routedByRuleId: true,
        expiredAt: true,
        version: true,
        action: true,
        matchedSpecialtyCode: true,
        matchedLocation: true,
        matchedServiceType: true,
      },
    });
    if (rows.length === 0) break;
    after = rows.at(-1)!.id;
    for (const row of rows) {
      const route = decideRoute(rules, row);
      if (route.teamId === row.teamId && route.ruleId === row.routedByRuleId && !route.assigneeId) {
        continue;
      }
      // A lead moves requests into, out of or within their own teams and the unrouted queue;
      // requests passing between two other teams are theirs to re-route.
      const touches = (teamId: string | null) =>
        teamId === null || managesAllTeams(viewer) || viewer.teamIds.includes(teamId);
      if (!touches(row.teamId) && !touches(route.teamId)) continue;
      moves.push({
        request: {
          id: row.id,
          status: "NEW",
          assigneeId: null,
          teamId: row.teamId,
          expiredAt: row.expiredAt,
          version: row.version,
        },
        route,
      });
    }
  }
  return moves;
}

/** How many open requests "Re-route open requests" would move now (the confirmation shows it). */
export async function rerouteCount(db: PrismaClient, viewer: RequestViewer): Promise<number> {
  return (await plannedMoves(db, viewer)).length;
}

/**
 * Routes the open, untaken requests again by the current rules — only when a person asks. Each
 * move is a lifecycle "routed" event (kind "rerouted"), audited with who asked, and the SLA
 * deadline follows the new team.
 */
export async function rerouteOpenRequests(
  db: PrismaClient,
  actor: RoutingActor,
): Promise<{ moved: number }> {
  if (!hasPermission(actor.role, "manage:routing")) {
    throw new RoutingRuleError("You cannot change routing.");
  }
  return db.$transaction(
    async (tx) => {
      await lockRules(tx);
      const moves = await plannedMoves(tx, actor);
      const auditActor: AuditActor = { id: actor.id, label: actor.label };
      const moved: string[] = [];
      for (const { request, route } of moves) {
        const to = await applySystemEvent(tx, request, {
          event: "routed",
          kind: "rerouted",
          teamId: route.teamId,
          assigneeId: route.assigneeId,
          ruleId: route.ruleId,
          dueAt: null,
          actor: auditActor,
          audit: true,
        });
        if (to) moved.push(request.id);
      }
      await refreshDueAt(tx, moved);
      await recordAudit(tx, {
        actor: auditActor,
        action: "routing.reroute-open",
        entityType: "routing-rule",
        clientAddress: actor.clientAddress,
        details: { moved: moved.length },
      });
      return { moved: moved.length };
    },
    { timeout: 120_000 },
  );
}

export { inOrder, PREVIEW_REQUESTS };
