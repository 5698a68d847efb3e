-- CreateEnum
CREATE TYPE "AppointmentRequestAction" AS ENUM ('CANCEL', 'CHANGE');

-- CreateEnum
CREATE TYPE "RequestMatchState" AS ENUM ('MATCHED', 'NEEDS_MATCHING', 'NEEDS_TRIAGE', 'MATCHED_BY_STAFF');

-- CreateEnum
CREATE TYPE "RequestSyncStatus" AS ENUM ('RUNNING', 'SUCCEEDED', 'FAILED', 'STOPPED_NEEDS_REAUTHORISATION', 'INTERRUPTED');

-- CreateTable
CREATE TABLE "AppointmentRequest" (
    "id" UUID NOT NULL,
    "grantId" UUID NOT NULL,
    "pkbMessageId" TEXT NOT NULL,
    "conversationId" TEXT,
    "patientPublicId" TEXT NOT NULL,
    "identifierSystem" TEXT,
    "identifierValue" TEXT,
    "patientDisplayName" TEXT,
    "action" "AppointmentRequestAction" NOT NULL,
    "quotedStart" TIMESTAMP(3),
    "quotedWallTime" TEXT,
    "quotedSubject" TEXT,
    "rawSubject" TEXT NOT NULL,
    "patientNote" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL,
    "matchState" "RequestMatchState" NOT NULL,
    "matchConfidence" DOUBLE PRECISION NOT NULL DEFAULT 0,
    "matchReason" TEXT NOT NULL,
    "matchedAppointmentId" TEXT,
    "matchedStart" TIMESTAMP(3),
    "matchedStatus" TEXT,
    "matchedSubject" TEXT,
    "matchedSpecialtyCode" TEXT,
    "matchedSpecialtyDisplay" TEXT,
    "matchedLocation" TEXT,
    "matchedServiceType" TEXT,
    "candidates" JSONB NOT NULL DEFAULT '[]',
    "matchedById" UUID,
    "matchedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "AppointmentRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "NonRequestMessage" (
    "grantId" UUID NOT NULL,
    "pkbMessageId" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL,
    "reason" TEXT NOT NULL,
    "recordedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "NonRequestMessage_pkey" PRIMARY KEY ("grantId","pkbMessageId")
);

-- CreateTable
CREATE TABLE "RequestSyncCursor" (
    "grantId" UUID NOT NULL,
    "lastTimestamp" TIMESTAMP(3),
    "idsAtLastTimestamp" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RequestSyncCursor_pkey" PRIMARY KEY ("grantId")
);

-- CreateTable
CREATE TABLE "RequestSyncRun" (
    "id" UUID NOT NULL,
    "grantId" UUID NOT NULL,
    "trigger" TEXT NOT NULL,
    "startedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finishedAt" TIMESTAMP(3),
    "status" "RequestSyncStatus" NOT NULL DEFAULT 'RUNNING',
    "pages" INTEGER NOT NULL DEFAULT 0,
    "messages" INTEGER NOT NULL DEFAULT 0,
    "requests" INTEGER NOT NULL DEFAULT 0,
    "nonRequests" INTEGER NOT NULL DEFAULT 0,
    "pkbCalls" INTEGER NOT NULL DEFAULT 0,
    "errors" INTEGER NOT NULL DEFAULT 0,
    "errorSummary" TEXT,

    CONSTRAINT "RequestSyncRun_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "AppointmentRequest_matchState_receivedAt_id_idx" ON "AppointmentRequest"("matchState", "receivedAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "AppointmentRequest_receivedAt_id_idx" ON "AppointmentRequest"("receivedAt" DESC, "id" DESC);

-- CreateIndex
CREATE UNIQUE INDEX "AppointmentRequest_grantId_pkbMessageId_key" ON "AppointmentRequest"("grantId", "pkbMessageId");

-- CreateIndex
CREATE INDEX "RequestSyncRun_grantId_startedAt_idx" ON "RequestSyncRun"("grantId", "startedAt" DESC);

-- CreateIndex
CREATE INDEX "RequestSyncRun_startedAt_id_idx" ON "RequestSyncRun"("startedAt" DESC, "id" DESC);

