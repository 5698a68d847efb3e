import { describe, expect, it } from "vitest";
import { readMessage } from "./message.ts";
import { readSubject, type SubjectReading } from "./subject.ts";

function request(subject: string): Extract<SubjectReading, { kind: "request" }> {
  const reading = readSubject(subject);
  if (reading.kind !== "request") {
    throw new Error(`expected a request for ${JSON.stringify(subject)}, got ${reading.kind}`);
  }
  return reading;
}

const iso = (dates: Date[]): string[] => dates.map((d) => d.toISOString());

describe("readSubject: PKB's own wording", () => {
  it("reads a cancel request in BST as UTC one hour earlier", () => {
    const r = request("Request to cancel appointment: 14/05/2026 10:30 Cardiology follow-up");
    expect(r.action).toBe("cancel");
    expect(iso(r.quotedStarts)).toEqual(["2026-05-14T09:30:00.000Z"]);
    expect(r.appointmentSubject).toBe("Cardiology follow-up");
    expect(r.wallTime).toEqual({ year: 2026, month: 5, day: 14, hour: 10, minute: 30 });
  });

  it("reads a change request in GMT as the same UTC time", () => {
    const r = request("Request to change appointment: 03/12/2026 08:15 Dermatology new patient");
    expect(r.action).toBe("change");
    expect(iso(r.quotedStarts)).toEqual(["2026-12-03T08:15:00.000Z"]);
    expect(r.appointmentSubject).toBe("Dermatology new patient");
  });
});

describe("readSubject: variants real traffic has", () => {
  const expected = ["2026-05-14T09:30:00.000Z"];
  it.each([
    "Re: Request to cancel appointment: 14/05/2026 10:30 Cardiology follow-up",
    "RE: Fwd: re: Request to cancel appointment: 14/05/2026 10:30 Cardiology follow-up",
    "Fw: Request to cancel appointment: 14/05/2026 10:30 Cardiology follow-up",
    "Request to Cancel Appointment: 14/05/2026 10:30 Cardiology follow-up",
    "REQUEST TO CANCEL APPOINTMENT: 14/05/2026 10:30 CARDIOLOGY FOLLOW-UP",
    "request to cancel appointment: 14/05/2026 10:30 Cardiology follow-up",
    "Request to cancel appointment:  14/05/2026  10:30  Cardiology follow-up ",
    "  Request  to cancel\u00a0appointment :14/05/2026 10:30 Cardiology follow-up",
    "Request to cancel appointment - 14/05/2026 10:30 Cardiology follow-up",
    "Request to cancel appointment \u2013 14/05/2026 10:30 Cardiology follow-up",
    "Request to cancel my appointment: 14/05/2026 10:30 Cardiology follow-up",
    "Request to cancel appointment: 14/5/2026 10:30 Cardiology follow-up",
    "Request to cancel appointment: 14.05.2026 10.30 Cardiology follow-up",
    "Request to cancel appointment: 14-05-2026 10:30 Cardiology follow-up",
    "Request to cancel appointment: 14/05/26 10:30 Cardiology follow-up",
    "Request to cancel appointment: 14/05/2026, 10:30 Cardiology follow-up",
    "Request to cancel appointment: 14/05/2026 at 10:30 Cardiology follow-up",
    "Request to cancel appointment: 14/05/2026 10:30am Cardiology follow-up",
    "Request to cancel appointment: 14/05/2026 10:30 - Cardiology follow-up.",
    "Request to cancel appointment: 14/05/2026 10:30 Cardiology follow-up!!",
    "Request to cancel appointment: \uff11\uff14/05/2026 10:30 Cardiology follow-up",
    "Request to cancel appointment: 14/05/2026 10:30 Cardio\u200blogy follow-up",
  ])("%j", (subject) => {
    const r = request(subject);
    expect(r.action).toBe("cancel");
    expect(iso(r.quotedStarts)).toEqual(expected);
    expect(r.appointmentSubject?.toLowerCase()).toBe("cardiology follow-up");
  });

  it("reads a one-digit day, month and hour", () => {
    const r = request("Request to change appointment: 3/2/2026 9:05 Renal clinic");
    expect(iso(r.quotedStarts)).toEqual(["2026-02-03T09:05:00.000Z"]);
  });

  it("reads pm times on the 24-hour clock", () => {
    expect(
      iso(request("Request to change appointment: 3/2/2026 2.15pm Renal").quotedStarts),
    ).toEqual(["2026-02-03T14:15:00.000Z"]);
    expect(iso(request("Request to change appointment: 3/2/2026 12:15 pm").quotedStarts)).toEqual([
      "2026-02-03T12:15:00.000Z",
    ]);
  });

  it("keeps a request whose subject is missing, with no appointment subject", () => {
    for (const subject of [
      "Request to cancel appointment: 14/05/2026 10:30",
      "Request to cancel appointment: 14/05/2026 10:30 .",
    ]) {
      const r = request(subject);
      expect(r.appointmentSubject).toBeNull();
      expect(iso(r.quotedStarts)).toEqual(expected);
    }
  });
});

describe("readSubject: clock changes (Europe/London)", () => {
  it("the Friday before the spring change is GMT, the Monday after is BST", () => {
    expect(iso(request("Request to cancel appointment: 27/03/2026 10:00 X").quotedStarts)).toEqual([
      "2026-03-27T10:00:00.000Z",
    ]);
    expect(iso(request("Request to cancel appointment: 30/03/2026 10:00 X").quotedStarts)).toEqual([
      "2026-03-30T09:00:00.000Z",
    ]);
  });

  it("the Saturday before the autumn change is BST, the Monday after is GMT", () => {
    expect(iso(request("Request to cancel appointment: 24/10/2026 10:00 X").quotedStarts)).toEqual([
      "2026-10-24T09:00:00.000Z",
    ]);
    expect(iso(request("Request to cancel appointment: 26/10/2026 10:00 X").quotedStarts)).toEqual([
      "2026-10-26T10:00:00.000Z",
    ]);
  });

  it("on the spring-forward day 01:30 did not happen: needs triage, not a guess", () => {
    const r = readSubject("Request to cancel appointment: 29/03/2026 01:30 Cardiology clinic");
    expect(r).toMatchObject({ kind: "needs-triage", action: "cancel" });
    if (r.kind === "needs-triage") expect(r.reason).toMatch(/clocks went forward/);
    // 02:00 local on that day is BST, 01:00Z.
    expect(iso(request("Request to cancel appointment: 29/03/2026 02:00 X").quotedStarts)).toEqual([
      "2026-03-29T01:00:00.000Z",
    ]);
  });

  it("on the fall-back day 01:30 happened twice: both readings, BST first", () => {
    const r = request("Request to change appointment: 25/10/2026 01:30 Cardiology clinic");
    expect(iso(r.quotedStarts)).toEqual(["2026-10-25T00:30:00.000Z", "2026-10-25T01:30:00.000Z"]);
    // Either side of the repeated hour there is one reading.
    expect(iso(request("Request to change appointment: 25/10/2026 00:59 X").quotedStarts)).toEqual([
      "2026-10-24T23:59:00.000Z",
    ]);
    expect(iso(request("Request to change appointment: 25/10/2026 02:00 X").quotedStarts)).toEqual([
      "2026-10-25T02:00:00.000Z",
    ]);
  });
});

describe("readSubject: requests the portal cannot place", () => {
  it.each([
    ["Request to cancel appointment", /no date/],
    ["Request to cancel appointment: Cardiology follow-up", /no date/],
    ["Request to cancel appointment: next Tuesday 10:30", /no date/],
    ["Request to change appointment: 14/05/2026 Cardiology follow-up", /no time/],
    ["Request to change appointment: 31/02/2026 10:30 Cardiology", /not a real date/],
    ["Request to change appointment: 14/13/2026 10:30 Cardiology", /not a real date/],
    ["Request to change appointment: 14/05/2026 25:30 Cardiology", /not a real date/],
    ["Request to change appointment: 14/05/2026 13:30pm Cardiology", /not a real time/],
  ])("%j needs triage", (subject, reason) => {
    const r = readSubject(subject);
    expect(r.kind).toBe("needs-triage");
    if (r.kind === "needs-triage") expect(r.reason).toMatch(reason);
  });
});

describe("readSubject: ordinary conversation is not a request", () => {
  it.each([
    "Question about my medication",
    "Appointment",
    "Can I change my appointment?",
    "Cancel",
    "Re: Your letter",
    "Request for a copy of my letter",
    "Request to cancel prescription: 14/05/2026 10:30",
    "",
    "   ",
  ])("%j", (subject) => {
    expect(readSubject(subject)).toEqual({ kind: "not-a-request" });
  });

  it("treats a missing subject as conversation", () => {
    expect(readSubject(null)).toEqual({ kind: "not-a-request" });
    expect(readSubject(undefined)).toEqual({ kind: "not-a-request" });
  });
});

describe("readMessage", () => {
  const subject = "Re: Request to cancel appointment: 14/05/2026 10:30 Cardiology follow-up";
  it("reads the patient's own message", () => {
    expect(readMessage({ subject, senderId: "p1", patientId: "p1" }).kind).toBe("request");
  });
  it("ignores a clinician's reply quoting the request", () => {
    expect(readMessage({ subject, senderId: "clinician", patientId: "p1" }).kind).toBe(
      "not-a-request",
    );
  });
});
