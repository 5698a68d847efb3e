import { describe, expect, it } from "vitest";
import { CAMPAIGN_STATES, nextCampaignState, type CampaignEvent } from "./lifecycle.ts";

const EVENTS: CampaignEvent[] = [
  "start-import",
  "import-finished",
  "start-check",
  "check-finished",
  "start-generating",
  "generation-finished",
  "retry-failed",
  "pause",
  "resume",
  "cancel",
];

describe("campaign lifecycle", () => {
  it("allows exactly the documented transitions", () => {
    const allowed: string[] = [];
    for (const state of CAMPAIGN_STATES) {
      for (const event of EVENTS) {
        const to = nextCampaignState(
          { state, pausedFrom: state === "PAUSED" ? "GENERATING" : null },
          event,
        );
        if (to) allowed.push(`${state} -${event}-> ${to}`);
      }
    }
    expect(allowed).toEqual([
      "DRAFT -start-import-> IMPORTING",
      "DRAFT -start-check-> CHECKING",
      "DRAFT -cancel-> CANCELLED",
      "IMPORTING -import-finished-> DRAFT",
      "IMPORTING -cancel-> CANCELLED",
      "CHECKING -check-finished-> READY",
      "CHECKING -pause-> PAUSED",
      "CHECKING -cancel-> CANCELLED",
      "READY -start-check-> CHECKING",
      "READY -start-generating-> GENERATING",
      "READY -cancel-> CANCELLED",
      "GENERATING -generation-finished-> GENERATED",
      "GENERATING -pause-> PAUSED",
      "GENERATING -cancel-> CANCELLED",
      "GENERATED -retry-failed-> GENERATING",
      "PAUSED -resume-> GENERATING",
      "PAUSED -cancel-> CANCELLED",
    ]);
  });

  it("resumes to where it was paused", () => {
    expect(nextCampaignState({ state: "PAUSED", pausedFrom: "CHECKING" }, "resume")).toBe(
      "CHECKING",
    );
    expect(nextCampaignState({ state: "PAUSED", pausedFrom: null }, "resume")).toBeNull();
  });
});
