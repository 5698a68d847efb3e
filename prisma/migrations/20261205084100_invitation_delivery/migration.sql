-- CreateEnum
CREATE TYPE "DeliveryWaveState" AS ENUM ('RUNNING', 'PAUSED', 'DONE');

-- AlterTable
ALTER TABLE "Recipient" ADD COLUMN     "addressLine1" TEXT,
ADD COLUMN     "addressLine2" TEXT,
ADD COLUMN     "addressLine3" TEXT,
ADD COLUMN     "addressLine4" TEXT,
ADD COLUMN     "postcode" TEXT;

-- AlterTable
ALTER TABLE "InvitationDispatch" ADD COLUMN     "notBefore" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "InvitationTemplate" (
    "id" UUID NOT NULL,
    "campaignId" UUID NOT NULL,
    "channel" "DeliveryChannel" NOT NULL,
    "subject" TEXT,
    "body" TEXT NOT NULL,
    "linkMessage" TEXT,
    "updatedById" UUID,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "InvitationTemplate_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DeliveryWave" (
    "id" UUID NOT NULL,
    "campaignId" UUID NOT NULL,
    "channel" "DeliveryChannel" NOT NULL,
    "state" "DeliveryWaveState" NOT NULL DEFAULT 'RUNNING',
    "pausedReason" TEXT,
    "paceMs" INTEGER NOT NULL DEFAULT 0,
    "startedById" UUID,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "DeliveryWave_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DispatchMessage" (
    "id" UUID NOT NULL,
    "dispatchId" UUID NOT NULL,
    "part" INTEGER NOT NULL,
    "notifyId" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'created',
    "sentAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "DispatchMessage_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "InvitationTemplate_campaignId_channel_key" ON "InvitationTemplate"("campaignId", "channel");

-- CreateIndex
CREATE INDEX "DeliveryWave_campaignId_channel_state_idx" ON "DeliveryWave"("campaignId", "channel", "state");

-- CreateIndex
CREATE UNIQUE INDEX "DispatchMessage_notifyId_key" ON "DispatchMessage"("notifyId");

-- CreateIndex
CREATE INDEX "DispatchMessage_dispatchId_idx" ON "DispatchMessage"("dispatchId");

-- CreateIndex
CREATE INDEX "Recipient_campaignId_mobile_idx" ON "Recipient"("campaignId", "mobile");

-- CreateIndex
CREATE INDEX "Recipient_campaignId_email_idx" ON "Recipient"("campaignId", "email");

-- AddForeignKey
ALTER TABLE "DispatchMessage" ADD CONSTRAINT "DispatchMessage_dispatchId_fkey" FOREIGN KEY ("dispatchId") REFERENCES "InvitationDispatch"("id") ON DELETE CASCADE ON UPDATE CASCADE;

