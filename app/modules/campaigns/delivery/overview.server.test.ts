import { describe, expect, it } from "vitest";
import type { DeliveryChannel, DispatchState } from "~/generated/prisma/enums.ts";
import { prisma } from "~/platform/db.server.ts";
import { withTestDatabase } from "../../../../tests/support/database.ts";
import { offlineConnection } from "../testing.server.ts";
import { COUNTED_CHANNELS } from "./labels.ts";
import { deliveryOverview } from "./overview.server.ts";
import { seedGeneratedCampaign } from "./testing.server.ts";

/**
 * The Delivery page's "Invitations by channel": every dispatch is counted under its own channel
 * and state, kiosk e-mails included (they are sent from the kiosk, not from this page, and were
 * once left out of the table).
 */
withTestDatabase();

describe("deliveryOverview counts", () => {
  it("counts each channel's dispatches by state, the kiosk's too", async () => {
    const connectionId = await offlineConnection();
    const { campaignId, recipientIds } = await seedGeneratedCampaign(
      connectionId,
      Array.from({ length: 6 }, () => ({})),
    );
    const dispatches: Array<[number, DeliveryChannel, DispatchState]> = [
      [0, "LETTER", "SENT"],
      [1, "SMS", "DELIVERED"],
      [2, "SMS", "HELD"],
      [3, "EMAIL", "DELIVERED"],
      [4, "KIOSK", "SENT"],
      [5, "KIOSK", "DELIVERED"],
      [0, "KIOSK", "PERMANENT_FAILURE"],
    ];
    const db = await prisma();
    await db.invitationDispatch.createMany({
      data: dispatches.map(([index, channel, state]) => ({
        campaignId,
        recipientId: recipientIds[index]!,
        channel,
        state,
        inviteRound: 1,
      })),
    });
    // Another campaign's kiosk e-mail is not counted here.
    const other = await seedGeneratedCampaign(connectionId, [{}]);
    await db.invitationDispatch.create({
      data: {
        campaignId: other.campaignId,
        recipientId: other.recipientIds[0]!,
        channel: "KIOSK",
        state: "SENT",
        inviteRound: 1,
      },
    });

    const { counts } = await deliveryOverview(campaignId);
    expect(Object.keys(counts).sort()).toEqual([...COUNTED_CHANNELS].sort());
    const nonZero = Object.entries(counts).flatMap(([channel, states]) =>
      Object.entries(states)
        .filter(([, count]) => count > 0)
        .map(([state, count]) => `${channel} ${state} ${count}`),
    );
    expect(nonZero.sort()).toEqual(
      [
        "LETTER SENT 1",
        "SMS DELIVERED 1",
        "SMS HELD 1",
        "EMAIL DELIVERED 1",
        "KIOSK SENT 1",
        "KIOSK DELIVERED 1",
        "KIOSK PERMANENT_FAILURE 1",
      ].sort(),
    );
  });
});
