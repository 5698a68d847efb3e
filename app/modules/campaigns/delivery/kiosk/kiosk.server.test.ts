import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "~/modules/audit/audit.server.ts";
import { saveNotifySettings } from "~/modules/notify/settings.server.ts";
import { IDENTIFIER_SYSTEMS } from "~/modules/pkb/identifiers.ts";
import { startTestSandbox, type TestSandbox } from "~/modules/pkb/testing/pkb-sandbox.ts";
import * as kioskRoute from "~/routes/kiosk.$campaignId/route.tsx";
import * as deliveryRoute from "~/routes/_shell.campaigns.$campaignId.delivery/route.tsx";
import { prisma } from "~/platform/db.server.ts";
import { stopJobRuntime } from "~/platform/jobs/runtime.server.ts";
import {
  DEFAULT_NOTIFY_API_KEY,
  DEFAULT_NOTIFY_TEMPLATES,
} from "../../../../../sandbox/src/notify/config.ts";
import { withTestDatabase } from "../../../../../tests/support/database.ts";
import { get, post, signedInAs, type Identity } from "../../../../../tests/support/requests.ts";
import { forgetCampaignFacades } from "../../batches/facade-factory.server.ts";
import { syntheticNhsNumber } from "../../test-support.ts";
import { sandboxConnection } from "../../testing.server.ts";
import { decideDispatch } from "../delivery.server.ts";
import { longDate } from "../recipient-content.server.ts";
import { saveTemplate } from "../templates/templates.server.ts";
import { sendKioskInvitation } from "./kiosk-invite.server.ts";
import { KIOSK_PROBE_LIMIT } from "./kiosk.server.ts";

/**
 * The kiosk end to end on the server: the route's two steps as a signed-in kiosk, PKB's
 * status-query and token call against the sandbox over HTTP, and the e-mail checked against the
 * sandbox Notify's own record of what it sent.
 */
withTestDatabase();

interface SandboxPatient {
  identifier: { system: string; value: string };
  birthDate: string | null;
}

let pkb: TestSandbox;
let kiosk: Identity;
let campaignId: string;

async function patients(category: string, limit = 10): Promise<SandboxPatient[]> {
  const answer = await pkb.admin("GET", `/patients?category=${category}&limit=${limit * 3}`);
  return (answer.patients as SandboxPatient[])
    .filter((p) => p.identifier.system === IDENTIFIER_SYSTEMS.nhs && p.birthDate)
    .slice(0, limit);
}

function dobFields(birthDate: string) {
  const [year, month, day] = birthDate.split("-");
  return { dobDay: String(Number(day)), dobMonth: String(Number(month)), dobYear: year! };
}

async function submit(form: Record<string, string>, who: Identity = kiosk) {
  const response = (await kioskRoute.action({
    request: post(`/kiosk/${campaignId}`, form, who),
    params: { campaignId },
    context: {},
  })) as Response;
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function identify(patient: SandboxPatient, who: Identity = kiosk) {
  return submit(
    { intent: "identify", nationalId: patient.identifier.value, ...dobFields(patient.birthDate!) },
    who,
  );
}

async function sendsTo(
  email: string,
): Promise<Array<{ personalisation?: Record<string, string> }>> {
  const answer = await pkb.admin("GET", `/notify/sends?recipient=${encodeURIComponent(email)}`);
  return answer.sends as Array<{ personalisation?: Record<string, string> }>;
}

beforeAll(async () => {
  // PKB's clock and the portal's agree (today), as on a real kiosk: the age rules match.
  pkb = await startTestSandbox({ patients: 400, now: new Date().toISOString() });
  const connectionId = await sandboxConnection(pkb.sandbox.url, pkb.trustPublicId);
  const db = await prisma();
  campaignId = (
    await db.campaign.create({
      data: {
        name: "Outpatients kiosk",
        pkbConnectionId: connectionId,
        channel: "KIOSK",
        identifierKind: "NHS",
      },
    })
  ).id;
  await saveNotifySettings(
    {
      baseUrl: pkb.sandbox.url,
      apiKey: DEFAULT_NOTIFY_API_KEY,
      smsTemplateId: DEFAULT_NOTIFY_TEMPLATES[0]!.id,
      emailTemplateId: DEFAULT_NOTIFY_TEMPLATES[1]!.id,
      callbackBearerToken: "kiosk-callback-token-0123",
    },
    { actor: SYSTEM_ACTOR, clientAddress: null },
  );
  kiosk = await signedInAs("KIOSK");
});

beforeEach(() => forgetCampaignFacades());

afterAll(async () => {
  await stopJobRuntime();
  await pkb.close();
});

describe("kiosk sign-up", () => {
  it("an eligible patient gives an e-mail address and receives exactly one invitation", async () => {
    const [patient] = await patients("eligible", 1);
    const first = await identify(patient!);
    expect(first.body.step).toBe("email");
    const visitId = first.body.visitId as string;

    const email = "kiosk.patient.one@example.com";
    const mismatch = await submit({
      intent: "email",
      visitId,
      email,
      emailAgain: "kiosk.patient.0ne@example.com",
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors).toEqual([
      { field: "emailAgain", message: "The two e-mail addresses are not the same" },
    ]);

    const done = await submit({ intent: "email", visitId, email, emailAgain: email });
    expect(done.body).toEqual({ step: "done" });
    // The same visit cannot be used twice (a double tap, or a copied form).
    const again = await submit({ intent: "email", visitId, email, emailAgain: email });
    expect(again.body).toEqual({ step: "message", message: "visit-expired" });

    const db = await prisma();
    const recipient = await db.recipient.findUniqueOrThrow({
      where: { campaignId_nationalId: { campaignId, nationalId: patient!.identifier.value } },
    });
    expect(await sendKioskInvitation(recipient.id)).toBe("sent");
    // The job running again (a retry, a second worker) sends nothing more.
    expect(await sendKioskInvitation(recipient.id)).toBe("already-dispatched");

    const sends = await sendsTo(email);
    expect(sends).toHaveLength(1);
    const body = sends[0]!.personalisation!.body!;
    const stored = await db.recipient.findUniqueOrThrow({ where: { id: recipient.id } });
    expect(stored.state).toBe("TOKEN_ISSUED");
    expect(stored.tokensIssued).toBe(1);
    expect(body).toMatch(
      /\/join\?t1=[A-Za-z0-9]{10}&t2=[A-Za-z0-9]{10}&e=kiosk\.patient\.one%40example\.com/,
    );
    // The date of birth is never written into the invitation.
    const [year, month, day] = patient!.birthDate!.split("-");
    expect(body).not.toContain(patient!.birthDate!);
    expect(body).not.toContain(`${day}/${month}/${year}`);
    const dispatch = await db.invitationDispatch.findFirstOrThrow({
      where: { recipientId: recipient.id },
    });
    expect(dispatch).toMatchObject({ channel: "KIOSK", state: "SENT", inviteRound: 1 });

    // Back at the kiosk the next day: told, not invited twice.
    const repeat = await identify(patient!);
    expect(repeat.body).toEqual({ step: "message", message: "already-invited" });
  });

  it("tells a registered patient and a patient under 16 plainly, and nothing else", async () => {
    const [registered] = await patients("registered", 1);
    expect((await identify(registered!)).body).toEqual({
      step: "message",
      message: "already-registered",
    });
    const [young] = await patients("under-16", 1);
    expect((await identify(young!)).body).toEqual({ step: "message", message: "under-16" });
  });

  it("gives the same answer for a deceased patient, a wrong date of birth and an unknown number", async () => {
    const [deceased] = await patients("deceased", 1);
    const [eligible] = await patients("eligible", 2).then((list) => list.slice(1));
    const kioskB = await signedInAs("KIOSK");
    expect((await identify(deceased!, kioskB)).body).toEqual({
      step: "message",
      message: "no-match",
    });
    const wrongDate = { ...eligible!, birthDate: "1950-01-02" };
    expect((await identify(wrongDate, kioskB)).body).toEqual({
      step: "message",
      message: "no-match",
    });
    const unknown = {
      identifier: { system: IDENTIFIER_SYSTEMS.nhs, value: syntheticNhsNumber(77) },
      birthDate: "1970-05-05",
    };
    expect((await identify(unknown, kioskB)).body).toEqual({
      step: "message",
      message: "no-match",
    });
    const db = await prisma();
    // Nothing is written about a patient who did not match.
    expect(
      await db.recipient.count({
        where: {
          campaignId,
          nationalId: { in: [deceased!.identifier.value, eligible!.identifier.value] },
        },
      }),
    ).toBe(0);
  });

  it("names the field for a mistyped NHS number or an impossible date", async () => {
    const bad = await submit({
      intent: "identify",
      nationalId: "943 476 5918",
      dobDay: "31",
      dobMonth: "2",
      dobYear: "1980",
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([
      {
        field: "nationalId",
        message: "That is not a valid NHS number. Check the 10 digits on your letter or NHS App",
      },
      { field: "dobDay", message: "Enter a real date of birth" },
    ]);
  });

  it("stops a kiosk that keeps trying numbers that do not match", async () => {
    const [patient] = await patients("eligible", 3).then((list) => list.slice(2));
    const kioskC = await signedInAs("KIOSK");
    const wrong = { ...patient!, birthDate: "1949-12-31" };
    for (let attempt = 0; attempt < KIOSK_PROBE_LIMIT; attempt++) {
      expect((await identify(wrong, kioskC)).body.message).toBe("no-match");
    }
    // Even the right details are now refused on this kiosk until the window passes.
    expect((await identify(patient!, kioskC)).body).toEqual({
      step: "message",
      message: "too-many-attempts",
    });
  });

  it("holds an e-mail address another patient of the campaign gave, and never sends it", async () => {
    const [a, b] = await patients("eligible", 6).then((list) => list.slice(4));
    const shared = "family.shared@example.com";
    const db = await prisma();
    for (const patient of [a!, b!]) {
      const step = await identify(patient);
      const visitId = step.body.visitId as string;
      expect(
        (await submit({ intent: "email", visitId, email: shared, emailAgain: shared })).body,
      ).toEqual({ step: "done" });
    }
    const ids = await db.recipient.findMany({
      where: { campaignId, email: shared },
      select: { id: true },
    });
    expect(ids).toHaveLength(2);
    for (const { id } of ids) expect(await sendKioskInvitation(id)).toBe("held");
    expect(await sendsTo(shared)).toHaveLength(0);
    const held = await db.invitationDispatch.findMany({
      where: { recipientId: { in: ids.map((r) => r.id) } },
    });
    expect(held.map((d) => d.state)).toEqual(["HELD", "HELD"]);
    expect(held[0]!.reason).toContain("also given for 1 other patient");
  });

  it("after a crash between claiming and sending, waits for a person instead of sending", async () => {
    const [patient] = await patients("eligible", 7).then((list) => list.slice(6));
    const step = await identify(patient!);
    const email = "kiosk.crash@example.com";
    await submit({
      intent: "email",
      visitId: step.body.visitId as string,
      email,
      emailAgain: email,
    });
    const db = await prisma();
    const recipient = await db.recipient.findFirstOrThrow({ where: { campaignId, email } });
    // A worker claimed the send and died before Notify answered: the claim is all that is left.
    await db.invitationDispatch.create({
      data: { campaignId, recipientId: recipient.id, channel: "KIOSK", inviteRound: 1 },
    });
    await db.recipient.update({
      where: { id: recipient.id },
      data: {
        tokenSealed: "x",
        codeSealed: "x",
        tokenExpiresAt: new Date(Date.now() + 86_400_000),
      },
    });
    expect(await sendKioskInvitation(recipient.id)).toBe("outcome-unknown");
    expect(await sendKioskInvitation(recipient.id)).toBe("already-dispatched");
    expect(await sendsTo(email)).toHaveLength(0);
    const dispatch = await db.invitationDispatch.findFirstOrThrow({
      where: { recipientId: recipient.id },
    });
    expect(dispatch.state).toBe("OUTCOME_UNKNOWN");
    expect(dispatch.reason).toMatch(/may have been sent/);
  });

  it("shows held and outcome-unknown kiosk e-mails on the Delivery page with their reasons; a release sends once", async () => {
    // The two tests above left a shared address HELD (twice) and a crashed claim OUTCOME_UNKNOWN.
    const manager = await signedInAs("CAMPAIGN_MANAGER");
    const page = await deliveryRoute.loader({
      request: get(`/campaigns/${campaignId}/delivery`, manager),
      params: { campaignId },
      context: {},
    });
    const kioskRows = page.attention.filter((row) => row.channel === "KIOSK");
    expect(kioskRows.map((row) => row.state).sort()).toEqual(["HELD", "HELD", "OUTCOME_UNKNOWN"]);
    for (const row of kioskRows.filter((r) => r.state === "HELD")) {
      expect(row.reason).toContain("also given for 1 other patient");
    }
    expect(kioskRows.find((row) => row.state === "OUTCOME_UNKNOWN")!.reason).toMatch(
      /may have been sent/,
    );
    // Masked identifiers only, as for the other channels.
    for (const row of kioskRows) expect(row.nationalId).not.toMatch(/^\d{10}$/);

    // A person releases one held e-mail: the kiosk job sends it, once.
    const held = kioskRows.find((row) => row.state === "HELD")!;
    await decideDispatch(campaignId, held.id, "release", {
      actor: { id: null, label: "manager@example.nhs.uk" },
      clientAddress: null,
    });
    const db = await prisma();
    const dispatch = await db.invitationDispatch.findUniqueOrThrow({ where: { id: held.id } });
    expect(await sendKioskInvitation(dispatch.recipientId)).toBe("sent");
    expect(await sendKioskInvitation(dispatch.recipientId)).toBe("already-dispatched");
    expect(await sendsTo("family.shared@example.com")).toHaveLength(1);
  });

  it("uses the campaign's own e-mail wording when one is saved, with the same placeholders", async () => {
    await saveTemplate(
      campaignId,
      {
        channel: "EMAIL",
        subject: "Your invitation from ((trust name))",
        body: "Hello ((name)). Join here: ((join link)) (codes ((invitation code)) and ((access code))), before ((expiry date)).",
      },
      { actor: SYSTEM_ACTOR, clientAddress: null },
    );
    const [patient] = await patients("eligible", 8).then((list) => list.slice(7));
    const step = await identify(patient!);
    const email = "kiosk.wording@example.com";
    await submit({
      intent: "email",
      visitId: step.body.visitId as string,
      email,
      emailAgain: email,
    });
    const db = await prisma();
    const recipient = await db.recipient.findFirstOrThrow({ where: { campaignId, email } });
    expect(await sendKioskInvitation(recipient.id)).toBe("sent");
    const [sent] = await sendsTo(email);
    const stored = await db.recipient.findUniqueOrThrow({ where: { id: recipient.id } });
    const connection = await db.campaign.findUniqueOrThrow({
      where: { id: campaignId },
      select: { pkbConnection: { select: { label: true } } },
    });
    expect(sent!.personalisation!.subject).toBe(
      `Your invitation from ${connection.pkbConnection.label}`,
    );
    const body = sent!.personalisation!.body!;
    expect(body).toMatch(
      /^Hello [^.]+\. Join here: \S+\/join\?t1=(\w{10})&t2=(\w{10})&e=kiosk\.wording%40example\.com \(codes \1 and \2\), before /,
    );
    expect(body).toContain(`before ${longDate(stored.tokenExpiresAt!)}.`);
    expect(body).not.toContain("((");
  });

  it("is refused to staff roles, and other staff pages are refused to the kiosk", async () => {
    const manager = await signedInAs("CAMPAIGN_MANAGER");
    const response = await kioskRoute
      .action({
        request: post(`/kiosk/${campaignId}`, { intent: "identify" }, manager),
        params: { campaignId },
        context: {},
      })
      .catch((error: unknown) => error as Response);
    expect((response as Response).status).toBe(403);
  });
});
