import type { DeliveryChannel, DispatchState } from "~/generated/prisma/enums.ts";
import { prisma } from "~/platform/db.server.ts";
import { now } from "~/platform/clock.ts";
import { CHANNELS, COUNTED_CHANNELS, STATES } from "./labels.ts";
import { fileBatches } from "./letter/letter-rows.server.ts";

/** What the Delivery page shows: counts, waves, the lists a person must act on, file batches. */

export { CHANNELS, COUNTED_CHANNELS, STATES };

export const NO_ADDRESS_REASON =
  "No postal address: a letter needs the first address line and the postcode.";

export async function deliveryOverview(campaignId: string) {
  const db = await prisma();
  const [groups, waves, attention, withCodes, noAddress, noAddressCount] = await Promise.all([
    db.invitationDispatch.groupBy({
      by: ["channel", "state"],
      where: { campaignId },
      _count: { _all: true },
    }),
    db.deliveryWave.findMany({
      where: { campaignId },
      orderBy: { startedAt: "desc" },
      take: 10,
    }),
    db.invitationDispatch.findMany({
      where: { campaignId, state: { in: ["OUTCOME_UNKNOWN", "HELD", "PERMANENT_FAILURE"] } },
      orderBy: { updatedAt: "desc" },
      take: 200,
      select: {
        id: true,
        channel: true,
        state: true,
        reason: true,
        updatedAt: true,
        recipient: {
          select: { givenName: true, familyName: true, nationalId: true, sourceRow: true },
        },
      },
    }),
    db.recipient.count({
      where: { campaignId, state: "TOKEN_ISSUED", tokenExpiresAt: { gt: now() } },
    }),
    db.recipient.findMany({
      where: {
        campaignId,
        state: "TOKEN_ISSUED",
        OR: [{ addressLine1: null }, { postcode: null }],
        dispatches: { none: { channel: "LETTER" } },
      },
      orderBy: { sourceRow: "asc" },
      take: 50,
      select: { id: true, givenName: true, familyName: true, nationalId: true, sourceRow: true },
    }),
    db.recipient.count({
      where: {
        campaignId,
        state: "TOKEN_ISSUED",
        OR: [{ addressLine1: null }, { postcode: null }],
        dispatches: { none: { channel: "LETTER" } },
      },
    }),
  ]);
  const counts = Object.fromEntries(
    COUNTED_CHANNELS.map((c) => [c, Object.fromEntries(STATES.map((s) => [s, 0]))]),
  ) as Record<(typeof COUNTED_CHANNELS)[number], Record<DispatchState, number>>;
  for (const g of groups) counts[g.channel][g.state] = g._count._all;
  const batches = Object.fromEntries(
    await Promise.all(CHANNELS.map(async (c) => [c, await fileBatches(campaignId, c)] as const)),
  ) as Record<(typeof CHANNELS)[number], Awaited<ReturnType<typeof fileBatches>>>;
  return {
    counts,
    waves: waves.map((w) => ({
      id: w.id,
      channel: w.channel as DeliveryChannel,
      state: w.state,
      pausedReason: w.pausedReason,
      startedAt: w.startedAt.toISOString(),
      finishedAt: w.finishedAt?.toISOString() ?? null,
    })),
    attention: attention.map((d) => ({
      id: d.id,
      channel: d.channel,
      state: d.state,
      reason: d.reason,
      updatedAt: d.updatedAt.toISOString(),
      name: [d.recipient.givenName, d.recipient.familyName].filter(Boolean).join(" ") || "—",
      nationalId: d.recipient.nationalId,
      sourceRow: d.recipient.sourceRow,
    })),
    withCodes,
    noAddress: { count: noAddressCount, first: noAddress, reason: NO_ADDRESS_REASON },
    batches: Object.fromEntries(
      CHANNELS.map((c) => [
        c,
        batches[c].map((b) => ({ ...b, createdAt: b.createdAt.toISOString() })),
      ]),
    ) as Record<
      (typeof CHANNELS)[number],
      Array<{ batchId: string; count: number; createdAt: string }>
    >,
  };
}
export type DeliveryOverview = Awaited<ReturnType<typeof deliveryOverview>>;
