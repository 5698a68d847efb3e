import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readSubject } from "../parse/subject.ts";
import { buildLabelledCases, type LabelledCase } from "./fixtures/build-labelled-cases.ts";
import { matchRequest, subjectKey, type CandidateAppointment } from "./matcher.ts";

const committed = JSON.parse(
  readFileSync(new URL("./fixtures/labelled-cases.json", import.meta.url), "utf8"),
) as LabelledCase[];

function toCandidate(a: LabelledCase["candidates"][number]): CandidateAppointment {
  return { ...a, start: new Date(a.start), end: new Date(a.end) };
}

/** What the portal does with one case: parse the subject, then match. */
function decide(c: LabelledCase): { matchedId: string | null; reason: string } {
  const reading = readSubject(c.message.subject);
  if (reading.kind !== "request") return { matchedId: null, reason: reading.kind };
  const decision = matchRequest(
    {
      patientKey: c.message.patientKey,
      action: reading.action,
      quotedStarts: reading.quotedStarts,
      appointmentSubject: reading.appointmentSubject,
      receivedAt: new Date(c.message.receivedAt),
    },
    c.candidates.map(toCandidate),
  );
  return { matchedId: decision.appointmentId, reason: decision.reason };
}

describe("labelled matching cases", () => {
  it("are the committed ones, rebuilt deterministically", () => {
    expect(buildLabelledCases()).toEqual(committed);
    expect(committed.length).toBeGreaterThanOrEqual(300);
  });

  it("precision is 100% and recall at least 95%", () => {
    let autoMatched = 0;
    let correct = 0;
    const wrong: string[] = [];
    const missed: string[] = [];
    const labelledMatch = committed.filter((c) => c.label.decision === "match").length;
    for (const c of committed) {
      const { matchedId, reason } = decide(c);
      if (matchedId !== null) {
        autoMatched++;
        if (c.label.decision === "match" && c.label.appointmentId === matchedId) correct++;
        else wrong.push(`${c.id} (${c.category}): matched ${matchedId} — ${reason}`);
      } else if (c.label.decision === "match") {
        missed.push(`${c.id} (${c.category}): ${reason}`);
      }
    }
    const precision = autoMatched === 0 ? 1 : correct / autoMatched;
    const recall = correct / labelledMatch;
    process.stdout.write(
      `matcher on ${committed.length} labelled cases (${labelledMatch} labelled "match"): ` +
        `auto-matched ${autoMatched}, correct ${correct}, ` +
        `precision ${(precision * 100).toFixed(2)}%, recall ${(recall * 100).toFixed(2)}%\n`,
    );
    if (missed.length > 0) process.stdout.write(`missed:\n${missed.join("\n")}\n`);
    expect(wrong).toEqual([]);
    expect(precision).toBe(1);
    expect(recall).toBeGreaterThanOrEqual(0.95);
  });
});

describe("matchRequest", () => {
  const patient = "patient-1";
  const at = new Date("2026-05-14T09:30:00Z");
  const appointment = (over: Partial<CandidateAppointment>): CandidateAppointment => ({
    id: "a1",
    patientKey: patient,
    start: at,
    end: null,
    status: "booked",
    subject: "Cardiology follow-up",
    specialtyCode: "320",
    specialtyDisplay: "Cardiology",
    serviceType: "Outpatient",
    location: "Clinic 1",
    ...over,
  });
  const request = {
    patientKey: patient,
    action: "cancel" as const,
    quotedStarts: [at],
    appointmentSubject: "Cardiology follow-up",
    receivedAt: new Date("2026-05-01T12:00:00Z"),
  };

  it("matches the one appointment with the same start and subject, with full confidence", () => {
    const decision = matchRequest(request, [appointment({})]);
    expect(decision).toMatchObject({ state: "matched", appointmentId: "a1", confidence: 1 });
    expect(decision.reason).toMatch(/same patient, same start and same subject/i);
  });

  it("never auto-matches two that fit", () => {
    const decision = matchRequest(request, [appointment({}), appointment({ id: "a2" })]);
    expect(decision).toMatchObject({ state: "needs-matching", appointmentId: null });
    expect(decision.confidence).toBeLessThan(0.8);
    expect(decision.reason).toMatch(/2 appointments .* fit/);
  });

  it("ignores another patient's appointment even at the same time", () => {
    const decision = matchRequest(request, [appointment({ patientKey: "someone-else" })]);
    expect(decision.state).toBe("needs-matching");
    expect(decision.verdicts).toEqual([]);
  });

  it("does not match a start one hour out (the UTC/BST mistake)", () => {
    const decision = matchRequest(request, [
      appointment({ start: new Date(at.getTime() + 3_600_000) }),
    ]);
    expect(decision.state).toBe("needs-matching");
  });

  it("sends a change request on a cancelled appointment to a person", () => {
    const decision = matchRequest({ ...request, action: "change" }, [
      appointment({ status: "cancelled" }),
    ]);
    expect(decision.state).toBe("needs-matching");
    expect(decision.reason).toMatch(/may have been moved/);
  });

  it("compares subjects without case, spaces or punctuation", () => {
    expect(subjectKey("Cardiology  Follow up.")).toBe(subjectKey("cardiology follow-up"));
    expect(subjectKey("Cardiology review")).not.toBe(subjectKey("Cardiology follow-up"));
  });
});
