-- Hand-written (Prisma's schema cannot state GIN trigram or partial indexes): the worklist's
-- free-text search on the patient's name is `"patientDisplayName" ILIKE '%…%'`, which no B-tree
-- can serve; a trigram index can (docs/decisions/0011, P6). One for open requests and one for
-- closed ones, matching the worklist's other partial indexes, so each view's search stays within
-- its own rows. pg_trgm is a trusted extension: a database owner may create it without being a
-- superuser. PGlite loads it per instance (app/platform/pglite.server.ts).
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX "AppointmentRequest_wl_name_open" ON "AppointmentRequest"
  USING gin ("patientDisplayName" gin_trgm_ops)
  WHERE "status" IN ('NEW', 'ASSIGNED', 'EXPIRED');
CREATE INDEX "AppointmentRequest_wl_name_closed" ON "AppointmentRequest"
  USING gin ("patientDisplayName" gin_trgm_ops)
  WHERE "status" IN ('ACTIONED', 'REJECTED', 'RESOLVED_IN_PAS');
