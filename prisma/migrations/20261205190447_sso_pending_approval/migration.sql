-- AlterEnum
ALTER TYPE "SsoUnknownUserPolicy" ADD VALUE 'PENDING_APPROVAL';

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "approvalPendingSince" TIMESTAMP(3);

