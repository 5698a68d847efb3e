-- CreateEnum
CREATE TYPE "CampaignState" AS ENUM ('DRAFT', 'IMPORTING', 'CHECKING', 'READY', 'GENERATING', 'GENERATED', 'PAUSED', 'CANCELLED');

-- CreateEnum
CREATE TYPE "CampaignChannel" AS ENUM ('LETTER', 'SMS', 'EMAIL', 'KIOSK');

-- CreateEnum
CREATE TYPE "IdentifierKind" AS ENUM ('NHS', 'CHI', 'HC');

-- CreateEnum
CREATE TYPE "ImportState" AS ENUM ('UPLOADED', 'QUEUED', 'RUNNING', 'DONE', 'FAILED');

-- CreateEnum
CREATE TYPE "RecipientState" AS ENUM ('IMPORTED', 'NEEDS_REVIEW', 'EXCLUDED', 'ELIGIBLE', 'INELIGIBLE', 'BATCHED', 'TOKEN_ISSUED', 'NOT_ISSUED', 'FAILED');

-- CreateEnum
CREATE TYPE "EligibilityBucket" AS ENUM ('ELIGIBLE', 'ALREADY_REGISTERED', 'DECEASED', 'NOT_FOUND', 'NO_ACCESS', 'NO_DATE_OF_BIRTH', 'UNDER_16');

-- CreateEnum
CREATE TYPE "BatchOperation" AS ENUM ('STATUS_QUERY', 'GENERATE_TOKENS');

-- CreateEnum
CREATE TYPE "BatchState" AS ENUM ('PENDING', 'LEASED', 'DONE', 'SPLIT', 'FAILED');

-- CreateTable
CREATE TABLE "Campaign" (
    "id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "pkbConnectionId" UUID NOT NULL,
    "channel" "CampaignChannel" NOT NULL,
    "identifierKind" "IdentifierKind" NOT NULL,
    "teamCode" TEXT,
    "concurrency" INTEGER NOT NULL DEFAULT 4,
    "state" "CampaignState" NOT NULL DEFAULT 'DRAFT',
    "pausedFrom" "CampaignState",
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Campaign_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CampaignImport" (
    "id" UUID NOT NULL,
    "campaignId" UUID NOT NULL,
    "uploadedById" UUID,
    "originalFileName" TEXT NOT NULL,
    "byteSize" INTEGER NOT NULL,
    "encoding" TEXT NOT NULL,
    "delimiter" TEXT NOT NULL,
    "headers" TEXT[],
    "mapping" JSONB,
    "state" "ImportState" NOT NULL DEFAULT 'UPLOADED',
    "rowsRead" INTEGER NOT NULL DEFAULT 0,
    "rowsAccepted" INTEGER NOT NULL DEFAULT 0,
    "rowsRejected" INTEGER NOT NULL DEFAULT 0,
    "duplicatesCollapsed" INTEGER NOT NULL DEFAULT 0,
    "rowsFlagged" INTEGER NOT NULL DEFAULT 0,
    "resumeLine" INTEGER NOT NULL DEFAULT 0,
    "resumeRow" INTEGER NOT NULL DEFAULT 1,
    "failureMessage" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "startedAt" TIMESTAMP(3),
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "CampaignImport_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ImportRowError" (
    "id" BIGSERIAL NOT NULL,
    "importId" UUID NOT NULL,
    "rowNumber" INTEGER NOT NULL,
    "field" TEXT NOT NULL,
    "maskedValue" TEXT NOT NULL,
    "reason" TEXT NOT NULL,

    CONSTRAINT "ImportRowError_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ImportColumnPreset" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "mapping" JSONB NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "ImportColumnPreset_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Recipient" (
    "id" UUID NOT NULL,
    "campaignId" UUID NOT NULL,
    "nationalId" TEXT NOT NULL,
    "givenName" TEXT,
    "familyName" TEXT,
    "dateOfBirth" DATE,
    "mobile" TEXT,
    "email" TEXT,
    "sourceRow" INTEGER NOT NULL,
    "importId" UUID,
    "state" "RecipientState" NOT NULL DEFAULT 'IMPORTED',
    "reviewReason" TEXT,
    "bucket" "EligibilityBucket",
    "checkedAt" TIMESTAMP(3),
    "batchId" UUID,
    "tokenSealed" TEXT,
    "codeSealed" TEXT,
    "tokenExpiresAt" TIMESTAMP(3),
    "tokensIssued" INTEGER NOT NULL DEFAULT 0,
    "failureReason" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Recipient_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CampaignBatch" (
    "id" UUID NOT NULL,
    "campaignId" UUID NOT NULL,
    "operation" "BatchOperation" NOT NULL,
    "state" "BatchState" NOT NULL DEFAULT 'PENDING',
    "size" INTEGER NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "outcomeUnknown" INTEGER NOT NULL DEFAULT 0,
    "notBefore" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "leaseUntil" TIMESTAMP(3),
    "leaseOwner" TEXT,
    "lastError" TEXT,
    "parentId" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),

    CONSTRAINT "CampaignBatch_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CampaignBatchMember" (
    "batchId" UUID NOT NULL,
    "recipientId" UUID NOT NULL,

    CONSTRAINT "CampaignBatchMember_pkey" PRIMARY KEY ("batchId","recipientId")
);

-- CreateTable
CREATE TABLE "CampaignUploadChunk" (
    "importId" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "bytes" BYTEA NOT NULL,

    CONSTRAINT "CampaignUploadChunk_pkey" PRIMARY KEY ("importId","seq")
);

-- CreateIndex
CREATE INDEX "Campaign_state_createdAt_idx" ON "Campaign"("state", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "CampaignImport_campaignId_createdAt_idx" ON "CampaignImport"("campaignId", "createdAt" DESC);

-- CreateIndex
CREATE INDEX "ImportRowError_importId_rowNumber_id_idx" ON "ImportRowError"("importId", "rowNumber", "id");

-- CreateIndex
CREATE UNIQUE INDEX "ImportColumnPreset_userId_name_key" ON "ImportColumnPreset"("userId", "name");

-- CreateIndex
CREATE INDEX "Recipient_campaignId_state_idx" ON "Recipient"("campaignId", "state");

-- CreateIndex
CREATE INDEX "Recipient_campaignId_bucket_idx" ON "Recipient"("campaignId", "bucket");

-- CreateIndex
CREATE INDEX "Recipient_batchId_idx" ON "Recipient"("batchId");

-- CreateIndex
CREATE UNIQUE INDEX "Recipient_campaignId_nationalId_key" ON "Recipient"("campaignId", "nationalId");

-- CreateIndex
CREATE INDEX "CampaignBatch_campaignId_operation_state_notBefore_idx" ON "CampaignBatch"("campaignId", "operation", "state", "notBefore");

-- AddForeignKey
ALTER TABLE "Campaign" ADD CONSTRAINT "Campaign_pkbConnectionId_fkey" FOREIGN KEY ("pkbConnectionId") REFERENCES "PkbConnection"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CampaignImport" ADD CONSTRAINT "CampaignImport_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ImportRowError" ADD CONSTRAINT "ImportRowError_importId_fkey" FOREIGN KEY ("importId") REFERENCES "CampaignImport"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Recipient" ADD CONSTRAINT "Recipient_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Recipient" ADD CONSTRAINT "Recipient_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "CampaignBatch"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CampaignBatch" ADD CONSTRAINT "CampaignBatch_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CampaignBatchMember" ADD CONSTRAINT "CampaignBatchMember_batchId_fkey" FOREIGN KEY ("batchId") REFERENCES "CampaignBatch"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CampaignUploadChunk" ADD CONSTRAINT "CampaignUploadChunk_importId_fkey" FOREIGN KEY ("importId") REFERENCES "CampaignImport"("id") ON DELETE CASCADE ON UPDATE CASCADE;

