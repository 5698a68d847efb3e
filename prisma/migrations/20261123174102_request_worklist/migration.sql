-- CreateEnum
CREATE TYPE "RequestStatus" AS ENUM ('NEW', 'ASSIGNED', 'ACTIONED', 'REJECTED', 'RESOLVED_IN_PAS', 'EXPIRED');

-- AlterTable
ALTER TABLE "AppointmentRequest" ADD COLUMN     "assigneeId" UUID,
ADD COLUMN     "closedAt" TIMESTAMP(3),
ADD COLUMN     "closedById" UUID,
ADD COLUMN     "dueAt" TIMESTAMP(3),
ADD COLUMN     "expiredAt" TIMESTAMP(3),
ADD COLUMN     "pasChange" JSONB,
ADD COLUMN     "pasReference" TEXT,
ADD COLUMN     "rejectionReason" TEXT,
ADD COLUMN     "routedAt" TIMESTAMP(3),
ADD COLUMN     "routedByRuleId" UUID,
ADD COLUMN     "status" "RequestStatus" NOT NULL DEFAULT 'NEW',
ADD COLUMN     "teamId" UUID,
ADD COLUMN     "version" INTEGER NOT NULL DEFAULT 0;

-- CreateTable
CREATE TABLE "RoutingRule" (
    "id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "name" TEXT NOT NULL,
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "specialtyCode" TEXT,
    "location" TEXT,
    "serviceType" TEXT,
    "action" "AppointmentRequestAction",
    "teamId" UUID NOT NULL,
    "assigneeId" UUID,
    "createdById" UUID,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "RoutingRule_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RequestNote" (
    "id" UUID NOT NULL,
    "requestId" UUID NOT NULL,
    "authorId" UUID,
    "authorLabel" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RequestNote_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RequestEvent" (
    "id" UUID NOT NULL,
    "requestId" UUID NOT NULL,
    "actorId" UUID,
    "actorLabel" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "fromStatus" "RequestStatus",
    "toStatus" "RequestStatus",
    "detail" JSONB NOT NULL DEFAULT '{}',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RequestEvent_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TeamServiceLevel" (
    "teamId" UUID NOT NULL,
    "targetWorkingHours" INTEGER DEFAULT 16,
    "dayStartMinute" INTEGER NOT NULL DEFAULT 480,
    "dayEndMinute" INTEGER NOT NULL DEFAULT 1080,
    "urgentWithinDays" INTEGER NOT NULL DEFAULT 7,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TeamServiceLevel_pkey" PRIMARY KEY ("teamId")
);

-- CreateTable
CREATE TABLE "WorkingClosure" (
    "id" UUID NOT NULL,
    "day" DATE NOT NULL,
    "teamId" UUID,
    "reason" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WorkingClosure_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SavedRequestView" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "query" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SavedRequestView_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "RoutingRule_position_key" ON "RoutingRule"("position");

-- CreateIndex
CREATE INDEX "RoutingRule_teamId_idx" ON "RoutingRule"("teamId");

-- CreateIndex
CREATE INDEX "RequestNote_requestId_createdAt_idx" ON "RequestNote"("requestId", "createdAt");

-- CreateIndex
CREATE INDEX "RequestEvent_requestId_createdAt_idx" ON "RequestEvent"("requestId", "createdAt");

-- CreateIndex
CREATE INDEX "WorkingClosure_day_idx" ON "WorkingClosure"("day");

-- CreateIndex
CREATE UNIQUE INDEX "SavedRequestView_userId_name_key" ON "SavedRequestView"("userId", "name");

-- CreateIndex
CREATE INDEX "AppointmentRequest_teamId_status_receivedAt_id_idx" ON "AppointmentRequest"("teamId", "status", "receivedAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "AppointmentRequest_assigneeId_status_receivedAt_id_idx" ON "AppointmentRequest"("assigneeId", "status", "receivedAt" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "AppointmentRequest_receivedAt_matchedSpecialtyCode_idx" ON "AppointmentRequest"("receivedAt", "matchedSpecialtyCode");

-- AddForeignKey
ALTER TABLE "AppointmentRequest" ADD CONSTRAINT "AppointmentRequest_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AppointmentRequest" ADD CONSTRAINT "AppointmentRequest_assigneeId_fkey" FOREIGN KEY ("assigneeId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AppointmentRequest" ADD CONSTRAINT "AppointmentRequest_routedByRuleId_fkey" FOREIGN KEY ("routedByRuleId") REFERENCES "RoutingRule"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RoutingRule" ADD CONSTRAINT "RoutingRule_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RoutingRule" ADD CONSTRAINT "RoutingRule_assigneeId_fkey" FOREIGN KEY ("assigneeId") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RequestNote" ADD CONSTRAINT "RequestNote_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "AppointmentRequest"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RequestEvent" ADD CONSTRAINT "RequestEvent_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "AppointmentRequest"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TeamServiceLevel" ADD CONSTRAINT "TeamServiceLevel_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "WorkingClosure" ADD CONSTRAINT "WorkingClosure_teamId_fkey" FOREIGN KEY ("teamId") REFERENCES "Team"("id") ON DELETE CASCADE ON UPDATE CASCADE;

