import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { prisma } from "~/platform/db.server.ts";
import { action, loader } from "~/routes/_shell.requests.$requestId/route.tsx";
import { withTestDatabase } from "../../../tests/support/database.ts";
import { get, post, settle, signedInAs } from "../../../tests/support/requests.ts";

/** The detail page through its loader and action: scope, intents, and messages in words. */
withTestDatabase();

async function seed(teamName: string) {
  const db = await prisma();
  const team = await db.team.upsert({
    where: { name: teamName },
    create: { name: teamName },
    update: {},
  });
  return db.appointmentRequest.create({
    data: {
      grantId: randomUUID(),
      pkbMessageId: randomUUID(),
      patientPublicId: randomUUID(),
      action: "CHANGE",
      rawSubject: "Request to change appointment",
      patientNote: "",
      receivedAt: new Date("2026-05-01T10:00:00Z"),
      matchState: "NEEDS_TRIAGE",
      matchReason: "unreadable",
      teamId: team.id,
    },
  });
}

const call = (
  requestId: string,
  form: Record<string, string>,
  who: Awaited<ReturnType<typeof signedInAs>>,
) =>
  settle(() =>
    action({
      request: post(`/requests/${requestId}`, form, who),
      params: { requestId },
      context: {},
    }),
  );

describe("request detail page", () => {
  it("another team's request answers 404 to the page and to every intent", async () => {
    const handler = await signedInAs("REQUEST_HANDLER", ["Cardiology D1"]);
    const theirs = await seed("Dermatology D1");
    const page = await settle(() =>
      loader({
        request: get(`/requests/${theirs.id}`, handler),
        params: { requestId: theirs.id },
        context: {},
      }),
    );
    expect(page.status).toBe(404);
    const forms: Array<Record<string, string>> = [
      { intent: "claim", version: "0" },
      { intent: "action", version: "0", pasReference: "PAS-1" },
      { intent: "note", body: "hello" },
    ];
    for (const form of forms) {
      expect((await call(theirs.id, form, handler)).status).toBe(404);
    }
    expect(await (await prisma()).requestEvent.count({ where: { requestId: theirs.id } })).toBe(0);
  });

  it("claims, refuses an empty PAS reference in words, and reports a stale page as a conflict", async () => {
    const handler = await signedInAs("REQUEST_HANDLER", ["Cardiology D2"]);
    const mine = await seed("Cardiology D2");
    const claimed = await call(mine.id, { intent: "claim", version: "0" }, handler);
    expect(claimed.status).toBe(302);
    const empty = await call(
      mine.id,
      { intent: "action", version: "1", pasReference: "  " },
      handler,
    );
    expect(empty.status).toBe(400);
    expect(await empty.json()).toEqual({
      errors: [{ field: "pasReference", message: "Enter the PAS reference." }],
    });
    const stale = await call(mine.id, { intent: "release", version: "0" }, handler);
    expect(stale.status).toBe(409);
    expect(
      ((await stale.json()) as { errors: Array<{ message: string }> }).errors[0]?.message,
    ).toMatch(/Someone else changed this request/);
    const page = (await (
      await settle(() =>
        loader({
          request: get(`/requests/${mine.id}`, handler),
          params: { requestId: mine.id },
          context: {},
        }),
      )
    ).json()) as {
      work: { status: string; isMine: boolean };
      intents: string[];
      history: Array<{ what: string }>;
    };
    expect(page.work).toMatchObject({ status: "ASSIGNED", isMine: true });
    expect(page.intents).toEqual(["release", "action", "reject"]);
    expect(page.history.map((h) => h.what)).toEqual(["Claimed"]);
  });
});
