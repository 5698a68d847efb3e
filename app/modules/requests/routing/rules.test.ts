import { describe, expect, it } from "vitest";
import {
  isCatchAll,
  previewRouting,
  routeRequest,
  ruleMatches,
  withDraft,
  type RoutableRequest,
  type RoutingRuleLike,
} from "./rules.ts";

function rule(
  id: string,
  position: number,
  conditions: Partial<RoutingRuleLike> = {},
): RoutingRuleLike {
  return {
    id,
    position,
    enabled: true,
    specialtyCode: null,
    location: null,
    serviceType: null,
    action: null,
    teamId: `team-${id}`,
    assigneeId: null,
    ...conditions,
  };
}

const cardiologyClinic1: RoutableRequest = {
  action: "CANCEL",
  matchedSpecialtyCode: "320",
  matchedLocation: "Clinic 1",
  matchedServiceType: "Outpatient",
};
const dermatology: RoutableRequest = {
  action: "CHANGE",
  matchedSpecialtyCode: "330",
  matchedLocation: "Skin clinic",
  matchedServiceType: "Outpatient",
};
const unmatched: RoutableRequest = {
  action: "CANCEL",
  matchedSpecialtyCode: null,
  matchedLocation: null,
  matchedServiceType: null,
};

describe("rule conditions", () => {
  it("every set condition must hold; blank means any", () => {
    expect(ruleMatches(rule("a", 0, { specialtyCode: "320" }), cardiologyClinic1)).toBe(true);
    expect(
      ruleMatches(rule("a", 0, { specialtyCode: "320", location: "Clinic 2" }), cardiologyClinic1),
    ).toBe(false);
    expect(ruleMatches(rule("a", 0, { action: "CHANGE" }), cardiologyClinic1)).toBe(false);
    expect(ruleMatches(rule("a", 0, { serviceType: "outpatient " }), dermatology)).toBe(true);
    expect(ruleMatches(rule("a", 0, { location: " clinic 1" }), cardiologyClinic1)).toBe(true);
  });

  it("a request with no appointment is taken only by rules that leave the appointment blank", () => {
    expect(ruleMatches(rule("a", 0, { specialtyCode: "320" }), unmatched)).toBe(false);
    expect(ruleMatches(rule("a", 0, { action: "CANCEL" }), unmatched)).toBe(true);
  });

  it("knows a rule with no condition takes everything", () => {
    expect(isCatchAll(rule("a", 0, { specialtyCode: "  " }))).toBe(true);
    expect(isCatchAll(rule("a", 0, { action: "CANCEL" }))).toBe(false);
  });
});

describe("rule order", () => {
  it("the first enabled match wins, by position not by list order", () => {
    const rules = [
      rule("broad", 2, { serviceType: "Outpatient" }),
      rule("narrow", 1, { specialtyCode: "320" }),
      rule("off", 0, { specialtyCode: "320", enabled: false }),
    ];
    expect(routeRequest(rules, cardiologyClinic1)?.id).toBe("narrow");
    expect(routeRequest(rules, dermatology)?.id).toBe("broad");
  });

  it("no match goes to the unrouted queue (null)", () => {
    expect(routeRequest([rule("a", 0, { specialtyCode: "320" })], dermatology)).toBeNull();
    expect(routeRequest([], dermatology)).toBeNull();
  });
});

describe("preview with a draft in its place", () => {
  const rules = [
    rule("cardio", 0, { specialtyCode: "320" }),
    rule("outpatients", 1, { serviceType: "Outpatient" }),
  ];

  it("a new rule goes last, or before the rule named", () => {
    const draft = rule("draft", 99, { location: "Clinic 1" });
    expect(withDraft(rules, draft, null).map((r) => [r.id, r.position])).toEqual([
      ["cardio", 0],
      ["outpatients", 1],
      ["draft", 2],
    ]);
    expect(withDraft(rules, draft, "cardio").map((r) => r.id)).toEqual([
      "draft",
      "cardio",
      "outpatients",
    ]);
  });

  it("an edited rule replaces itself and can move", () => {
    const edited = rule("outpatients", 1, { serviceType: "Inpatient" });
    const moved = withDraft(rules, edited, "cardio");
    expect(moved.map((r) => r.id)).toEqual(["outpatients", "cardio"]);
    expect(moved[0]?.serviceType).toBe("Inpatient");
  });

  it("shows what each rule takes, first match winning, and what stays unrouted", () => {
    const requests = [cardiologyClinic1, dermatology, unmatched];
    const last = previewRouting(
      withDraft(rules, rule("draft", 0, { location: "Clinic 1" }), null),
      requests,
    );
    expect(last.takenBy.get("draft")).toEqual([]);
    expect(last.takenBy.get("cardio")).toEqual([cardiologyClinic1]);
    expect(last.takenBy.get("outpatients")).toEqual([dermatology]);
    expect(last.unrouted).toEqual([unmatched]);

    const first = previewRouting(
      withDraft(rules, rule("draft", 0, { location: "Clinic 1" }), "cardio"),
      requests,
    );
    expect(first.takenBy.get("draft")).toEqual([cardiologyClinic1]);
    expect(first.takenBy.get("cardio")).toEqual([]);
  });
});
