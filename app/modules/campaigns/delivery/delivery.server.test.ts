import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SYSTEM_ACTOR } from "~/modules/audit/audit.server.ts";
import { prisma } from "~/platform/db.server.ts";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import { startSandbox, type RunningSandbox } from "../../../../sandbox/src/server.ts";
import { offlineConnection } from "../testing.server.ts";
import { decideDispatch, startWave } from "./delivery.server.ts";
import { loadNotifyProvider } from "./providers/notify-provider.server.ts";
import { pollPendingStatuses } from "./receipts.server.ts";
import {
  configureSandboxNotify,
  seedGeneratedCampaign,
  type SeedRecipient,
} from "./testing.server.ts";
import { runWaveSlice, type WaveSliceResult } from "./wave.server.ts";

/**
 * Text-message and e-mail waves through the sandbox's GOV.UK Notify over real HTTP, with the real
 * client: at most one send per recipient under 500s, 429s, lost connections and gateways; each
 * checked against the sandbox's own record of what it sent (H4), shared mobiles held (H3).
 */
withTestDatabase();
let sb: RunningSandbox;
let connectionId: string;
const context = { actor: { id: null, label: "tester@example.nhs.uk" }, clientAddress: null };

async function admin(method: string, path: string, body?: unknown, retried = false) {
  try {
    const res = await fetch(`${sb.url}/_sandbox${path}`, {
      method,
      headers: { "x-sandbox-admin-key": sb.adminKey, "content-type": "application/json" },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await res.json()) as Record<string, unknown>;
  } catch (error) {
    // A pooled connection the sandbox closed (its reset faults): the control call is safe to repeat.
    if (retried) throw error;
    return admin(method, path, body, true);
  }
}
interface Send {
  to: string;
  normalisedTo: string;
  reference: string;
  body: string;
  type: string;
}
async function sends(): Promise<Send[]> {
  return (await admin("GET", "/notify/sends?limit=100000")).sends as Send[];
}

/**
 * Runs a wave's slices until it settles. The provider's timeout is short by default so the "hang"
 * fault test is quick; tests that must not see timeouts on a busy machine pass a longer one.
 */
async function runUntilSettled(
  waveId: string,
  maxSlices = 40,
  timeoutMs = 2_000,
): Promise<WaveSliceResult> {
  const provider = (await loadNotifyProvider(timeoutMs))!;
  let result: WaveSliceResult = { kind: "more" };
  for (let i = 0; i < maxSlices; i++) {
    result = await runWaveSlice(waveId, provider, {
      concurrency: 4,
      staleMs: 60_000,
      signal: AbortSignal.timeout(20_000),
    });
    if (result.kind === "done" || result.kind === "paused") return result;
    if (result.kind === "waiting") {
      // Make retries due now instead of waiting for their backoff.
      const db = await prisma();
      await db.invitationDispatch.updateMany({
        where: { state: "TEMPORARY_FAILURE", notBefore: { not: null } },
        data: { notBefore: new Date(Date.now() - 1000) },
      });
    }
  }
  return result;
}

async function dispatchStates(campaignId: string) {
  const db = await prisma();
  const rows = await db.invitationDispatch.findMany({
    where: { campaignId },
    select: { state: true, recipientId: true, channel: true, reason: true, id: true },
  });
  return rows;
}

function people(n: number, extra: Partial<SeedRecipient> = {}): SeedRecipient[] {
  return Array.from({ length: n }, () => ({ ...extra }));
}

beforeAll(async () => {
  sb = await startSandbox({ port: 0, patients: 5 });
  connectionId = await offlineConnection();
});
afterAll(() => sb?.close());
beforeEach(async () => {
  await admin("PUT", "/faults", {});
  await admin("DELETE", "/notify/sends");
  await admin("DELETE", "/notify/outcomes");
  await configureSandboxNotify(sb.url);
});

describe("an SMS wave through Notify", () => {
  it("sends each patient two texts — codes, then link — and holds a mobile shared by two patients", async () => {
    const seeded = people(12);
    seeded[3] = { mobile: "+447700911111" };
    seeded[7] = { mobile: "+447700911111" };
    const { campaignId, recipientIds, codes } = await seedGeneratedCampaign(connectionId, seeded);
    const { waveId } = await startWave(campaignId, "SMS", context);
    expect((await runUntilSettled(waveId)).kind).toBe("done");

    const rows = await dispatchStates(campaignId);
    expect(rows.filter((r) => r.state === "SENT")).toHaveLength(10);
    const held = rows.filter((r) => r.state === "HELD");
    expect(held.map((r) => r.recipientId).sort()).toEqual(
      [recipientIds[3], recipientIds[7]].sort(),
    );
    expect(held[0]!.reason).toContain("also belongs to 1 other patient");

    const record = await sends();
    expect(record).toHaveLength(20);
    expect(record.some((s) => s.normalisedTo === "447700911111")).toBe(false);
    const first = record.filter((s) => s.normalisedTo === "447700910000");
    expect(first).toHaveLength(2);
    const [codesText, linkText] = [...first].sort((a, b) => a.reference.localeCompare(b.reference));
    expect(codesText!.body).toContain(codes[0]!.t1);
    expect(codesText!.body).toContain(codes[0]!.t2);
    expect(codesText!.body).not.toContain("http");
    expect(linkText!.body).toContain(`t1=${codes[0]!.t1}&t2=${codes[0]!.t2}`);

    // A person clears one hold and refuses the other; the next wave sends exactly one more pair.
    await decideDispatch(campaignId, held[0]!.id, "release", context);
    await decideDispatch(campaignId, held[1]!.id, "do-not-send", context);
    const again = await startWave(campaignId, "SMS", context);
    expect((await runUntilSettled(again.waveId)).kind).toBe("done");
    const after = await sends();
    expect(after.filter((s) => s.normalisedTo === "447700911111")).toHaveLength(2);
    expect(after).toHaveLength(22);
    const db = await prisma();
    const audit = await db.auditEvent.count({ where: { action: "campaign.dispatch-decided" } });
    expect(audit).toBeGreaterThanOrEqual(2);

    // Delivery receipts by polling: every pair delivered → DELIVERED.
    await admin("PUT", "/notify/settings", { sendingAfterSeconds: 0, deliveredAfterSeconds: 0 });
    await pollPendingStatuses(campaignId, (await loadNotifyProvider())!, {
      olderThanMs: 0,
      limit: 1000,
    });
    const delivered = (await dispatchStates(campaignId)).filter((r) => r.state === "DELIVERED");
    expect(delivered).toHaveLength(11);
  });

  it(
    "never sends anyone twice while Notify answers 500s and 429s; every patient ends sent",
    { timeout: 120_000 },
    async () => {
      const { campaignId } = await seedGeneratedCampaign(connectionId, people(40));
      await admin("PUT", "/faults", {
        notify: { rate500: 0.25, rate429: 0.1, retryAfterSeconds: 1 },
      });
      const { waveId } = await startWave(campaignId, "SMS", context);
      expect((await runUntilSettled(waveId, 80, 15_000)).kind).toBe("done");
      const rows = await dispatchStates(campaignId);
      expect(rows.filter((r) => r.state !== "SENT").map((r) => `${r.state}: ${r.reason}`)).toEqual(
        [],
      );
      expect(rows).toHaveLength(40);
      const record = (await admin("GET", "/notify/sends?limit=100000")) as {
        perRecipient: Record<string, number>;
      };
      // Two messages per patient, never more: a failed part was retried only when Notify said it did not act.
      expect(Object.values(record.perRecipient)).toHaveLength(40);
      expect(Object.values(record.perRecipient).every((n) => n === 2)).toBe(true);
    },
  );

  it("a lost connection after Notify acted, a timeout and a gateway 502 are OUTCOME_UNKNOWN and never resent", async () => {
    const { campaignId, recipientIds } = await seedGeneratedCampaign(connectionId, people(3));
    await admin("PUT", "/faults", {
      "notify.send-sms": { resetAfterCommitRate: 1, remaining: 1 },
    });
    const { waveId } = await startWave(campaignId, "SMS", context);
    await runUntilSettled(waveId);
    await admin("PUT", "/faults", { "notify.send-sms": { rate502: 1, remaining: 1 } });
    const second = await seedGeneratedCampaign(
      connectionId,
      people(1, { mobile: "+447700955555" }),
    );
    const w2 = await startWave(second.campaignId, "SMS", context);
    await runUntilSettled(w2.waveId);
    await admin("PUT", "/faults", { "notify.send-sms": { hangRate: 1, remaining: 1 } });
    const third = await seedGeneratedCampaign(connectionId, people(1, { mobile: "+447700966666" }));
    const w3 = await startWave(third.campaignId, "SMS", context);
    await runUntilSettled(w3.waveId);

    const all = [
      ...(await dispatchStates(campaignId)),
      ...(await dispatchStates(second.campaignId)),
      ...(await dispatchStates(third.campaignId)),
    ];
    const unknown = all.filter((r) => r.state === "OUTCOME_UNKNOWN");
    expect(unknown).toHaveLength(3);
    expect(unknown.map((r) => r.reason).join(" ")).toMatch(/may have sent/);
    expect(unknown.map((r) => r.reason).join(" ")).toMatch(/502/);
    // Another wave does not touch them.
    const before = (await sends()).length;
    const again = await startWave(campaignId, "SMS", context);
    await runUntilSettled(again.waveId);
    expect((await sends()).length).toBe(before);
    // The reset-after-commit send did reach Notify: exactly once.
    const lost = unknown.find((r) => recipientIds.includes(r.recipientId))!;
    const record = await sends();
    expect(record.filter((s) => s.reference.startsWith(lost.id))).toHaveLength(1);
  });

  it("Notify refusing a number lands in PERMANENT_FAILURE; an undeliverable one too, after its receipt", async () => {
    const { campaignId, recipientIds } = await seedGeneratedCampaign(connectionId, [
      { mobile: "01632 960123" },
      { mobile: "+447700977777" },
      {},
    ]);
    await admin("POST", "/notify/outcomes", {
      recipients: { "+447700977777": "permanent-failure" },
    });
    await admin("PUT", "/notify/settings", { sendingAfterSeconds: 0, deliveredAfterSeconds: 0 });
    const { waveId } = await startWave(campaignId, "SMS", context);
    await runUntilSettled(waveId);
    await pollPendingStatuses(campaignId, (await loadNotifyProvider())!, {
      olderThanMs: 0,
      limit: 100,
    });
    const rows = await dispatchStates(campaignId);
    const byRecipient = new Map(rows.map((r) => [r.recipientId, r]));
    expect(byRecipient.get(recipientIds[0]!)).toMatchObject({
      state: "PERMANENT_FAILURE",
      reason: expect.stringContaining("Not a UK mobile number"),
    });
    expect(byRecipient.get(recipientIds[1]!)?.state).toBe("PERMANENT_FAILURE");
    expect(byRecipient.get(recipientIds[2]!)?.state).toBe("DELIVERED");
  });

  it("a refused API key pauses the wave with a message for the administrator and sends nothing", async () => {
    const { campaignId } = await seedGeneratedCampaign(connectionId, people(3));
    await configureSandboxNotify(
      sb.url,
      "pkb_desk_sandbox-5d1f7c2a-6b3e-4c8d-9a0f-1e2d3c4b5a69-00000000-0000-4000-8000-000000000000",
    );
    const { waveId } = await startWave(campaignId, "SMS", context);
    const result = await runUntilSettled(waveId);
    expect(result.kind).toBe("paused");
    const db = await prisma();
    const wave = await db.deliveryWave.findUniqueOrThrow({ where: { id: waveId } });
    expect(wave.state).toBe("PAUSED");
    expect(wave.pausedReason).toMatch(/administrator must fix/);
    expect(await sends()).toHaveLength(0);
    // Fixed settings + resume: everyone is sent once.
    await configureSandboxNotify(sb.url);
    await startWave(campaignId, "SMS", context);
    expect((await runUntilSettled(waveId)).kind).toBe("done");
    expect(await sends()).toHaveLength(6);
  });

  it("a claim left by a dead worker becomes OUTCOME_UNKNOWN, not a second send", async () => {
    const { campaignId, recipientIds } = await seedGeneratedCampaign(connectionId, people(2));
    const db = await prisma();
    await db.invitationDispatch.create({
      data: {
        campaignId,
        recipientId: recipientIds[0]!,
        channel: "SMS",
        inviteRound: 1,
        state: "CLAIMED",
        attempts: 1,
        claimedAt: new Date(Date.now() - 10 * 60_000),
      },
    });
    const { waveId } = await startWave(campaignId, "SMS", context);
    await runUntilSettled(waveId);
    const rows = await dispatchStates(campaignId);
    expect(rows.find((r) => r.recipientId === recipientIds[0])?.state).toBe("OUTCOME_UNKNOWN");
    expect(await sends()).toHaveLength(2);
  });

  it("an e-mail wave carries the Join link with t1, t2 and e", async () => {
    const { campaignId, codes } = await seedGeneratedCampaign(connectionId, people(2));
    const { waveId } = await startWave(campaignId, "EMAIL", context);
    expect((await runUntilSettled(waveId)).kind).toBe("done");
    const record = await sends();
    expect(record).toHaveLength(2);
    const mail = record.find((s) => s.to === "patient0@example.com")!;
    expect(mail.body).toContain(
      `/join?t1=${codes[0]!.t1}&t2=${codes[0]!.t2}&e=patient0%40example.com`,
    );
    expect(SYSTEM_ACTOR.id).toBeNull();
  });
});
