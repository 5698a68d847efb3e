-- CreateEnum
CREATE TYPE "PkbGrantStatus" AS ENUM ('ACTIVE', 'NEEDS_REAUTHORISATION', 'DISCONNECTED');

-- CreateTable
CREATE TABLE "PkbConnection" (
    "id" UUID NOT NULL,
    "label" TEXT NOT NULL,
    "webBaseUrl" TEXT NOT NULL,
    "systemTokenUrl" TEXT NOT NULL,
    "aggregatedTokenUrl" TEXT NOT NULL,
    "facadeBaseUrl" TEXT NOT NULL,
    "restBaseUrl" TEXT NOT NULL,
    "aggregatedBaseUrl" TEXT NOT NULL,
    "userClientId" TEXT NOT NULL,
    "userClientSecret" TEXT NOT NULL,
    "redirectUri" TEXT NOT NULL,
    "systemClientId" TEXT NOT NULL,
    "systemClientSecret" TEXT NOT NULL,
    "aggregatedClientId" TEXT NOT NULL,
    "aggregatedClientSecret" TEXT NOT NULL,
    "organisationPublicId" UUID NOT NULL,
    "nominatedTeamName" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PkbConnection_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PkbGrant" (
    "id" UUID NOT NULL,
    "connectionId" UUID NOT NULL,
    "status" "PkbGrantStatus" NOT NULL,
    "accessToken" TEXT,
    "refreshToken" TEXT,
    "accessTokenExpiresAt" TIMESTAMP(3),
    "scope" TEXT NOT NULL,
    "grantedById" UUID,
    "grantedByLabel" TEXT NOT NULL,
    "grantedAt" TIMESTAMP(3) NOT NULL,
    "lastRefreshedAt" TIMESTAMP(3),
    "lastSyncedAt" TIMESTAMP(3),
    "lastError" TEXT,
    "lastErrorAt" TIMESTAMP(3),
    "needsReauthorisationAt" TIMESTAMP(3),
    "disconnectedAt" TIMESTAMP(3),
    "tokenVersion" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PkbGrant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PkbAuthorisationRequest" (
    "id" UUID NOT NULL,
    "stateHash" TEXT NOT NULL,
    "connectionId" UUID NOT NULL,
    "sessionId" TEXT NOT NULL,
    "userId" UUID NOT NULL,
    "codeVerifier" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "PkbAuthorisationRequest_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "PkbConnection_label_key" ON "PkbConnection"("label");

-- CreateIndex
CREATE UNIQUE INDEX "PkbGrant_connectionId_key" ON "PkbGrant"("connectionId");

-- CreateIndex
CREATE INDEX "PkbGrant_status_idx" ON "PkbGrant"("status");

-- CreateIndex
CREATE UNIQUE INDEX "PkbAuthorisationRequest_stateHash_key" ON "PkbAuthorisationRequest"("stateHash");

-- CreateIndex
CREATE INDEX "PkbAuthorisationRequest_expiresAt_idx" ON "PkbAuthorisationRequest"("expiresAt");

-- AddForeignKey
ALTER TABLE "PkbGrant" ADD CONSTRAINT "PkbGrant_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "PkbConnection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PkbGrant" ADD CONSTRAINT "PkbGrant_grantedById_fkey" FOREIGN KEY ("grantedById") REFERENCES "User"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PkbAuthorisationRequest" ADD CONSTRAINT "PkbAuthorisationRequest_connectionId_fkey" FOREIGN KEY ("connectionId") REFERENCES "PkbConnection"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "PkbAuthorisationRequest" ADD CONSTRAINT "PkbAuthorisationRequest_sessionId_fkey" FOREIGN KEY ("sessionId") REFERENCES "Session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

