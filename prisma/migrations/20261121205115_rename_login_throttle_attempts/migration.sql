-- The sign-in throttle now counts attempts (before the password check), not failures.
-- Its rows are short-lived counters: clearing them only restarts the current 15-minute windows.
DELETE FROM "LoginThrottle";

-- AlterTable
ALTER TABLE "LoginThrottle" DROP COLUMN "failures",
ADD COLUMN     "attempts" INTEGER NOT NULL;
