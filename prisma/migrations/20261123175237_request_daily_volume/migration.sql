-- CreateTable
CREATE TABLE "RequestDailyVolume" (
    "day" DATE NOT NULL,
    "specialtyCode" TEXT NOT NULL,
    "specialtyDisplay" TEXT NOT NULL,
    "action" "AppointmentRequestAction" NOT NULL,
    "unmatchedOnReceipt" BOOLEAN NOT NULL,
    "requests" INTEGER NOT NULL,

    CONSTRAINT "RequestDailyVolume_pkey" PRIMARY KEY ("day","specialtyCode","specialtyDisplay","action","unmatchedOnReceipt")
);


-- Hand-written (Prisma cannot express triggers): keep "RequestDailyVolume" equal to
--   SELECT <UK day of receivedAt>, coalesce(specialty code, ''), coalesce(display, ''), action,
--          matchState IN (NEEDS_MATCHING, NEEDS_TRIAGE, MATCHED_BY_STAFF), count(*)
--     FROM "AppointmentRequest" GROUP BY 1, 2, 3, 4, 5
-- on every insert, update and delete, in the writing transaction (ADR 0012). Statement-level
-- triggers with transition tables: a bulk insert of a sync page costs one grouped upsert, and an
-- update that moves no row between groups (claim, assign, close…) writes nothing.
CREATE FUNCTION "request_daily_volume_apply"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO "RequestDailyVolume" AS v
      ("day", "specialtyCode", "specialtyDisplay", "action", "unmatchedOnReceipt", "requests")
    SELECT (("receivedAt" AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/London')::date,
           coalesce("matchedSpecialtyCode", ''), coalesce("matchedSpecialtyDisplay", ''), "action",
           "matchState" IN ('NEEDS_MATCHING', 'NEEDS_TRIAGE', 'MATCHED_BY_STAFF'), count(*)::int
      FROM new_rows GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT ("day", "specialtyCode", "specialtyDisplay", "action", "unmatchedOnReceipt")
    DO UPDATE SET "requests" = v."requests" + excluded."requests";
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE "RequestDailyVolume" AS v SET "requests" = v."requests" - gone.n
      FROM (SELECT (("receivedAt" AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/London')::date AS day,
                   coalesce("matchedSpecialtyCode", '') AS code,
                   coalesce("matchedSpecialtyDisplay", '') AS display, "action",
                   "matchState" IN ('NEEDS_MATCHING', 'NEEDS_TRIAGE', 'MATCHED_BY_STAFF') AS unmatched,
                   count(*)::int AS n
              FROM old_rows GROUP BY 1, 2, 3, 4, 5) AS gone
     WHERE v."day" = gone.day AND v."specialtyCode" = gone.code
       AND v."specialtyDisplay" = gone.display AND v."action" = gone."action"
       AND v."unmatchedOnReceipt" = gone.unmatched;
  ELSE
    INSERT INTO "RequestDailyVolume" AS v
      ("day", "specialtyCode", "specialtyDisplay", "action", "unmatchedOnReceipt", "requests")
    SELECT day, code, display, "action", unmatched, sum(n)::int
      FROM (
        SELECT ((o."receivedAt" AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/London')::date AS day,
               coalesce(o."matchedSpecialtyCode", '') AS code,
               coalesce(o."matchedSpecialtyDisplay", '') AS display, o."action",
               o."matchState" IN ('NEEDS_MATCHING', 'NEEDS_TRIAGE', 'MATCHED_BY_STAFF') AS unmatched,
               -1 AS n
          FROM old_rows o JOIN new_rows n ON n."id" = o."id"
         WHERE (o."receivedAt", o."matchedSpecialtyCode", o."matchedSpecialtyDisplay", o."action", o."matchState")
               IS DISTINCT FROM (n."receivedAt", n."matchedSpecialtyCode", n."matchedSpecialtyDisplay", n."action", n."matchState")
        UNION ALL
        SELECT ((n."receivedAt" AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/London')::date,
               coalesce(n."matchedSpecialtyCode", ''), coalesce(n."matchedSpecialtyDisplay", ''), n."action",
               n."matchState" IN ('NEEDS_MATCHING', 'NEEDS_TRIAGE', 'MATCHED_BY_STAFF'),
               1
          FROM old_rows o JOIN new_rows n ON n."id" = o."id"
         WHERE (o."receivedAt", o."matchedSpecialtyCode", o."matchedSpecialtyDisplay", o."action", o."matchState")
               IS DISTINCT FROM (n."receivedAt", n."matchedSpecialtyCode", n."matchedSpecialtyDisplay", n."action", n."matchState")
      ) AS moves
     GROUP BY 1, 2, 3, 4, 5
    HAVING sum(n) <> 0
     ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT ("day", "specialtyCode", "specialtyDisplay", "action", "unmatchedOnReceipt")
    DO UPDATE SET "requests" = v."requests" + excluded."requests";
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "AppointmentRequest_daily_volume_insert"
  AFTER INSERT ON "AppointmentRequest" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "request_daily_volume_apply"();
CREATE TRIGGER "AppointmentRequest_daily_volume_update"
  AFTER UPDATE ON "AppointmentRequest" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "request_daily_volume_apply"();
CREATE TRIGGER "AppointmentRequest_daily_volume_delete"
  AFTER DELETE ON "AppointmentRequest" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "request_daily_volume_apply"();

-- Requests already stored.
INSERT INTO "RequestDailyVolume"
  ("day", "specialtyCode", "specialtyDisplay", "action", "unmatchedOnReceipt", "requests")
SELECT (("receivedAt" AT TIME ZONE 'UTC') AT TIME ZONE 'Europe/London')::date,
       coalesce("matchedSpecialtyCode", ''), coalesce("matchedSpecialtyDisplay", ''), "action",
       "matchState" IN ('NEEDS_MATCHING', 'NEEDS_TRIAGE', 'MATCHED_BY_STAFF'), count(*)::int
  FROM "AppointmentRequest" GROUP BY 1, 2, 3, 4, 5;
