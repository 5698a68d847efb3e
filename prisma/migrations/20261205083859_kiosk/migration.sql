-- CreateEnum
CREATE TYPE "KioskOutcome" AS ENUM ('ELIGIBLE', 'NO_MATCH', 'ALREADY_REGISTERED', 'UNDER_16', 'ALREADY_INVITED');

-- AlterEnum
ALTER TYPE "Role" ADD VALUE 'KIOSK';

-- CreateTable
CREATE TABLE "KioskVisit" (
    "id" UUID NOT NULL,
    "campaignId" UUID NOT NULL,
    "sessionId" TEXT NOT NULL,
    "outcome" "KioskOutcome" NOT NULL,
    "recipientId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "KioskVisit_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "KioskVisit_sessionId_createdAt_idx" ON "KioskVisit"("sessionId", "createdAt");

