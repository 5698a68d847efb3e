import { z } from "zod";
import { hasPermission } from "~/modules/auth/permissions.ts";
import {
  applyRequestAction,
  MAX_BULK,
  PAS_REFERENCE_MAX,
  REJECTION_REASON_MAX,
  RequestActionError,
  type RequestAction,
} from "~/modules/requests/lifecycle.server.ts";
import type { RequestViewer } from "~/modules/requests/scope.server.ts";
import {
  deleteView,
  saveView,
  SavedViewError,
} from "~/modules/requests/worklist/saved-views.server.ts";
import { parseWorklistFilter, worklistQuery } from "~/modules/requests/worklist/filters.ts";
import { prisma } from "~/platform/db.server.ts";
import { redirectWithToast } from "~/platform/toast.server.ts";

const requestIds = z
  .array(z.uuid({ message: "Choose requests from the list." }))
  .min(1, { message: "Select at least one request first." })
  .max(MAX_BULK, { message: `Select at most ${MAX_BULK} requests at a time.` });

/** The worklist page's forms, told apart by `intent`. */
export const WorklistActionSchema = z.discriminatedUnion("intent", [
  z.object({ intent: z.literal("claim"), requestIds }),
  z.object({
    intent: z.literal("assign"),
    requestIds,
    assigneeId: z.uuid({ message: "Choose who to assign the requests to." }),
  }),
  z.object({
    intent: z.literal("action"),
    requestIds,
    pasReference: z
      .string()
      .trim()
      .min(1, { message: "Enter the PAS reference to mark requests actioned." })
      .max(PAS_REFERENCE_MAX),
  }),
  z.object({
    intent: z.literal("reject"),
    requestIds,
    reason: z
      .string()
      .trim()
      .min(1, { message: "Enter why the requests are rejected." })
      .max(REJECTION_REASON_MAX),
  }),
  z.object({
    intent: z.literal("save-view"),
    name: z.string().trim().min(1, { message: "Name the view." }).max(60),
    query: z.string().max(2000),
  }),
  z.object({ intent: z.literal("delete-view"), viewId: z.uuid() }),
]);
export type WorklistAction = z.infer<typeof WorklistActionSchema>;

const DONE: Record<RequestAction["intent"], string> = {
  assign: "assigned",
  claim: "claimed",
  release: "released",
  action: "marked actioned",
  reject: "rejected",
  reopen: "reopened",
  rematch: "rematched",
};

/**
 * Runs one worklist form. Bulk actions go through the lifecycle's one function (scope checked
 * for every id, all or nothing); a request outside the viewer's scope answers "not-found", which
 * the route turns into a 404.
 */
export async function runWorklistAction(
  viewer: RequestViewer,
  input: WorklistAction,
  context: { label: string; clientAddress: string | null; back: string },
): Promise<Response | "not-found"> {
  switch (input.intent) {
    case "save-view": {
      const query = worklistQuery(parseWorklistFilter(new URLSearchParams(input.query)));
      try {
        await saveView(viewer.id, input.name, query);
      } catch (error) {
        if (error instanceof SavedViewError) {
          return Response.json({ errors: [{ message: error.message }] }, { status: 400 });
        }
        throw error;
      }
      return redirectWithToast(`/requests?${query}`, {
        kind: "success",
        message: `View “${input.name}” saved.`,
      });
    }
    case "delete-view":
      await deleteView(viewer.id, input.viewId);
      return redirectWithToast(context.back, { kind: "success", message: "Saved view deleted." });
    default: {
      if (input.intent === "assign" && !hasPermission(viewer.role, "assign:request:team")) {
        return Response.json(
          { errors: [{ message: "Only a team lead can assign requests to someone." }] },
          { status: 403 },
        );
      }
      const action: RequestAction =
        input.intent === "assign"
          ? { intent: "assign", assigneeId: input.assigneeId }
          : input.intent === "action"
            ? { intent: "action", pasReference: input.pasReference }
            : input.intent === "reject"
              ? { intent: "reject", reason: input.reason }
              : { intent: "claim" };
      try {
        const result = await applyRequestAction(
          await prisma(),
          { ...viewer, label: context.label, clientAddress: context.clientAddress },
          { requestIds: input.requestIds, action },
        );
        return redirectWithToast(context.back, {
          kind: "success",
          message: `${result.changed} request${result.changed === 1 ? "" : "s"} ${DONE[action.intent]}.`,
        });
      } catch (error) {
        if (!(error instanceof RequestActionError)) throw error;
        if (error.code === "not-found") return "not-found";
        const reasons = [...new Set(error.refusals.map((refusal) => refusal.reason))];
        return Response.json(
          {
            errors: [{ message: error.message }, ...reasons.map((reason) => ({ message: reason }))],
          },
          { status: error.code === "conflict" ? 409 : 400 },
        );
      }
    }
  }
}
