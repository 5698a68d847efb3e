-- CreateTable
CREATE TABLE "NotifyConnection" (
    "id" UUID NOT NULL,
    "installation" TEXT NOT NULL DEFAULT 'default',
    "baseUrl" TEXT NOT NULL,
    "apiKey" TEXT NOT NULL,
    "apiKeyName" TEXT NOT NULL,
    "serviceId" UUID NOT NULL,
    "smsTemplateId" UUID NOT NULL,
    "emailTemplateId" UUID NOT NULL,
    "callbackBearerToken" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "NotifyConnection_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "NotifyConnection_installation_key" ON "NotifyConnection"("installation");

