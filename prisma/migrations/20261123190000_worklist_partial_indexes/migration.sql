-- Hand-written (Prisma's schema cannot state partial or expression indexes): the worklist's
-- per-queue top-N branches (docs/decisions/0011). Every index holds only open requests
-- (NEW, ASSIGNED, EXPIRED — lifecycle.ts OPEN_STATUSES) or only closed ones, keyed by queue then
-- the sort key exactly as worklist.server.ts writes it (NULLs as ±infinity), then id, so each
-- branch of a page is one index range scan that stops after the page. The drift test
-- (app/platform/schema-drift.test.ts) expects exactly these "AppointmentRequest_wl_" indexes.

-- Team queues (teamId NULL = the unrouted queue): due soonest / urgent-first, newest / oldest,
-- appointment soonest and the urgent range.
CREATE INDEX "AppointmentRequest_wl_team_due" ON "AppointmentRequest"
  ("teamId", (COALESCE("dueAt", 'infinity'::timestamp)), "id")
  WHERE "status" IN ('NEW', 'ASSIGNED', 'EXPIRED');
CREATE INDEX "AppointmentRequest_wl_team_received" ON "AppointmentRequest"
  ("teamId", "receivedAt", "id")
  WHERE "status" IN ('NEW', 'ASSIGNED', 'EXPIRED');
CREATE INDEX "AppointmentRequest_wl_team_appointment" ON "AppointmentRequest"
  ("teamId", (COALESCE(COALESCE("matchedStart", "quotedStart"), 'infinity'::timestamp)), "id")
  WHERE "status" IN ('NEW', 'ASSIGNED', 'EXPIRED');

-- My requests.
CREATE INDEX "AppointmentRequest_wl_assignee_due" ON "AppointmentRequest"
  ("assigneeId", (COALESCE("dueAt", 'infinity'::timestamp)), "id")
  WHERE "status" IN ('NEW', 'ASSIGNED', 'EXPIRED');
CREATE INDEX "AppointmentRequest_wl_assignee_received" ON "AppointmentRequest"
  ("assigneeId", "receivedAt", "id")
  WHERE "status" IN ('NEW', 'ASSIGNED', 'EXPIRED');

-- The counts of every view: narrow, so they are index-only scans.
CREATE INDEX "AppointmentRequest_wl_counts" ON "AppointmentRequest"
  ("teamId", "assigneeId", "matchState", "dueAt")
  WHERE "status" IN ('NEW', 'ASSIGNED', 'EXPIRED');

-- Done: closed requests by team, recently closed first (and their count).
CREATE INDEX "AppointmentRequest_wl_team_closed" ON "AppointmentRequest"
  ("teamId", (COALESCE("closedAt", '-infinity'::timestamp)), "id")
  WHERE "status" IN ('ACTIONED', 'REJECTED', 'RESOLVED_IN_PAS');

-- Search by NHS number (or other identifier) among open requests.
CREATE INDEX "AppointmentRequest_wl_identifier" ON "AppointmentRequest"
  ("identifierValue")
  WHERE "status" IN ('NEW', 'ASSIGNED', 'EXPIRED');

-- Requests assigned to someone outside their teams' queues (the "assigned to me elsewhere" queue).
CREATE INDEX "AppointmentRequest_wl_assignee_team" ON "AppointmentRequest"
  ("assigneeId", "teamId")
  WHERE "status" IN ('NEW', 'ASSIGNED', 'EXPIRED');
