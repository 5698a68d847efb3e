/**
 * The sandbox for bench/requests-sync.bench.ts, in its own process (as PKB would be): builds the
 * population, tops the trust's inbox up to MESSAGES with patients' requests for booked
 * appointments, listens, and prints one JSON line: {url, adminKey, organisations, demoLogin, …}.
 *
 * argv: <patients> <appointments> <messages> <now ISO>
 */
import { startSandbox } from "../../sandbox/src/server.ts";
import type { Appointment } from "../../sandbox/src/population/model.ts";

const [patients, appointments, messages, nowIso] = process.argv.slice(2);
const NOW = Date.parse(nowIso!);
const DAY = 86_400_000;
const started = performance.now();
const sandbox = await startSandbox({
  port: 0,
  patients: Number(patients),
  appointments: Number(appointments),
  seed: 42,
  now: NOW,
  frozenClock: true,
});
const state = sandbox.app.state;
const team = state.population.teams[state.population.organisations[0]!.nominatedTeamIndex]!;
const inbox = (): number =>
  state.population.messages.filter(
    (m) => m.recipientIds.includes(team.publicId) && m.timestamp <= NOW,
  ).length;
let missing = Number(messages) - inbox();
let added = 0;
const bookable = state.population.appointments.filter(
  (a: Appointment) => a.orgIndex === 0 && a.status === "booked" && a.requestAt === null,
);
for (let i = 0; missing > 0 && i < bookable.length; i++) {
  const appointment = bookable[i]!;
  // Requests arrive over the last 60 days, at least 3 days before the appointment.
  const at = Math.min(NOW, appointment.start - 3 * DAY) - ((i * 7_919) % (60 * DAY));
  state.addAppointmentRequest(appointment, i % 5 < 3 ? "cancel" : "change", "", at);
  missing--;
  added++;
}
process.stdout.write(
  `${JSON.stringify({
    url: sandbox.url,
    adminKey: sandbox.adminKey,
    organisations: sandbox.organisations,
    demoLogin: sandbox.demoLogin,
    inboxMessages: inbox(),
    requestsAdded: added,
    setupSeconds: Math.round((performance.now() - started) / 10) / 100,
  })}\n`,
);
process.on("SIGTERM", () => {
  void sandbox.close().then(() => process.exit(0));
});
