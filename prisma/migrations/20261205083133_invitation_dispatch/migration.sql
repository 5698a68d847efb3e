-- CreateEnum
CREATE TYPE "DeliveryChannel" AS ENUM ('LETTER', 'SMS', 'EMAIL', 'KIOSK');

-- CreateEnum
CREATE TYPE "DispatchState" AS ENUM ('CLAIMED', 'SENT', 'DELIVERED', 'PERMANENT_FAILURE', 'TEMPORARY_FAILURE', 'OUTCOME_UNKNOWN', 'HELD', 'CANCELLED');

-- AlterTable
ALTER TABLE "Recipient" ADD COLUMN     "inviteRound" INTEGER NOT NULL DEFAULT 1;

-- CreateTable
CREATE TABLE "InvitationDispatch" (
    "id" UUID NOT NULL,
    "campaignId" UUID NOT NULL,
    "recipientId" UUID NOT NULL,
    "channel" "DeliveryChannel" NOT NULL,
    "inviteRound" INTEGER NOT NULL,
    "state" "DispatchState" NOT NULL DEFAULT 'CLAIMED',
    "providerRef" TEXT,
    "reason" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "claimedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),
    "deliveredAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "InvitationDispatch_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "InvitationDispatch_campaignId_channel_state_idx" ON "InvitationDispatch"("campaignId", "channel", "state");

-- CreateIndex
CREATE UNIQUE INDEX "InvitationDispatch_recipientId_channel_inviteRound_key" ON "InvitationDispatch"("recipientId", "channel", "inviteRound");

-- AddForeignKey
ALTER TABLE "InvitationDispatch" ADD CONSTRAINT "InvitationDispatch_recipientId_fkey" FOREIGN KEY ("recipientId") REFERENCES "Recipient"("id") ON DELETE CASCADE ON UPDATE CASCADE;

