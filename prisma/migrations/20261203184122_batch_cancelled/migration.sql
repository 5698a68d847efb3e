-- AlterEnum
ALTER TYPE "BatchState" ADD VALUE 'CANCELLED';

