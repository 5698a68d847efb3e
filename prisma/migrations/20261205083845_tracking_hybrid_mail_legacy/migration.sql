-- CreateEnum
CREATE TYPE "PkbTokenApi" AS ENUM ('FACADE', 'CUSTOM_REST');

-- CreateTable
CREATE TABLE "HybridMailSetting" (
    "campaignId" UUID NOT NULL,
    "postAfterHours" INTEGER NOT NULL DEFAULT 72,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "HybridMailSetting_pkey" PRIMARY KEY ("campaignId")
);

-- CreateTable
CREATE TABLE "PkbConnectionTokenApi" (
    "connectionId" UUID NOT NULL,
    "tokenApi" "PkbTokenApi" NOT NULL DEFAULT 'FACADE',
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PkbConnectionTokenApi_pkey" PRIMARY KEY ("connectionId")
);

-- CreateTable
CREATE TABLE "CampaignTrackingRun" (
    "id" UUID NOT NULL,
    "campaignId" UUID NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    "checked" INTEGER NOT NULL DEFAULT 0,
    "registered" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,

    CONSTRAINT "CampaignTrackingRun_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CampaignTrackingRun_campaignId_startedAt_idx" ON "CampaignTrackingRun"("campaignId", "startedAt" DESC);

