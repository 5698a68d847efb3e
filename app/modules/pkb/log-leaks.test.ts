import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger, getLogger, setLogger } from "~/platform/logger.server.ts";
import { aggregatedClient } from "./aggregated-client.server.ts";
import { facadeClient } from "./facade-client.server.ts";
import { createPkbHttp } from "./http.server.ts";
import { IDENTIFIER_SYSTEMS } from "./identifiers.ts";
import { restClient } from "./rest-client.server.ts";
import { aggregatedTokenSource, systemTokenSource } from "./system-tokens.server.ts";
import {
  AGGREGATED_CLIENT,
  startTestSandbox,
  SYSTEM_CLIENT,
  type TestSandbox,
} from "./testing/pkb-sandbox.ts";

/**
 * Every client call, with retries and failures, logged at debug level: the captured output must
 * hold no identifier, token, invitation code, name or message text (quality.md, invariant 4).
 */
const captured: string[] = [];
const previous = getLogger();
let sb: TestSandbox;

beforeAll(async () => {
  setLogger(
    createLogger({
      level: "debug",
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          captured.push(chunk.toString());
          done();
        },
      }),
    }),
  );
  sb = await startTestSandbox();
});
afterAll(async () => {
  setLogger(previous);
  await sb.close();
});

describe("PKB client logs", () => {
  it("hold no patient data, tokens or secrets, even when calls fail and retry", async () => {
    const http = createPkbHttp({ sleep: () => Promise.resolve() });
    const systemToken = systemTokenSource(sb.endpoints, SYSTEM_CLIENT, { http });
    const aggregatedToken = aggregatedTokenSource(sb.endpoints, AGGREGATED_CLIENT, { http });
    const facade = facadeClient({
      endpoints: sb.endpoints,
      organisationPublicId: sb.trustPublicId,
      token: systemToken,
      http,
    });
    const rest = restClient({
      endpoints: sb.endpoints,
      token: systemToken,
      organisationPublicId: sb.trustPublicId,
      http,
    });
    const samples = sb.sandbox.summary().samples;
    const patients = samples.eligible
      .filter((id) => id.system === IDENTIFIER_SYSTEMS.nhs)
      .slice(0, 3);

    await sb.setFaults({ "*": { rate503: 0.5 }, "oauth.system-token": { rate503: 0 } });
    const statuses = await facade.statusQuery(patients);
    const tokens = await facade.generateInvitationTokens(patients);
    const { messages } = await rest.messagesAfter(0);
    const user = await rest.userByNationalId("nhs", patients[0]!.value);
    await sb.setFaults({ facade: { poisonIdentifiers: [patients[0]!.value] } });
    await facade.statusQuery(patients).catch(() => undefined);
    await sb.setFaults({});
    await aggregatedClient({
      endpoints: sb.endpoints,
      token: aggregatedToken,
      http,
    }).searchAppointments(patients[0]!);
    await systemTokenSource(
      sb.endpoints,
      { ...SYSTEM_CLIENT, clientSecret: "wrong-secret-value" },
      { http },
    )
      .accessToken()
      .catch(() => undefined);

    const log = captured.join("");
    expect(log).toContain("pkb call");
    expect(log).toContain("pkb call retrying");
    const secrets = [
      ...patients.map((p) => p.value),
      await systemToken.accessToken(),
      await aggregatedToken.accessToken(),
      SYSTEM_CLIENT.clientSecret,
      "wrong-secret-value",
      ...[...tokens.issued.values()].flatMap((t) => [t.invitationCode, t.accessToken]),
      ...messages.slice(0, 20).flatMap((m) => [m.subject, m.content, m.patientId ?? ""]),
      user?.firstName ?? "",
      user?.lastName ?? "",
      [...statuses.statuses.values()][0]?.dateOfBirth ?? "",
    ].filter((s) => s.length >= 4);
    expect(secrets.length).toBeGreaterThan(20);
    for (const secret of secrets) expect(log, "a secret reached the logs").not.toContain(secret);
  });
});
