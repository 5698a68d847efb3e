import { z } from "zod";
import { requireFacadeSystemCaller, type Route, type SandboxApp } from "../app.ts";
import { header, MAX_BODY_BYTES, type RequestContext } from "../http/context.ts";
import { fhir, fhirError, ReplyError, type Reply } from "../http/reply.ts";
import {
  IDENTIFIER_SYSTEMS,
  isValidNationalNumber,
  nationalKindForSystem,
  type NationalIdKind,
} from "../identifiers.ts";
import type { Patient } from "../population/model.ts";
import { capabilityStatement, operationDefinition, OPERATIONS } from "./definitions.ts";

const identifierSchema = z
  .object({ system: z.string().optional(), value: z.string() })
  .passthrough();
const parameterSchema = z
  .object({ name: z.string(), valueIdentifier: identifierSchema.optional() })
  .passthrough();
const parametersSchema = z.object({
  resourceType: z.literal("Parameters"),
  parameter: z.array(parameterSchema).optional(),
});

type Identifier = z.infer<typeof identifierSchema>;

const SUPPORTED_SYSTEMS = [IDENTIFIER_SYSTEMS.nhs, IDENTIFIER_SYSTEMS.chi, IDENTIFIER_SYSTEMS.hc];

/** PKB's example writes "+00:00"; both forms are valid FHIR dateTimes. */
function fhirDateTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+00:00");
}

/** Reads and checks a Facade operation body; any problem rejects the whole request. */
async function readIdentifiers(
  ctx: RequestContext,
  inputName: string,
  max: number,
): Promise<Identifier[]> {
  const contentType = (header(ctx.req, "content-type") ?? "").split(";")[0]?.trim().toLowerCase();
  if (contentType !== "application/fhir+json" && contentType !== "application/json+fhir") {
    throw fhirError(415, "not-supported", "Content-Type must be application/fhir+json.");
  }
  let text: string;
  try {
    text = await ctx.readBody();
  } catch (error) {
    // An oversized body is "too costly", not malformed, whatever it holds.
    if (error instanceof ReplyError && error.reply.status === 413) {
      throw fhirError(
        413,
        "too-costly",
        `The request body is larger than ${MAX_BODY_BYTES} bytes; send fewer identifiers per call.`,
      );
    }
    throw error;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw fhirError(400, "invalid", "The request body is not valid JSON.");
  }
  const parsed = parametersSchema.safeParse(body);
  if (!parsed.success) {
    throw fhirError(400, "invalid", "The request body must be a FHIR Parameters resource.");
  }
  const parameters = parsed.data.parameter ?? [];
  ctx.log.identifiers = parameters.length;
  if (parameters.length === 0) {
    throw fhirError(400, "invalid", `At least one ${inputName} is required.`);
  }
  if (parameters.length > max) {
    throw fhirError(
      400,
      "too-costly",
      `At most ${max} ${inputName} parameters are allowed; got ${parameters.length}.`,
    );
  }
  const identifiers: Identifier[] = [];
  for (const [i, p] of parameters.entries()) {
    if (p.name !== inputName) {
      throw fhirError(400, "invalid", `parameter[${i}]: unknown parameter '${p.name}'.`);
    }
    if (!p.valueIdentifier) {
      throw fhirError(400, "invalid", `parameter[${i}]: valueIdentifier is required.`);
    }
    identifiers.push(p.valueIdentifier);
  }
  return identifiers;
}

function rejectPoison(ctx: RequestContext, identifiers: readonly Identifier[]): void {
  if (ctx.poisonIdentifiers.size === 0) return;
  if (identifiers.some((id) => ctx.poisonIdentifiers.has(id.value))) {
    throw fhirError(400, "processing", "The batch could not be processed.");
  }
}

function patientKinds(app: SandboxApp, identifiers: readonly Identifier[]): NationalIdKind[] {
  const kinds: NationalIdKind[] = [];
  for (const [i, id] of identifiers.entries()) {
    const kind = nationalKindForSystem(id.system);
    if (!kind) {
      throw fhirError(
        400,
        "not-supported",
        `parameter[${i}]: unsupported identifier system '${id.system ?? "(none)"}'. Supported: ${SUPPORTED_SYSTEMS.join(", ")}. The whole request was rejected.`,
      );
    }
    if (app.settings.strictIdentifiers && !isValidNationalNumber(kind, id.value)) {
      throw fhirError(
        400,
        "invalid",
        `parameter[${i}]: '${kind}' number fails its check digit or range.`,
      );
    }
    kinds.push(kind);
  }
  return kinds;
}

const echo = (id: Identifier): Record<string, unknown> => ({
  name: "patientIdentifier",
  valueIdentifier: { ...(id.system !== undefined ? { system: id.system } : {}), value: id.value },
});

export function facadeRoutes(app: SandboxApp): Route[] {
  const statusQuery = async (ctx: RequestContext): Promise<Reply> => {
    const caller = requireFacadeSystemCaller(app, ctx);
    const identifiers = await readIdentifiers(ctx, "patientIdentifier", 5000);
    const kinds = patientKinds(app, identifiers);
    rejectPoison(ctx, identifiers);
    const parameter = identifiers.map((id, i) => {
      const patient = app.state.patientByNationalId(kinds[i] as NationalIdKind, id.value);
      const parts: Record<string, unknown>[] = [echo(id)];
      if (!patient) {
        parts.push({ name: "diagnostics", valueString: "Not found" });
      } else {
        parts.push({ name: "deceased", valueBoolean: patient.deceasedDate !== null });
        parts.push({ name: "registered", valueBoolean: patient.registered });
        if (!app.state.canOrganisationSee(caller.orgIndex, patient)) {
          parts.push({ name: "diagnostics", valueString: "No access" });
        } else if (patient.birthDate) {
          parts.push({ name: "dateOfBirth", valueDate: patient.birthDate });
        }
      }
      return { name: "patientStatus", part: parts };
    });
    return fhir(200, { resourceType: "Parameters", parameter });
  };

  const generateTokens = async (ctx: RequestContext): Promise<Reply> => {
    const caller = requireFacadeSystemCaller(app, ctx);
    const identifiers = await readIdentifiers(ctx, "patientIdentifier", 500);
    const kinds = patientKinds(app, identifiers);
    rejectPoison(ctx, identifiers);
    const now = app.clock.now();
    const eligible: { id: Identifier; patient: Patient }[] = [];
    identifiers.forEach((id, i) => {
      const patient = app.state.patientByNationalId(kinds[i] as NationalIdKind, id.value);
      if (patient && app.state.ineligibility(patient, caller.orgIndex, now) === undefined) {
        eligible.push({ id, patient });
      }
    });
    const invitations = app.state.issueInvitations(
      eligible.map((e) => e.patient),
      caller.orgIndex,
      now,
    );
    const parameter = eligible.map(({ id }, i) => {
      const invitation = invitations[i];
      app.calls.countTokenIssued(id.system ?? "", id.value);
      return {
        name: "patientTokens",
        part: [
          echo(id),
          { name: "code", valueString: invitation?.code },
          { name: "token", valueString: invitation?.token },
          { name: "expiry", valueDateTime: fhirDateTime(invitation?.expiresAt ?? now) },
        ],
      };
    });
    return fhir(
      200,
      parameter.length > 0
        ? { resourceType: "Parameters", parameter }
        : { resourceType: "Parameters" },
    );
  };

  const readReceipts = async (ctx: RequestContext): Promise<Reply> => {
    const caller = requireFacadeSystemCaller(app, ctx);
    const identifiers = await readIdentifiers(ctx, "documentIdentifier", 5000);
    rejectPoison(ctx, identifiers);
    const now = app.clock.now();
    const parameter: Record<string, unknown>[] = [];
    for (const id of identifiers) {
      const document = app.state.documentById(id.value);
      if (!document || document.orgIndex !== caller.orgIndex) continue;
      const read = document.readAt !== null && document.readAt <= now;
      parameter.push({
        name: "readReceipt",
        part: [
          {
            name: "documentIdentifier",
            valueIdentifier: {
              ...(id.system !== undefined ? { system: id.system } : {}),
              value: id.value,
            },
          },
          { name: "read", valueBoolean: read },
          ...(read && document.readAt !== null
            ? [{ name: "readTimestamp", valueDateTime: fhirDateTime(document.readAt) }]
            : []),
        ],
      });
    }
    return fhir(
      200,
      parameter.length > 0
        ? { resourceType: "Parameters", parameter }
        : { resourceType: "Parameters" },
    );
  };

  return [
    {
      method: "GET",
      pattern: /^\/fhir\/metadata$/,
      endpoint: "facade.metadata",
      handle: (ctx) =>
        fhir(
          200,
          capabilityStatement(ctx.baseUrl, new Date(app.clock.now()).toISOString().slice(0, 10)),
        ),
    },
    {
      method: "GET",
      pattern: /^\/fhir\/OperationDefinition\/([A-Za-z0-9-]+)$/,
      endpoint: "facade.operation-definition",
      handle: (ctx) => {
        const spec = OPERATIONS.find((o) => o.id === ctx.params[0]);
        if (!spec) throw fhirError(404, "not-found", "No such OperationDefinition.");
        return fhir(200, operationDefinition(spec));
      },
    },
    {
      method: "POST",
      pattern: /^\/fhir\/Patient\/\$status-query$/,
      endpoint: "facade.status-query",
      handle: statusQuery,
    },
    {
      method: "POST",
      pattern: /^\/fhir\/Organization\/\$generate-invitation-tokens$/,
      endpoint: "facade.generate-invitation-tokens",
      handle: generateTokens,
    },
    {
      method: "POST",
      pattern: /^\/fhir\/DocumentReference\/\$read-receipt-query$/,
      endpoint: "facade.read-receipt-query",
      handle: readReceipts,
    },
  ];
}
