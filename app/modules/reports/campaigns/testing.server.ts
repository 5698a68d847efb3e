import type { PrismaClient } from "~/generated/prisma/client.ts";
import type {
  DeliveryChannel,
  DispatchState,
  EligibilityBucket,
  HybridMailState,
  RecipientState,
} from "~/generated/prisma/enums.ts";
import { syntheticNhsNumber } from "~/modules/campaigns/test-support.ts";

/**
 * Test and browser-test seeding for the campaign reports: campaigns, recipients, dispatches and
 * hybrid-mail letters written straight into the tables the delivery and tracking modules own,
 * so the reports are tested on the contract (schema) without sending anything.
 */
export interface SeedRecipient {
  /** n-th synthetic NHS number */
  n: number;
  givenName?: string;
  familyName?: string;
  state: RecipientState;
  bucket?: EligibilityBucket | null;
  /** a stored (fake) token pair */
  token?: boolean;
  /** no uploaded list (a kiosk patient) */
  withoutList?: boolean;
  inviteRound?: number;
  registeredAt?: string;
  dispatches?: Array<{ channel: DeliveryChannel; round?: number; state: DispatchState }>;
  letters?: Array<{
    round?: number;
    state: HybridMailState;
    readAt?: string;
    postListedAt?: string;
  }>;
}

export interface SeedCampaign {
  name: string;
  channel?: DeliveryChannel;
  createdAt?: string;
  /** data rows read from the uploaded list */
  rowsRead?: number;
  recipients: SeedRecipient[];
}

export async function seedReportCampaign(
  db: PrismaClient,
  pkbConnectionId: string,
  seed: SeedCampaign,
): Promise<string> {
  const campaign = await db.campaign.create({
    data: {
      name: seed.name,
      pkbConnectionId,
      channel: seed.channel ?? "LETTER",
      identifierKind: "NHS",
      state: "GENERATED",
      ...(seed.createdAt ? { createdAt: new Date(seed.createdAt) } : {}),
    },
  });
  const list = await db.campaignImport.create({
    data: {
      campaignId: campaign.id,
      originalFileName: "list.csv",
      byteSize: 100,
      encoding: "utf-8",
      delimiter: ",",
      headers: ["nhs_number"],
      state: "DONE",
      rowsRead: seed.rowsRead ?? seed.recipients.filter((r) => !r.withoutList).length,
      rowsAccepted: seed.recipients.filter((r) => !r.withoutList).length,
    },
  });
  let sourceRow = 2;
  for (const patient of seed.recipients) {
    const recipient = await db.recipient.create({
      data: {
        campaignId: campaign.id,
        nationalId: syntheticNhsNumber(patient.n),
        givenName: patient.givenName ?? `Patient${patient.n}`,
        familyName: patient.familyName ?? "Test",
        sourceRow: sourceRow++,
        importId: patient.withoutList ? null : list.id,
        state: patient.state,
        bucket: patient.bucket ?? null,
        tokenSealed: patient.token ? "v1:sealed-test-token" : null,
        codeSealed: patient.token ? "v1:sealed-test-code" : null,
        tokensIssued: patient.token ? 1 : 0,
        inviteRound: patient.inviteRound ?? 1,
        registeredAt: patient.registeredAt ? new Date(patient.registeredAt) : null,
      },
    });
    for (const dispatch of patient.dispatches ?? []) {
      const sent = ["SENT", "DELIVERED"].includes(dispatch.state);
      await db.invitationDispatch.create({
        data: {
          campaignId: campaign.id,
          recipientId: recipient.id,
          channel: dispatch.channel,
          inviteRound: dispatch.round ?? 1,
          state: dispatch.state,
          sentAt: sent ? new Date() : null,
          deliveredAt: dispatch.state === "DELIVERED" ? new Date() : null,
        },
      });
    }
    for (const letter of patient.letters ?? []) {
      await db.hybridMailDocument.create({
        data: {
          campaignId: campaign.id,
          recipientId: recipient.id,
          inviteRound: letter.round ?? 1,
          documentId: crypto.randomUUID(),
          state: letter.state,
          sentAt: letter.state === "PENDING" ? null : new Date(),
          readAt: letter.readAt ? new Date(letter.readAt) : null,
          postListedAt: letter.postListedAt ? new Date(letter.postListedAt) : null,
        },
      });
    }
  }
  return campaign.id;
}

/**
 * The fixture the tests reason about by hand (see campaign-reports.server.test.ts for the
 * expected numbers). UK times: BST until 01:00 UTC on Sunday 25 October 2026.
 */
export const REPORT_FIXTURE: SeedCampaign = {
  name: "Flu clinic invitations",
  createdAt: "2026-06-29T09:00:00Z",
  rowsRead: 12,
  recipients: [
    // delivered by letter, registered 23:59 BST on Tue 30 Jun
    {
      n: 1,
      state: "TOKEN_ISSUED",
      bucket: "ELIGIBLE",
      token: true,
      registeredAt: "2026-06-30T22:59:00Z",
      dispatches: [{ channel: "LETTER", state: "SENT" }],
      letters: [{ state: "ACCEPTED", readAt: "2026-06-29T10:00:00Z" }],
    },
    // two rounds, both letters delivered: counts once; registered 00:00 BST Wed 1 Jul
    {
      n: 2,
      state: "TOKEN_ISSUED",
      bucket: "ELIGIBLE",
      token: true,
      inviteRound: 2,
      registeredAt: "2026-06-30T23:00:00Z",
      dispatches: [
        { channel: "LETTER", round: 1, state: "SENT" },
        { channel: "LETTER", round: 2, state: "DELIVERED" },
      ],
      letters: [
        {
          round: 1,
          state: "ACCEPTED",
          readAt: "2026-06-29T12:00:00Z",
          postListedAt: "2026-06-29T11:00:00Z",
        },
        {
          round: 2,
          state: "ACCEPTED",
          readAt: "2026-07-20T09:00:00Z",
          postListedAt: "2026-07-20T10:00:00Z",
        },
      ],
    },
    // SMS held (shared mobile): not delivered
    {
      n: 3,
      state: "TOKEN_ISSUED",
      bucket: "ELIGIBLE",
      token: true,
      dispatches: [{ channel: "SMS", state: "HELD" }],
      letters: [{ state: "ACCEPTED", postListedAt: "2026-06-30T09:00:00Z" }],
    },
    // SMS failed for good, registered anyway at 00:30 BST on Sun 25 Oct: outside the funnel
    {
      n: 4,
      state: "TOKEN_ISSUED",
      bucket: "ELIGIBLE",
      token: true,
      registeredAt: "2026-10-24T23:30:00Z",
      dispatches: [{ channel: "SMS", state: "PERMANENT_FAILURE" }],
      letters: [{ state: "ACCEPTED" }],
    },
    // an e-mail for a round the patient is not in: not delivered, not "with an invitation"
    {
      n: 5,
      state: "TOKEN_ISSUED",
      bucket: "ELIGIBLE",
      token: true,
      dispatches: [{ channel: "EMAIL", round: 2, state: "SENT" }],
      letters: [{ state: "REJECTED" }],
    },
    // e-mail delivered and SMS sent: once in the funnel, under both channels; 23:30 GMT 25 Oct
    {
      n: 6,
      givenName: '=HYPERLINK("http://evil.example")',
      familyName: "+44 risky",
      state: "TOKEN_ISSUED",
      bucket: "ELIGIBLE",
      token: true,
      registeredAt: "2026-10-25T23:30:00Z",
      dispatches: [
        { channel: "EMAIL", state: "DELIVERED" },
        { channel: "SMS", state: "SENT" },
      ],
      letters: [{ state: "PENDING" }],
    },
    // eligible, no code yet
    { n: 7, givenName: "@SUM(A1)", familyName: "-1", state: "ELIGIBLE", bucket: "ELIGIBLE" },
    // deceased
    {
      n: 8,
      givenName: "\tTabbed",
      familyName: "\rReturn",
      state: "INELIGIBLE",
      bucket: "DECEASED",
    },
    // not checked yet
    { n: 9, state: "IMPORTED" },
    // added at a kiosk (no list), e-mail from the kiosk delivered, registered 00:00 GMT Mon 26 Oct
    {
      n: 10,
      state: "TOKEN_ISSUED",
      bucket: "ELIGIBLE",
      token: true,
      withoutList: true,
      registeredAt: "2026-10-26T00:00:00Z",
      dispatches: [{ channel: "KIOSK", state: "SENT" }],
    },
  ],
};

/** A second, small campaign, so "all campaigns" adds two funnels. */
export const SECOND_FIXTURE: SeedCampaign = {
  name: "Diabetes clinic SMS",
  channel: "SMS",
  createdAt: "2026-10-01T09:00:00Z",
  rowsRead: 3,
  recipients: [
    {
      n: 101,
      state: "TOKEN_ISSUED",
      bucket: "ELIGIBLE",
      token: true,
      registeredAt: "2026-10-20T10:00:00Z",
      dispatches: [{ channel: "SMS", state: "DELIVERED" }],
    },
    {
      n: 102,
      state: "TOKEN_ISSUED",
      bucket: "ELIGIBLE",
      token: true,
      dispatches: [{ channel: "SMS", state: "OUTCOME_UNKNOWN" }],
    },
  ],
};
