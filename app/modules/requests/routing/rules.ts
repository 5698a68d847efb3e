import type { AppointmentRequestAction } from "~/generated/prisma/enums.ts";

/**
 * Routing rules, pure: which rule takes a request, and what a set of rules would do to a list of
 * requests (the preview). Rules run in `position` order; the first ENABLED rule whose every set
 * condition holds takes the request; no rule → the unrouted queue every lead sees (H2).
 *
 * Conditions compare the request's matched appointment (specialty code, clinic/location, service
 * type) and the request type. Text compares ignore case and surrounding spaces, so "320" and
 * "Clinic 1 " in a rule mean what a lead typed. A request with no appointment yet (needs
 * matching / triage) has no specialty, clinic or service type: only rules that leave those blank
 * can take it.
 */
/** How many of the latest requests the preview runs the rules over. */
export const PREVIEW_REQUESTS = 200;

export interface RuleConditions {
  specialtyCode: string | null;
  location: string | null;
  serviceType: string | null;
  action: AppointmentRequestAction | null;
}

export interface RoutingRuleLike extends RuleConditions {
  id: string;
  position: number;
  enabled: boolean;
  teamId: string;
  assigneeId: string | null;
}

export interface RoutableRequest {
  action: AppointmentRequestAction;
  matchedSpecialtyCode: string | null;
  matchedLocation: string | null;
  matchedServiceType: string | null;
}

function norm(value: string | null | undefined): string | null {
  const trimmed = value?.trim().toLowerCase() ?? "";
  return trimmed === "" ? null : trimmed;
}

function holds(condition: string | null, value: string | null): boolean {
  const wanted = norm(condition);
  return wanted === null || wanted === norm(value);
}

export function ruleMatches(rule: RuleConditions, request: RoutableRequest): boolean {
  return (
    holds(rule.specialtyCode, request.matchedSpecialtyCode) &&
    holds(rule.location, request.matchedLocation) &&
    holds(rule.serviceType, request.matchedServiceType) &&
    (rule.action === null || rule.action === request.action)
  );
}

/** A rule with no condition at all takes everything below it: the page warns about it. */
export function isCatchAll(rule: RuleConditions): boolean {
  return (
    norm(rule.specialtyCode) === null &&
    norm(rule.location) === null &&
    norm(rule.serviceType) === null &&
    rule.action === null
  );
}

/** Rules in the order they run. */
export function inOrder<R extends { position: number }>(rules: readonly R[]): R[] {
  return [...rules].sort((a, b) => a.position - b.position);
}

/** The rule that takes the request (first enabled match in position order), or null. */
export function routeRequest<R extends RoutingRuleLike>(
  rules: readonly R[],
  request: RoutableRequest,
): R | null {
  for (const rule of inOrder(rules)) {
    if (rule.enabled && ruleMatches(rule, request)) return rule;
  }
  return null;
}

/**
 * The rules as they would be with `draft` saved: an existing rule's draft replaces it, a new one
 * goes in at `beforeRuleId` (null = last). Positions are renumbered 0, 1, 2… in the new order.
 */
export function withDraft<R extends RoutingRuleLike>(
  rules: readonly R[],
  draft: R,
  beforeRuleId: string | null,
): R[] {
  const others = inOrder(rules).filter((rule) => rule.id !== draft.id);
  const at = beforeRuleId ? others.findIndex((rule) => rule.id === beforeRuleId) : -1;
  const ordered =
    at < 0 ? [...others, draft] : [...others.slice(0, at), draft, ...others.slice(at)];
  return ordered.map((rule, position) => ({ ...rule, position }));
}

export interface PreviewResult<Q> {
  /** per rule id, the requests it would take, in the order given */
  takenBy: Map<string, Q[]>;
  unrouted: Q[];
}

/** What `rules` would do to `requests` (first match wins; disabled rules take nothing). */
export function previewRouting<R extends RoutingRuleLike, Q extends RoutableRequest>(
  rules: readonly R[],
  requests: readonly Q[],
): PreviewResult<Q> {
  const ordered = inOrder(rules);
  const takenBy = new Map<string, Q[]>(ordered.map((rule) => [rule.id, []]));
  const unrouted: Q[] = [];
  for (const request of requests) {
    const rule = routeRequest(ordered, request);
    if (rule) takenBy.get(rule.id)!.push(request);
    else unrouted.push(request);
  }
  return { takenBy, unrouted };
}
