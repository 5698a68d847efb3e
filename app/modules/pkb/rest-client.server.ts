import { z } from "zod";
import { joinUrl, type PkbEndpoints } from "./endpoints.ts";
import { PkbApiError } from "./errors.ts";
import { sharedPkbHttp, type CallMeta, type PkbHttp } from "./http.server.ts";
import { REST_NATIONAL_ID_TYPES, type NationalIdKind } from "./identifiers.ts";
import type { AccessTokenSource } from "./token-source.ts";

/**
 * PKB's Custom REST API (pkb-api.md §5): a clinician's secure messages and patient look-ups.
 * Works with a clinician's grant (`UserTokenSource`) or the system client's token (then pass the
 * organisation so PKB knows whose teams' messages to read).
 */

export const MESSAGE_STATUSES = ["UNREAD", "READ", "SENT", "DRAFT"] as const;

/** PKB writes ids as strings today; numbers are accepted and read as strings. */
const idSchema = z.union([z.string().min(1), z.number().int()]).transform(String);
/** ISO-8601 with a zone, or epoch milliseconds. */
const instantSchema = z.union([
  z
    .string()
    .refine(
      (s) => /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(s) && !Number.isNaN(Date.parse(s)),
    )
    .transform((s) => Date.parse(s)),
  z.number().int().nonnegative(),
]);

export const pkbMessageSchema = z.object({
  id: idSchema,
  conversationId: idSchema.optional(),
  timestamp: instantSchema,
  subject: z.string().default(""),
  content: z.string().default(""),
  html: z.union([z.boolean(), z.string()]).optional(),
  senderId: idSchema.optional(),
  /** The patient's PKB Public ID. */
  patientId: z.string().optional(),
  recipientIds: z.array(idSchema).default([]),
  status: z.enum(MESSAGE_STATUSES).or(z.string()),
});

/** One secure message; `timestampMs` is epoch milliseconds (UTC). */
export type PkbMessage = Omit<z.infer<typeof pkbMessageSchema>, "timestamp"> & {
  timestampMs: number;
};

const nationalIdSchema = z.object({
  value: z.string(),
  name: z.string().optional(),
  countryCodes: z.array(z.string()).optional(),
});

export const pkbUserSchema = z.object({
  id: idSchema,
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  dob: z.string().nullish(),
  dateDeceased: z.string().nullish(),
  postalCode: z.string().nullish(),
  nationalIds: z.array(nationalIdSchema).default([]),
});

export interface PkbUser {
  /** PKB's numeric user id (as a string); `recordAccessToken` takes it. */
  pkbId: string;
  firstName?: string;
  lastName?: string;
  dateOfBirth?: string;
  dateDeceased?: string;
  postalCode?: string;
  nationalIds: { kind: NationalIdKind | undefined; value: string; name?: string }[];
}

const recordAccessTokenSchema = z.object({
  invitationCode: z.string().min(1),
  token: z.string().min(1),
  status: z.string(),
});

export interface RecordAccessToken {
  invitationCode: string;
  accessToken: string;
  status: "NOT_INVITED_NOT_REGISTERED" | "INVITED_NOT_REGISTERED" | string;
}

/**
 * Where message reading stands: messages with `timestamp > afterMs` are still to read; the ids
 * already read at exactly `afterMs` are kept so a re-read of that millisecond finds no duplicates.
 * Persist it to resume a sync.
 */
export interface MessageCursor {
  afterMs: number;
  idsAtCursor: string[];
}

export interface MessagePage {
  /** New messages in PKB's order (oldest first), none seen before in this walk. */
  messages: PkbMessage[];
  /** The cursor after this page. */
  cursor: MessageCursor;
  /** Messages PKB sent again (ties in a millisecond), dropped. */
  duplicatesDropped: number;
  meta: CallMeta;
}

export interface MessageWalkOptions {
  /** Most calls in one walk (a sync resumes from the cursor). Default 10 000. */
  maxPages?: number;
  /**
   * Re-read this many milliseconds before the cursor and drop what was already read, so a page
   * that ended inside a run of same-millisecond messages loses none of it. 0 = strictly after the
   * last timestamp, as pkb-api.md §5 describes. Default 1.
   */
  overlapMs?: 0 | 1;
}

export interface RestClientConfig {
  endpoints: Pick<PkbEndpoints, "restBaseUrl">;
  token: AccessTokenSource;
  /** With the system client's token: the organisation it acts for (`X-Org-Public-Id`). */
  organisationPublicId?: string;
  http?: PkbHttp;
}

export interface RestClient {
  /** One page: messages with `timestamp > after`, oldest first (at most ~100). */
  messagesAfter(after: number | Date): Promise<{ messages: PkbMessage[]; meta: CallMeta }>;
  /** Every message after the cursor, page by page, deduplicated by id. */
  messagePages(from: MessageCursor, options?: MessageWalkOptions): AsyncGenerator<MessagePage>;
  /** `undefined` when PKB knows no such user (404). */
  userByPublicId(publicId: string): Promise<PkbUser | undefined>;
  userByNationalId(kind: NationalIdKind, value: string): Promise<PkbUser | undefined>;
  recordAccessToken(pkbId: string): Promise<RecordAccessToken & { meta: CallMeta }>;
}

const NATIONAL_ID_NAMES: [RegExp, NationalIdKind][] = [
  [/nhs/i, "nhs"],
  [/chi/i, "chi"],
  [/health\s*(and|&)\s*care|h_and_c|^hc/i, "hc"],
];

function toUser(raw: z.infer<typeof pkbUserSchema>): PkbUser {
  return {
    pkbId: raw.id,
    ...(raw.firstName ? { firstName: raw.firstName } : {}),
    ...(raw.lastName ? { lastName: raw.lastName } : {}),
    ...(raw.dob ? { dateOfBirth: raw.dob } : {}),
    ...(raw.dateDeceased ? { dateDeceased: raw.dateDeceased } : {}),
    ...(raw.postalCode ? { postalCode: raw.postalCode } : {}),
    nationalIds: raw.nationalIds.map((n) => ({
      kind: NATIONAL_ID_NAMES.find(([pattern]) => pattern.test(n.name ?? ""))?.[1],
      value: n.value,
      ...(n.name !== undefined ? { name: n.name } : {}),
    })),
  };
}

export function restClient(config: RestClientConfig): RestClient {
  const http = config.http ?? sharedPkbHttp();
  const headers = {
    accept: "application/json",
    ...(config.organisationPublicId ? { "x-org-public-id": config.organisationPublicId } : {}),
  };

  async function get<T>(
    endpoint: string,
    path: string,
    schema: z.ZodType<T>,
  ): Promise<{ value: T; meta: CallMeta }> {
    const { json, status, meta } = await http.sendJson({
      surface: "rest",
      endpoint,
      method: "GET",
      url: joinUrl(config.endpoints.restBaseUrl, path),
      headers,
      token: config.token,
    });
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new PkbApiError({
        surface: "rest",
        endpoint,
        kind: "invalid-response",
        status,
        // Paths only: zod's messages could quote the values.
        detail: `unexpected shape at ${parsed.error.issues
          .slice(0, 3)
          .map((issue) => issue.path.join(".") || "(root)")
          .join(", ")}`,
        retryable: false,
        attempts: meta.attempts,
        outcomeUnknown: meta.outcomeUnknown,
      });
    }
    return { value: parsed.data, meta };
  }

  const orUndefinedWhenNotFound = async <T>(call: Promise<T>): Promise<T | undefined> => {
    try {
      return await call;
    } catch (error) {
      if (error instanceof PkbApiError && error.status === 404) return undefined;
      throw error;
    }
  };

  async function messagesAfter(after: number | Date) {
    const afterMs = typeof after === "number" ? after : after.getTime();
    const { value, meta } = await get(
      "messages-after",
      `v1/messages/after/${Math.floor(afterMs)}`,
      z.array(pkbMessageSchema),
    );
    const messages = value.map(({ timestamp, ...rest }) => ({ ...rest, timestampMs: timestamp }));
    return { messages, meta };
  }

  return {
    messagesAfter,

    async *messagePages(from, options = {}) {
      const maxPages = options.maxPages ?? 10_000;
      const overlapMs = options.overlapMs ?? 1;
      let cursor: MessageCursor = { afterMs: from.afterMs, idsAtCursor: [...from.idsAtCursor] };
      let pages = 0;
      // After a page with nothing new, one strict call decides whether anything newer exists.
      let strictNext = overlapMs === 0 || cursor.idsAtCursor.length === 0;
      for (;;) {
        if (pages >= maxPages) {
          throw new PkbApiError({
            surface: "rest",
            endpoint: "messages-after",
            kind: "page-budget",
            retryable: false,
          });
        }
        const { messages, meta } = await messagesAfter(
          strictNext ? cursor.afterMs : cursor.afterMs - overlapMs,
        );
        pages++;
        const seen = new Set(cursor.idsAtCursor);
        const fresh: PkbMessage[] = [];
        for (const message of messages) {
          if (message.timestampMs < cursor.afterMs) continue; // the overlap before the cursor
          if (seen.has(message.id)) continue;
          seen.add(message.id);
          fresh.push(message);
        }
        const duplicatesDropped = messages.length - fresh.length;
        if (fresh.length === 0) {
          if (strictNext) return;
          strictNext = true;
          continue;
        }
        const last = Math.max(cursor.afterMs, ...fresh.map((m) => m.timestampMs));
        const idsAtLast = fresh.filter((m) => m.timestampMs === last).map((m) => m.id);
        if (last === cursor.afterMs) idsAtLast.unshift(...cursor.idsAtCursor);
        cursor = { afterMs: last, idsAtCursor: idsAtLast };
        strictNext = overlapMs === 0;
        yield { messages: fresh, cursor, duplicatesDropped, meta };
      }
    },

    async userByPublicId(publicId) {
      return orUndefinedWhenNotFound(
        get("users-by-public-id", `users/${encodeURIComponent(publicId)}`, pkbUserSchema).then(
          ({ value }) => toUser(value),
        ),
      );
    },

    async userByNationalId(kind, value) {
      return orUndefinedWhenNotFound(
        get(
          "users-by-national-id",
          `v2-beta/users/byNationalId/${encodeURIComponent(value)}/${REST_NATIONAL_ID_TYPES[kind]}`,
          pkbUserSchema,
        ).then(({ value: user }) => toUser(user)),
      );
    },

    async recordAccessToken(pkbId) {
      const { value, meta } = await get(
        "record-access-token",
        `v1/users/${encodeURIComponent(pkbId)}/recordAccessToken`,
        recordAccessTokenSchema,
      );
      return {
        invitationCode: value.invitationCode,
        accessToken: value.token,
        status: value.status,
        meta,
      };
    },
  };
}
