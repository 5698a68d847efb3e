import { unstable_parseMultipartFormData, type UploadHandlerPart } from "@remix-run/node";
import { assertCsrfToken, CsrfError } from "~/modules/auth/csrf.server.ts";
import { badInput, forbidden } from "~/modules/auth/guard.server.ts";
import {
  findUnstorable,
  unstorableCharacter,
  unstorableFieldMessage,
} from "~/platform/hostile-input.ts";
import { storeUpload, UploadRefused } from "~/modules/campaigns/import/upload.server.ts";

const MAX_TEXT_FIELD = 4096;

/**
 * Reads the upload form as it streams: the CSRF field comes before the file in the form, so the
 * token is checked before a single byte of the file is stored; the file goes straight into the
 * database in chunks (storeUpload), never into memory whole or onto disk under its own name.
 */
export async function receiveUpload(
  request: Request,
  campaignId: string,
  userId: string,
): Promise<{ importId: string } | { error: string }> {
  const fields = new FormData();
  let result: { importId: string } | { error: string } = {
    error: "Choose a CSV file to upload.",
  };
  const handler = async (part: UploadHandlerPart): Promise<string | undefined> => {
    if (part.name !== "file") {
      let text = "";
      for await (const bytes of part.data) {
        text += Buffer.from(bytes).toString("utf8");
        if (text.length > MAX_TEXT_FIELD) throw new Response("Bad Request", { status: 400 });
      }
      const unstorable = findUnstorable([[part.name, text]]);
      if (unstorable) throw badInput(unstorableFieldMessage(unstorable));
      fields.append(part.name, text);
      return text;
    }
    try {
      await assertCsrfToken(request, fields);
    } catch (error) {
      if (error instanceof CsrfError) throw forbidden();
      throw error;
    }
    if (!part.filename) {
      for await (const _ of part.data) void _; // drain the empty part
      return undefined;
    }
    const badName = unstorableCharacter(part.filename);
    if (badName) {
      result = {
        error: `The file's name contains ${badName}. Rename the file and upload it again.`,
      };
      for await (const _ of part.data) void _;
      return undefined;
    }
    try {
      const stored = await storeUpload(campaignId, part.filename, part.data, userId);
      result = { importId: stored.importId };
    } catch (error) {
      if (!(error instanceof UploadRefused)) throw error;
      result = { error: error.message };
      for await (const _ of part.data) void _; // read the rest so the response can be sent
    }
    return undefined;
  };
  await unstable_parseMultipartFormData(request, handler);
  try {
    await assertCsrfToken(request, fields);
  } catch (error) {
    if (error instanceof CsrfError) throw forbidden();
    throw error;
  }
  return result;
}
