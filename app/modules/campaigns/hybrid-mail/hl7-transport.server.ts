import { joinUrl } from "~/modules/pkb/endpoints.ts";

/**
 * How an MDM^T02 reaches PKB's HL7 intake: an HTTP POST of the message (pkb-api.md §1: our
 * sandbox serves `POST /services/hl7` on its one origin; PKB's own intake is on port 7443), the
 * system client in HTTP Basic and the organisation in `X-Org-Public-Id`. The answer is the ACK
 * text. A timeout, a dropped connection or a non-2xx answer is "no answer": the caller keeps the
 * document PENDING and sends the same TXA-12.1 again later.
 */
export interface Hl7Transport {
  send(message: string): Promise<string>;
}

export class Hl7NoAnswerError extends Error {
  override name = "Hl7NoAnswerError";
}

export interface Hl7HttpConfig {
  /** the connection's web origin; the intake lives at `/services/hl7` under it */
  webBaseUrl: string;
  clientId: string;
  clientSecret: string;
  organisationPublicId: string;
  timeoutMs?: number;
}

export function hl7IntakeUrl(webBaseUrl: string): string {
  return joinUrl(new URL(webBaseUrl).origin, "/services/hl7");
}

export function httpHl7Transport(config: Hl7HttpConfig): Hl7Transport {
  const url = hl7IntakeUrl(config.webBaseUrl);
  const authorization = `Basic ${Buffer.from(`${config.clientId}:${config.clientSecret}`).toString("base64")}`;
  return {
    async send(message) {
      let response: Response;
      try {
        response = await fetch(url, {
          method: "POST",
          headers: {
            authorization,
            "content-type": "application/hl7-v2; charset=utf-8",
            "x-org-public-id": config.organisationPublicId,
          },
          body: message,
          redirect: "error",
          signal: AbortSignal.timeout(config.timeoutMs ?? 30_000),
        });
      } catch (error) {
        throw new Hl7NoAnswerError(
          error instanceof Error && error.name === "TimeoutError"
            ? "PKB's HL7 intake did not answer in time"
            : "PKB's HL7 intake could not be reached",
        );
      }
      const body = await response.text().catch(() => "");
      if (!response.ok) {
        throw new Hl7NoAnswerError(`PKB's HL7 intake answered HTTP ${response.status}`);
      }
      if (!body.startsWith("MSH")) throw new Hl7NoAnswerError("PKB's HL7 intake sent no ACK");
      return body;
    },
  };
}
