-- CreateEnum
CREATE TYPE "HybridMailState" AS ENUM ('PENDING', 'ACCEPTED', 'REJECTED');

-- AlterTable
ALTER TABLE "Recipient" ADD COLUMN     "registeredAt" TIMESTAMP(3),
ADD COLUMN     "trackedAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "HybridMailDocument" (
    "id" UUID NOT NULL,
    "campaignId" UUID NOT NULL,
    "recipientId" UUID NOT NULL,
    "inviteRound" INTEGER NOT NULL,
    "documentId" TEXT NOT NULL,
    "state" "HybridMailState" NOT NULL DEFAULT 'PENDING',
    "reason" TEXT,
    "sentAt" TIMESTAMP(3),
    "readAt" TIMESTAMP(3),
    "readCheckedAt" TIMESTAMP(3),
    "postListedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "HybridMailDocument_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "HybridMailDocument_documentId_key" ON "HybridMailDocument"("documentId");

-- CreateIndex
CREATE INDEX "HybridMailDocument_campaignId_state_readAt_idx" ON "HybridMailDocument"("campaignId", "state", "readAt");

-- CreateIndex
CREATE UNIQUE INDEX "HybridMailDocument_recipientId_inviteRound_key" ON "HybridMailDocument"("recipientId", "inviteRound");

-- AddForeignKey
ALTER TABLE "HybridMailDocument" ADD CONSTRAINT "HybridMailDocument_recipientId_fkey" FOREIGN KEY ("recipientId") REFERENCES "Recipient"("id") ON DELETE CASCADE ON UPDATE CASCADE;

