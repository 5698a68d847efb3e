import { z } from "zod";
import { joinUrl, type PkbEndpoints } from "./endpoints.ts";
import { PkbApiError } from "./errors.ts";
import { sharedPkbHttp, type CallMeta, type PkbHttp } from "./http.server.ts";
import { IDENTIFIER_SYSTEMS } from "./identifiers.ts";
import type { AccessTokenSource } from "./token-source.ts";

/**
 * The Facade's three mass-registration operations (pkb-api.md §4): system token, the
 * organisation in `X-Org-Public-Id`, FHIR STU3 `Parameters` in and out. Results are matched to
 * what we asked by identifier, never by position; PKB may answer fewer, more or reordered entries.
 */

export interface PatientIdentifier {
  system: string;
  value: string;
}

/** The key results are filed under: `system|value`. */
export function identifierKey(identifier: PatientIdentifier): string {
  return `${identifier.system}|${identifier.value}`;
}

/** PKB's documented batch limits [C]. */
export const FACADE_LIMITS = {
  statusQuery: 5000,
  generateInvitationTokens: 500,
  readReceiptQuery: 5000,
} as const;

const NATIONAL_SYSTEMS: readonly string[] = [
  IDENTIFIER_SYSTEMS.nhs,
  IDENTIFIER_SYSTEMS.chi,
  IDENTIFIER_SYSTEMS.hc,
];

export interface PatientStatus {
  identifier: PatientIdentifier;
  /** PKB has the record and the organisation may see it. */
  found: boolean;
  /** Why not found: `"Not found"` or `"No access"` (another organisation's record). */
  diagnostics?: string;
  deceased?: boolean;
  registered?: boolean;
  /** `YYYY-MM-DD`, only when found and PKB holds one. */
  dateOfBirth?: string;
}

export interface InvitationTokens {
  identifier: PatientIdentifier;
  /** `code`: the "Invitation Code", Join URL `t1`. */
  invitationCode: string;
  /** `token`: the "Access Code", Join URL `t2`. */
  accessToken: string;
  expiry: Date;
}

export interface ReadReceipt {
  documentId: string;
  read: boolean;
  readAt?: Date;
}

/** What every operation also reports about the answer's shape. */
export interface BatchAnomalies {
  /** Entries for identifiers we did not ask about, or second answers for one: ignored. */
  extraIgnored: number;
  /** Entries whose parts could not be read (counted, not guessed at). */
  unreadable: number;
  meta: CallMeta;
}

export interface StatusQueryResult extends BatchAnomalies {
  /** Keyed by `identifierKey`. */
  statuses: Map<string, PatientStatus>;
  /** Asked about but not answered: ask again later. */
  missing: PatientIdentifier[];
}

export interface InvitationTokensResult extends BatchAnomalies {
  /** Keyed by `identifierKey`. */
  issued: Map<string, InvitationTokens>;
  /** No tokens: ineligible (deceased, not found, registered, no date of birth, under 16) [C]. */
  notIssued: PatientIdentifier[];
}

export interface ReadReceiptResult extends BatchAnomalies {
  /** Keyed by document id. */
  receipts: Map<string, ReadReceipt>;
  /** No receipt: unknown to PKB or filed by another organisation [C]. */
  missing: string[];
}

export interface FacadeClientConfig {
  endpoints: Pick<PkbEndpoints, "facadeBaseUrl">;
  /** The organisation the system client acts for (`X-Org-Public-Id`). */
  organisationPublicId: string;
  /** The system client's token (see `systemTokenSource`). */
  token: AccessTokenSource;
  http?: PkbHttp;
}

export interface FacadeClient {
  statusQuery(identifiers: readonly PatientIdentifier[]): Promise<StatusQueryResult>;
  generateInvitationTokens(
    identifiers: readonly PatientIdentifier[],
  ): Promise<InvitationTokensResult>;
  readReceiptQuery(documentIds: readonly string[]): Promise<ReadReceiptResult>;
}

// ── Response shapes (STU3 Parameters) ──

/** A FHIR dateTime with a zone (`Z` or `+00:00`, as PKB's example writes it). */
const dateTime = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/);

const identifierSchema = z.object({ system: z.string().optional(), value: z.string() });
const partSchema = z.object({
  name: z.string(),
  valueIdentifier: identifierSchema.optional(),
  valueBoolean: z.boolean().optional(),
  valueDate: z.string().optional(),
  valueString: z.string().optional(),
  valueDateTime: z.string().optional(),
  // PKB's own example writes `valueDatetime` (not valid FHIR): read both.
  valueDatetime: z.string().optional(),
});
type Part = z.infer<typeof partSchema>;
const parametersSchema = z.object({
  resourceType: z.literal("Parameters"),
  parameter: z
    .array(z.object({ name: z.string(), part: z.array(z.unknown()).optional() }))
    .optional(),
});

const statusPartsSchema = z.object({
  patientIdentifier: identifierSchema,
  deceased: z.boolean().optional(),
  registered: z.boolean().optional(),
  dateOfBirth: z
    .string()
    .regex(/^\d{4}(-\d{2}(-\d{2})?)?$/)
    .optional(),
  diagnostics: z.string().optional(),
});
const tokenPartsSchema = z.object({
  patientIdentifier: identifierSchema,
  code: z.string().min(1),
  token: z.string().min(1),
  expiry: dateTime,
});
const receiptPartsSchema = z.object({
  documentIdentifier: identifierSchema,
  read: z.boolean(),
  readTimestamp: dateTime.optional(),
});

/** An entry's parts as `{name: value}`, whatever `value[x]` PKB used. */
function partValues(parts: readonly unknown[]): Record<string, unknown> | undefined {
  const values: Record<string, unknown> = {};
  for (const raw of parts) {
    const parsed = partSchema.safeParse(raw);
    if (!parsed.success) return undefined;
    const part: Part = parsed.data;
    values[part.name] =
      part.valueIdentifier ??
      part.valueBoolean ??
      part.valueDate ??
      part.valueDateTime ??
      part.valueDatetime ??
      part.valueString;
  }
  return values;
}

export function facadeClient(config: FacadeClientConfig): FacadeClient {
  const http = config.http ?? sharedPkbHttp();

  async function operation(
    endpoint: string,
    path: string,
    inputName: string,
    identifiers: readonly { system?: string; value: string }[],
  ): Promise<{ entries: { name: string; parts: unknown[] }[]; meta: CallMeta }> {
    const body = {
      resourceType: "Parameters",
      parameter: identifiers.map((identifier) => ({
        name: inputName,
        valueIdentifier: identifier,
      })),
    };
    const { json, status, meta } = await http.sendJson({
      surface: "facade",
      endpoint,
      method: "POST",
      url: joinUrl(config.endpoints.facadeBaseUrl, path),
      headers: {
        "content-type": "application/fhir+json",
        accept: "application/fhir+json",
        "x-org-public-id": config.organisationPublicId,
      },
      body: JSON.stringify(body),
      token: config.token,
    });
    const parsed = parametersSchema.safeParse(json);
    if (!parsed.success) {
      throw new PkbApiError({
        surface: "facade",
        endpoint,
        kind: "invalid-response",
        status,
        detail: "the answer is not a FHIR Parameters resource",
        retryable: false,
        attempts: meta.attempts,
        outcomeUnknown: meta.outcomeUnknown,
      });
    }
    const entries = (parsed.data.parameter ?? []).map((p) => ({
      name: p.name,
      parts: p.part ?? [],
    }));
    return { entries, meta };
  }

  return {
    async statusQuery(identifiers) {
      const system = checkPatientBatch(identifiers, FACADE_LIMITS.statusQuery, "statusQuery");
      const { entries, meta } = await operation(
        "status-query",
        "Patient/$status-query",
        "patientIdentifier",
        identifiers,
      );
      const wanted = new Set(identifiers.map(identifierKey));
      const statuses = new Map<string, PatientStatus>();
      let extraIgnored = 0;
      let unreadable = 0;
      for (const entry of entries) {
        if (entry.name !== "patientStatus") {
          extraIgnored++;
          continue;
        }
        const parts = statusPartsSchema.safeParse(partValues(entry.parts));
        if (!parts.success) {
          unreadable++;
          continue;
        }
        const identifier = echoed(parts.data.patientIdentifier, system);
        const key = identifierKey(identifier);
        if (!wanted.has(key) || statuses.has(key)) {
          extraIgnored++;
          continue;
        }
        const { deceased, registered, dateOfBirth, diagnostics } = parts.data;
        statuses.set(key, {
          identifier,
          found: diagnostics === undefined,
          ...(diagnostics !== undefined ? { diagnostics } : {}),
          ...(deceased !== undefined ? { deceased } : {}),
          ...(registered !== undefined ? { registered } : {}),
          ...(dateOfBirth !== undefined ? { dateOfBirth } : {}),
        });
      }
      const missing = identifiers.filter((id) => !statuses.has(identifierKey(id)));
      return { statuses, missing, extraIgnored, unreadable, meta };
    },

    async generateInvitationTokens(identifiers) {
      const system = checkPatientBatch(
        identifiers,
        FACADE_LIMITS.generateInvitationTokens,
        "generateInvitationTokens",
      );
      const { entries, meta } = await operation(
        "generate-invitation-tokens",
        "Organization/$generate-invitation-tokens",
        "patientIdentifier",
        identifiers,
      );
      const wanted = new Set(identifiers.map(identifierKey));
      const issued = new Map<string, InvitationTokens>();
      let extraIgnored = 0;
      let unreadable = 0;
      for (const entry of entries) {
        if (entry.name !== "patientTokens") {
          extraIgnored++;
          continue;
        }
        const parts = tokenPartsSchema.safeParse(partValues(entry.parts));
        if (!parts.success) {
          unreadable++;
          continue;
        }
        const identifier = echoed(parts.data.patientIdentifier, system);
        const key = identifierKey(identifier);
        if (!wanted.has(key) || issued.has(key)) {
          extraIgnored++;
          continue;
        }
        issued.set(key, {
          identifier,
          invitationCode: parts.data.code,
          accessToken: parts.data.token,
          expiry: new Date(parts.data.expiry),
        });
      }
      const notIssued = identifiers.filter((id) => !issued.has(identifierKey(id)));
      return { issued, notIssued, extraIgnored, unreadable, meta };
    },

    async readReceiptQuery(documentIds) {
      checkDocumentBatch(documentIds);
      const { entries, meta } = await operation(
        "read-receipt-query",
        "DocumentReference/$read-receipt-query",
        "documentIdentifier",
        documentIds.map((value) => ({ value })),
      );
      const wanted = new Set(documentIds);
      const receipts = new Map<string, ReadReceipt>();
      let extraIgnored = 0;
      let unreadable = 0;
      for (const entry of entries) {
        if (entry.name !== "readReceipt") {
          extraIgnored++;
          continue;
        }
        const parts = receiptPartsSchema.safeParse(partValues(entry.parts));
        if (!parts.success) {
          unreadable++;
          continue;
        }
        const documentId = parts.data.documentIdentifier.value;
        if (!wanted.has(documentId) || receipts.has(documentId)) {
          extraIgnored++;
          continue;
        }
        const { read, readTimestamp } = parts.data;
        receipts.set(documentId, {
          documentId,
          read,
          ...(readTimestamp !== undefined ? { readAt: new Date(readTimestamp) } : {}),
        });
      }
      const missing = documentIds.filter((id) => !receipts.has(id));
      return { receipts, missing, extraIgnored, unreadable, meta };
    },
  };
}

/** PKB files the echo under the system we sent; if it leaves the system out, it is the batch's. */
function echoed(identifier: { system?: string | undefined; value: string }, batchSystem: string) {
  return { system: identifier.system ?? batchSystem, value: identifier.value };
}

/**
 * Reliability invariant 3 (quality.md): ≤ limit identifiers, unique, one national system. A
 * violation is a bug in the caller, so it throws before anything is sent (and names no values).
 */
function checkPatientBatch(
  identifiers: readonly PatientIdentifier[],
  limit: number,
  operation: string,
): string {
  if (identifiers.length === 0) throw new RangeError(`${operation}: no identifiers`);
  if (identifiers.length > limit) {
    throw new RangeError(`${operation}: ${identifiers.length} identifiers, at most ${limit}`);
  }
  const system = identifiers[0]?.system ?? "";
  if (!NATIONAL_SYSTEMS.includes(system)) {
    throw new TypeError(`${operation}: identifier system ${system} is not NHS, CHI or H&C`);
  }
  const seen = new Set<string>();
  for (const identifier of identifiers) {
    if (identifier.system !== system) {
      throw new TypeError(`${operation}: identifiers of more than one system in one batch`);
    }
    if (seen.has(identifier.value)) {
      throw new TypeError(`${operation}: the same identifier twice in one batch`);
    }
    seen.add(identifier.value);
  }
  return system;
}

function checkDocumentBatch(documentIds: readonly string[]): void {
  if (documentIds.length === 0) throw new RangeError("readReceiptQuery: no document ids");
  if (documentIds.length > FACADE_LIMITS.readReceiptQuery) {
    throw new RangeError(
      `readReceiptQuery: ${documentIds.length} document ids, at most ${FACADE_LIMITS.readReceiptQuery}`,
    );
  }
  if (new Set(documentIds).size !== documentIds.length) {
    throw new TypeError("readReceiptQuery: the same document id twice in one batch");
  }
}
