import { describe, expect, it } from "vitest";
import type { RequestStatus, Role } from "~/generated/prisma/enums.ts";
import {
  availableIntents,
  decideIntent,
  decideSystemEvent,
  REQUEST_INTENTS,
  REQUEST_STATUSES,
  SYSTEM_EVENTS,
  type RequestIntent,
  type SystemEvent,
} from "./lifecycle.ts";

const ME = "11111111-1111-4111-8111-111111111111";
const OTHER = "22222222-2222-4222-8222-222222222222";
const TEAM = "33333333-3333-4333-8333-333333333333";

const handler = { id: ME, role: "REQUEST_HANDLER" as Role };
const lead = { id: ME, role: "TEAM_LEAD" as Role };

/** The whole table: from each status, with nobody / me / someone else holding it. */
const EXPECTED: Record<RequestIntent, Partial<Record<RequestStatus, RequestStatus>>> = {
  assign: { NEW: "ASSIGNED", ASSIGNED: "ASSIGNED", EXPIRED: "ASSIGNED" },
  claim: { NEW: "ASSIGNED", EXPIRED: "ASSIGNED" },
  release: { ASSIGNED: "NEW" },
  action: { NEW: "ACTIONED", ASSIGNED: "ACTIONED", EXPIRED: "ACTIONED" },
  reject: { NEW: "REJECTED", ASSIGNED: "REJECTED", EXPIRED: "REJECTED" },
  reopen: { ACTIONED: "NEW", REJECTED: "NEW", RESOLVED_IN_PAS: "NEW" },
  rematch: { NEW: "NEW", ASSIGNED: "ASSIGNED", EXPIRED: "NEW" },
};

function position(status: RequestStatus, assigneeId: string | null = null) {
  return { status, assigneeId, teamId: TEAM, expiredAt: null };
}

describe("request lifecycle: every intent from every status (a lead, unassigned request)", () => {
  for (const intent of REQUEST_INTENTS) {
    for (const status of REQUEST_STATUSES) {
      // Claim and release depend on who holds it; the unassigned case is the table's.
      const assignee = status === "ASSIGNED" ? OTHER : null;
      const expected = EXPECTED[intent][status];
      it(`${intent} from ${status} → ${expected ?? "refused"}`, () => {
        const decision = decideIntent(position(status, assignee), intent, lead, {
          assigneeId: intent === "assign" ? OTHER : null,
        });
        if (expected) expect(decision).toEqual({ allowed: true, to: expected });
        else {
          expect(decision.allowed).toBe(false);
          if (!decision.allowed) expect(decision.reason).toMatch(/cannot be/);
        }
      });
    }
  }
});

describe("who may do what", () => {
  it("only a lead assigns to someone", () => {
    expect(decideIntent(position("NEW"), "assign", handler, { assigneeId: OTHER })).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/team lead/),
    });
  });

  it("an assign must name the person", () => {
    expect(decideIntent(position("NEW"), "assign", lead, {}).allowed).toBe(false);
  });

  it("claims only what nobody holds", () => {
    expect(decideIntent(position("NEW"), "claim", handler)).toEqual({
      allowed: true,
      to: "ASSIGNED",
    });
    expect(decideIntent(position("ASSIGNED", ME), "claim", handler).allowed).toBe(false);
    expect(decideIntent(position("EXPIRED", OTHER), "claim", handler)).toMatchObject({
      allowed: false,
      reason: expect.stringMatching(/Someone else/),
    });
  });

  it("releases, actions, rejects and rematches what is mine; someone else's only as a lead", () => {
    for (const intent of ["release", "action", "reject", "rematch"] as const) {
      expect(decideIntent(position("ASSIGNED", ME), intent, handler).allowed).toBe(true);
      expect(decideIntent(position("ASSIGNED", OTHER), intent, handler).allowed).toBe(false);
      expect(
        decideIntent(position("ASSIGNED", OTHER), intent, { id: ME, role: "TEAM_LEAD" }).allowed,
      ).toBe(true);
    }
  });

  it("reopens to ASSIGNED when the request still has its person", () => {
    expect(decideIntent(position("ACTIONED", ME), "reopen", handler)).toEqual({
      allowed: true,
      to: "ASSIGNED",
    });
  });

  it("a rematch of an expired request that someone holds goes back to ASSIGNED", () => {
    expect(decideIntent(position("EXPIRED", ME), "rematch", handler)).toEqual({
      allowed: true,
      to: "ASSIGNED",
    });
  });

  it("roles that do not work requests can do nothing", () => {
    for (const role of ["ADMIN", "VIEWER", "CAMPAIGN_MANAGER"] as const) {
      for (const intent of REQUEST_INTENTS) {
        expect(
          decideIntent(position("NEW"), intent, { id: ME, role }, { assigneeId: OTHER }).allowed,
        ).toBe(false);
      }
    }
  });

  it("offers only what is allowed now", () => {
    expect(availableIntents(position("NEW"), handler)).toEqual([
      "claim",
      "action",
      "reject",
      "rematch",
    ]);
    expect(availableIntents(position("NEW"), lead)).toEqual([
      "assign",
      "claim",
      "action",
      "reject",
      "rematch",
    ]);
    expect(availableIntents(position("ASSIGNED", OTHER), handler)).toEqual([]);
    expect(availableIntents(position("RESOLVED_IN_PAS"), handler)).toEqual(["reopen"]);
  });
});

describe("system events", () => {
  const EXPECTED_SYSTEM: Record<SystemEvent, Partial<Record<RequestStatus, RequestStatus>>> = {
    routed: { NEW: "NEW" },
    "resolved-in-pas": {
      NEW: "RESOLVED_IN_PAS",
      ASSIGNED: "RESOLVED_IN_PAS",
      EXPIRED: "RESOLVED_IN_PAS",
    },
    expired: { NEW: "EXPIRED", ASSIGNED: "EXPIRED" },
  };
  for (const event of SYSTEM_EVENTS) {
    for (const status of REQUEST_STATUSES) {
      const expected = EXPECTED_SYSTEM[event][status] ?? null;
      it(`${event} from ${status} → ${expected ?? "no change"}`, () => {
        expect(decideSystemEvent(position(status), event)).toBe(expected);
      });
    }
  }

  it("a rule naming a person routes straight to ASSIGNED", () => {
    expect(decideSystemEvent(position("NEW"), "routed", { assigneeId: OTHER })).toBe("ASSIGNED");
  });

  it("never flags an appointment as passed twice (a person took it on after the flag)", () => {
    expect(
      decideSystemEvent({ ...position("ASSIGNED", ME), expiredAt: new Date() }, "expired"),
    ).toBeNull();
  });
});
