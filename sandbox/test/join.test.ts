import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSandbox } from "../src/server.ts";
import {
  admin,
  facade,
  parametersOf,
  partsByName,
  startTestSandbox,
  type FhirPart,
  type Identifier,
} from "./support.ts";

let sb: RunningSandbox;
let eligible: { identifier: Identifier; birthDate: string }[];

beforeAll(async () => {
  sb = await startTestSandbox();
  eligible = (await admin(sb, "GET", "/patients?category=eligible&limit=20")).body.patients as {
    identifier: Identifier;
    birthDate: string;
  }[];
});
afterAll(() => sb.close());

async function invite(
  index: number,
): Promise<{ t1: string; t2: string; id: Identifier; dob: string }> {
  const p = eligible[index];
  if (!p) throw new Error("no patient");
  const res = await facade(
    sb,
    "Organization/$generate-invitation-tokens",
    parametersOf("patientIdentifier", [p.identifier]),
  );
  const parts = partsByName(res.body.parameter?.[0] as FhirPart);
  return {
    t1: parts.code?.valueString ?? "",
    t2: parts.token?.valueString ?? "",
    id: p.identifier,
    dob: p.birthDate,
  };
}

const form = (url: string, fields: Record<string, string>): Promise<Response> =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });

function dobFields(dob: string): Record<string, string> {
  const [y, m, d] = dob.split("-");
  return { "dob-day": String(Number(d)), "dob-month": String(Number(m)), "dob-year": y ?? "" };
}

describe("Join PKB over HTTP (pkb-api.md §7)", () => {
  it("asks for codes when none are given, and says clearly when they are unknown", async () => {
    const blank = await fetch(`${sb.url}/join`);
    expect(blank.status).toBe(200);
    expect(await blank.text()).toContain("Invitation code");
    const unknown = await fetch(`${sb.url}/join?t1=AAAAAAAAAA&t2=BBBBBBBBBB`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain("We could not find your invitation");
  });

  it("registers the patient after DOB, e-mail and password; status-query then says registered and the tokens stop working", async () => {
    const { t1, t2, id, dob } = await invite(0);
    const second = await invite(0);
    const start = await fetch(
      `${sb.url}/join/mchft_prt_code?t1=${t1}&t2=${t2}&e=${encodeURIComponent("amelia@example.com")}`,
    );
    expect(start.status).toBe(200);
    const startHtml = await start.text();
    expect(startHtml).toContain("Confirm your date of birth");
    expect(startHtml).not.toContain(dob);
    const verified = await form(`${sb.url}/join/verify`, {
      t1,
      t2,
      e: "amelia@example.com",
      ...dobFields(dob),
    });
    expect(verified.status).toBe(200);
    const accountHtml = await verified.text();
    expect(accountHtml).toContain("Create your account");
    expect(accountHtml).toContain('value="amelia@example.com"');
    const session = /name="session" value="([^"]+)"/.exec(accountHtml)?.[1] ?? "";
    const mismatch = await form(`${sb.url}/join/register`, {
      session,
      email: "amelia@example.com",
      "confirm-email": "other@example.com",
      password: "secret123",
      "confirm-password": "secret123",
    });
    expect(mismatch.status).toBe(400);
    expect(await mismatch.text()).toContain("Email addresses do not match");
    const done = await form(`${sb.url}/join/register`, {
      session,
      email: "amelia@example.com",
      "confirm-email": "amelia@example.com",
      password: "secret123",
      "confirm-password": "secret123",
    });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("You have joined Patients Know Best");

    const status = await facade(
      sb,
      "Patient/$status-query",
      parametersOf("patientIdentifier", [id]),
    );
    expect(partsByName(status.body.parameter?.[0] as FhirPart).registered?.valueBoolean).toBe(true);
    for (const pair of [{ t1, t2 }, second]) {
      const again = await fetch(`${sb.url}/join?t1=${pair.t1}&t2=${pair.t2}`);
      expect(again.status).toBe(410);
      expect(await again.text()).toContain("already been used");
    }
    expect(
      (
        await form(`${sb.url}/join/register`, {
          session,
          email: "a@example.com",
          "confirm-email": "a@example.com",
          password: "secret123",
          "confirm-password": "secret123",
        })
      ).status,
    ).toBe(400);
  });

  it("refuses a wrong date of birth, and locks the invitation after five tries", async () => {
    const { t1, t2 } = await invite(1);
    for (let i = 0; i < 4; i++) {
      const wrong = await form(`${sb.url}/join/verify`, {
        t1,
        t2,
        "dob-day": "1",
        "dob-month": "1",
        "dob-year": "1900",
      });
      expect(wrong.status).toBe(400);
      expect(await wrong.text()).toContain("does not match our records");
    }
    const impossible = await form(`${sb.url}/join/verify`, {
      t1,
      t2,
      "dob-day": "31",
      "dob-month": "2",
      "dob-year": "1990",
    });
    expect(await impossible.text()).toContain("must be a real date");
    const locked = await form(`${sb.url}/join/verify`, {
      t1,
      t2,
      "dob-day": "1",
      "dob-month": "1",
      "dob-year": "1900",
    });
    expect(locked.status).toBe(403);
    expect((await fetch(`${sb.url}/join?t1=${t1}&t2=${t2}`)).status).toBe(410);
  });

  it("escapes everything it echoes", async () => {
    const res = await fetch(
      `${sb.url}/join?t1=${encodeURIComponent("<script>alert(1)</script>")}&t2=`,
    );
    const text = await res.text();
    expect(text).not.toContain("<script>alert(1)</script>");
    expect(text).toContain("&lt;script&gt;");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
  });
});
