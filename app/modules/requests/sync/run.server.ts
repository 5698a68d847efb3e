import type { PrismaClient } from "~/generated/prisma/client.ts";
import { getLogger } from "~/platform/logger.server.ts";
import type { PkbMessage, SyncSources } from "./ports.ts";
import {
  preparePage,
  RunCache,
  type AppointmentSearchStrategy,
  type PatientLookups,
} from "./prepare.ts";
import { autoCloseRequests } from "./auto-close.server.ts";
import { readCursor, storePage, type SyncCursor } from "./store-page.server.ts";

/**
 * One sync of a grant's messages: read after the durable cursor, page to the end, store each
 * page in one transaction (store-page.server.ts). Runs are recorded in RequestSyncRun so staff
 * see each run's pages, messages, requests and errors.
 *
 * Failure policy (hazard H6):
 * - the grant needs re-authorisation → the run stops as STOPPED_NEEDS_REAUTHORISATION and the
 *   caller must not retry (no loop against a dead session; the banner asks for a re-grant);
 * - any other failure → the run is FAILED with a summary in words; the cursor stays at the last
 *   stored page, so the next scheduled run carries on from there.
 */

export type RunOutcome =
  | { status: "SUCCEEDED"; runId: string; pages: number; messages: number; requests: number }
  | { status: "FAILED"; runId: string; summary: string }
  | { status: "STOPPED_NEEDS_REAUTHORISATION"; runId: string; summary: string };

export interface SyncHooks {
  /** The grant cannot give tokens until someone re-grants. */
  isReauthorisationNeeded(error: unknown): boolean;
  /** Words for staff about a failure; never patient data or tokens. */
  describe(error: unknown): string;
  onSuccess?(grantId: string, at: Date): Promise<void>;
  onFailure?(grantId: string, summary: string): Promise<void>;
  /** Test seam: called after each page commits. */
  afterPage?(page: number): Promise<void> | void;
}

/** A run reads at most this many pages; the next run carries on (guards against a PKB loop). */
const MAX_PAGES_PER_RUN = 20_000;

/** The oldest message any sync asks for when a grant has no cursor yet: everything PKB holds. */
const BEGINNING = new Date(0);

export async function syncGrantRequests(options: {
  prisma: PrismaClient;
  grantId: string;
  trigger: "schedule" | "manual";
  sources: SyncSources;
  hooks: SyncHooks;
  signal?: AbortSignal;
  /** How patients and appointments are looked up (default: once per patient per run). */
  lookups?: (sources: SyncSources) => PatientLookups;
  /** Which appointments to fetch for a request (default: all of the patient's, once per run). */
  strategy?: AppointmentSearchStrategy;
  /** Patients re-checked for auto-close beyond those the run fetched anyway (0 = none). */
  recheckPatients?: number;
}): Promise<RunOutcome> {
  const { prisma, grantId, sources, hooks } = options;
  const log = getLogger().child({ job: "requests.sync", grantId });

  // Jobs run one at a time per grant (singleton), so a RUNNING run left behind is one whose
  // worker died; its pages are safe (committed with the cursor) and this run carries on.
  await prisma.requestSyncRun.updateMany({
    where: { grantId, status: "RUNNING" },
    data: { status: "INTERRUPTED", finishedAt: new Date() },
  });
  const run = await prisma.requestSyncRun.create({
    data: { grantId, trigger: options.trigger },
  });
  const callsAtStart = sources.callCount();
  const cache = options.lookups ? options.lookups(sources) : new RunCache(sources);
  const totals = { pages: 0, messages: 0, requests: 0 };
  log.info({ runId: run.id, trigger: options.trigger }, "request sync started");

  try {
    let cursor = await readCursor(prisma, grantId);
    // The next page is asked for while this one is matched and stored: its cursor is known as
    // soon as this page arrives. A failed read surfaces when it is awaited, never unhandled.
    const read = (from: SyncCursor) => {
      const page = sources.messagesAfter(readFrom(from));
      page.catch(() => undefined);
      return page;
    };
    let nextPage = read(cursor);
    for (let page = 0; page < MAX_PAGES_PER_RUN; page++) {
      options.signal?.throwIfAborted();
      const fresh = unseen(await nextPage, cursor);
      if (fresh.length === 0) break;
      const advanced = advance(cursor, fresh);
      nextPage = read(advanced);
      const prepared = await preparePage(fresh, cache, options.strategy);
      const stored = await storePage(prisma, grantId, run.id, prepared, advanced, fresh.length);
      cursor = advanced;
      totals.pages++;
      totals.messages += fresh.length;
      totals.requests += stored.requestsInserted;
      await hooks.afterPage?.(totals.pages);
    }
    // Auto-close: open requests whose appointment PKB now shows moved or cancelled close as
    // resolved in PAS; those whose appointment time passed are flagged for a person.
    const closed = await autoCloseRequests({
      prisma,
      grantId,
      lookups: cache,
      fetched: cache.fetchedIdentifiers?.() ?? [],
      recheckPatients: options.recheckPatients,
      isFatal: (error) => hooks.isReauthorisationNeeded(error),
    });
    log.info({ runId: run.id, ...closed }, "request auto-close checked");
    const finishedAt = new Date();
    await prisma.requestSyncRun.update({
      where: { id: run.id },
      data: {
        status: "SUCCEEDED",
        finishedAt,
        pkbCalls: sources.callCount() - callsAtStart,
      },
    });
    await hooks.onSuccess?.(grantId, finishedAt);
    log.info({ runId: run.id, ...totals }, "request sync finished");
    return { status: "SUCCEEDED", runId: run.id, ...totals };
  } catch (error) {
    const reauthorise = hooks.isReauthorisationNeeded(error);
    const summary = reauthorise
      ? "PKB no longer accepts the clinician's grant: the sync stopped until someone grants access again."
      : hooks.describe(error);
    const status = reauthorise ? "STOPPED_NEEDS_REAUTHORISATION" : "FAILED";
    await prisma.requestSyncRun.update({
      where: { id: run.id },
      data: {
        status,
        finishedAt: new Date(),
        errors: { increment: 1 },
        errorSummary: summary,
        pkbCalls: sources.callCount() - callsAtStart,
      },
    });
    // The grant module records re-authorisation itself (and audits it); other failures are
    // recorded on the grant here so its page shows the last error.
    if (!reauthorise) await hooks.onFailure?.(grantId, summary);
    log.warn(
      { runId: run.id, status, errorName: error instanceof Error ? error.name : typeof error },
      "request sync did not finish",
    );
    return { status, runId: run.id, summary };
  }
}

/**
 * Read again from 1 ms before the newest stored timestamp: messages PKB files later in that same
 * millisecond are still seen, and those already stored are skipped by id (pkb-api.md §5: ties
 * broken by id; the portal must dedupe).
 */
function readFrom(cursor: SyncCursor): Date {
  return cursor.lastTimestamp ? new Date(cursor.lastTimestamp.getTime() - 1) : BEGINNING;
}

function unseen(fetched: readonly PkbMessage[], cursor: SyncCursor): PkbMessage[] {
  const last = cursor.lastTimestamp?.getTime();
  const seen = new Set(cursor.idsAtLastTimestamp);
  const ids = new Set<string>();
  return fetched.filter((m) => {
    const t = m.timestamp.getTime();
    if (last !== undefined && (t < last || (t === last && seen.has(m.id)))) return false;
    if (ids.has(m.id)) return false;
    ids.add(m.id);
    return true;
  });
}

function advance(cursor: SyncCursor, fresh: readonly PkbMessage[]): SyncCursor {
  const newest = Math.max(...fresh.map((m) => m.timestamp.getTime()));
  const atNewest = fresh.filter((m) => m.timestamp.getTime() === newest).map((m) => m.id);
  if (cursor.lastTimestamp?.getTime() === newest) {
    return {
      lastTimestamp: cursor.lastTimestamp,
      idsAtLastTimestamp: [...new Set([...cursor.idsAtLastTimestamp, ...atNewest])],
    };
  }
  return { lastTimestamp: new Date(newest), idsAtLastTimestamp: atNewest };
}
