-- CreateEnum
CREATE TYPE "SsoUnknownUserPolicy" AS ENUM ('CREATE', 'REFUSE');

-- CreateTable
CREATE TABLE "TwoStepCredential" (
    "userId" UUID NOT NULL,
    "secret" TEXT NOT NULL,
    "confirmedAt" TIMESTAMP(3),
    "lastUsedStep" INTEGER,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TwoStepCredential_pkey" PRIMARY KEY ("userId")
);

-- CreateTable
CREATE TABLE "TwoStepRecoveryCode" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "codeHash" TEXT NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "TwoStepRecoveryCode_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TwoStepRememberedDevice" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "userAgent" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "TwoStepRememberedDevice_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TwoStepPendingSignIn" (
    "id" TEXT NOT NULL,
    "userId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "consumedAt" TIMESTAMP(3),
    "clientAddress" TEXT,

    CONSTRAINT "TwoStepPendingSignIn_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TwoStepRolePolicy" (
    "role" "Role" NOT NULL,
    "required" BOOLEAN NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TwoStepRolePolicy_pkey" PRIMARY KEY ("role")
);

-- CreateTable
CREATE TABLE "SsoSettings" (
    "id" UUID NOT NULL,
    "installation" TEXT NOT NULL DEFAULT 'default',
    "enabled" BOOLEAN NOT NULL DEFAULT true,
    "issuer" TEXT NOT NULL,
    "clientId" TEXT NOT NULL,
    "clientSecret" TEXT NOT NULL,
    "allowedDomains" TEXT[],
    "unknownUsers" "SsoUnknownUserPolicy" NOT NULL DEFAULT 'CREATE',
    "defaultRole" "Role" NOT NULL DEFAULT 'VIEWER',
    "groupRoles" JSONB NOT NULL DEFAULT '[]',
    "groupTeams" JSONB NOT NULL DEFAULT '[]',
    "ssoOnly" BOOLEAN NOT NULL DEFAULT false,
    "breakGlassEmails" TEXT[],
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "SsoSettings_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SsoLoginAttempt" (
    "id" TEXT NOT NULL,
    "browserHash" TEXT NOT NULL,
    "nonce" TEXT NOT NULL,
    "codeVerifier" TEXT NOT NULL,
    "redirectTo" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "consumedAt" TIMESTAMP(3),

    CONSTRAINT "SsoLoginAttempt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SsoIdentity" (
    "issuer" TEXT NOT NULL,
    "subject" TEXT NOT NULL,
    "userId" UUID NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SsoIdentity_pkey" PRIMARY KEY ("issuer","subject")
);

-- CreateIndex
CREATE INDEX "TwoStepRecoveryCode_userId_idx" ON "TwoStepRecoveryCode"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "TwoStepRememberedDevice_tokenHash_key" ON "TwoStepRememberedDevice"("tokenHash");

-- CreateIndex
CREATE INDEX "TwoStepRememberedDevice_userId_idx" ON "TwoStepRememberedDevice"("userId");

-- CreateIndex
CREATE INDEX "TwoStepPendingSignIn_userId_idx" ON "TwoStepPendingSignIn"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "SsoSettings_installation_key" ON "SsoSettings"("installation");

-- CreateIndex
CREATE INDEX "SsoIdentity_userId_idx" ON "SsoIdentity"("userId");

-- AddForeignKey
ALTER TABLE "TwoStepCredential" ADD CONSTRAINT "TwoStepCredential_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TwoStepRecoveryCode" ADD CONSTRAINT "TwoStepRecoveryCode_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TwoStepRememberedDevice" ADD CONSTRAINT "TwoStepRememberedDevice_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TwoStepPendingSignIn" ADD CONSTRAINT "TwoStepPendingSignIn_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SsoIdentity" ADD CONSTRAINT "SsoIdentity_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

