import { randomUUID } from "node:crypto";
import type { SandboxClock } from "../clock.ts";
import { notifyOptionsSchema, type NotifyOptions, type NotifyTemplate } from "./config.ts";
import { TEST_RECIPIENT_OUTCOMES, type FinalStatus } from "./recipients.ts";

/**
 * What the sandbox's Notify was asked to send, and where each notification stands. Statuses move
 * with the sandbox clock: `created`, then `sending` after `sendingAfterMs`, then the final status
 * after `finalAfterMs`. The final status is decided at send time, deterministically: a per-recipient
 * control wins, then Notify's documented test recipients, else `delivered`.
 */

export type NotifyStatus = "created" | "sending" | FinalStatus;

export interface NotifySend {
  id: string;
  type: "sms" | "email";
  /** As the caller wrote it (Notify echoes `phone_number`/`email_address` this way). */
  to: string;
  /** `447700900123` or a lower-cased e-mail address: what "the same recipient" means. */
  normalisedTo: string;
  templateId: string;
  templateVersion: number;
  templateName: string;
  personalisation: Record<string, unknown>;
  reference: string | null;
  body: string;
  subject: string | null;
  apiKeyName: string;
  /** Sandbox clock, ms. */
  createdAt: number;
  finalStatus: FinalStatus;
  /** Why it ends as it does. */
  outcomeSource: "default" | "test-recipient" | "control";
  callback: CallbackState;
}

export interface CallbackState {
  /** Not yet due, waiting to be sent, done, given up, or no callback configured when it was due. */
  state: "not-due" | "pending" | "delivered" | "failed" | "not-configured";
  attempts: number;
  /** HTTP status of the last attempt, or the error code when there was no answer. */
  lastResult: string | null;
  lastAttemptAt: string | null;
}

export interface NotifySettings {
  sendingAfterMs: number;
  finalAfterMs: number;
  /** Requests per 60 s per API key (Notify: 3000). 0 = no limit (the default, for benchmarks). */
  rateLimitPerMinute: number;
  /** Notifications per day (Notify live: 250 000; trial: 50). 0 = no limit. */
  dailyLimit: number;
}

export const DEFAULT_NOTIFY_SETTINGS: NotifySettings = {
  sendingAfterMs: 1_000,
  finalAfterMs: 10_000,
  rateLimitPerMinute: 0,
  dailyLimit: 0,
};

/** Notify retries a failed callback; the sandbox does the same, sooner (real time). */
const CALLBACK_RETRY_DELAYS_MS = [500, 1_000, 2_000, 4_000, 8_000];
const CALLBACK_TIMEOUT_MS = 5_000;
const DISPATCH_EVERY_MS = 100;

export interface CallbackConfig {
  url: string;
  bearerToken: string;
}

export class NotifyStore {
  readonly serviceId: string;
  readonly serviceName: string;
  private apiKeys: Array<{ name: string; secret: string }>;
  private templates = new Map<string, NotifyTemplate>();
  private sends: NotifySend[] = [];
  private byId = new Map<string, NotifySend>();
  /** Notifications whose delivery receipt is still to be POSTed (or retried). */
  private awaitingCallback = new Set<NotifySend>();
  private nextAttemptAt = new WeakMap<NotifySend, number>();
  private outcomeOverrides = new Map<string, FinalStatus>();
  private callbackConfig: CallbackConfig | undefined;
  private requestTimes = new Map<string, number[]>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight = new Set<Promise<void>>();
  settings: NotifySettings = { ...DEFAULT_NOTIFY_SETTINGS };

  constructor(
    private readonly clock: SandboxClock,
    options: NotifyOptions = {},
  ) {
    const parsed = notifyOptionsSchema.parse(options);
    this.serviceId = parsed.serviceId;
    this.serviceName = parsed.serviceName;
    this.apiKeys = parsed.apiKeys;
    for (const t of parsed.templates) this.templates.set(t.id, t);
    if (parsed.callbackUrl && parsed.callbackBearerToken) {
      this.callbackConfig = { url: parsed.callbackUrl, bearerToken: parsed.callbackBearerToken };
    }
  }

  keysFor(serviceId: string): ReadonlyArray<{ name: string; secret: string }> | undefined {
    return serviceId === this.serviceId ? this.apiKeys : undefined;
  }

  template(id: string): NotifyTemplate | undefined {
    return this.templates.get(id);
  }

  listTemplates(): NotifyTemplate[] {
    return [...this.templates.values()];
  }

  putTemplate(template: NotifyTemplate): void {
    const before = this.templates.get(template.id);
    this.templates.set(template.id, {
      ...template,
      version: before ? before.version + 1 : template.version,
    });
  }

  callback(): CallbackConfig | undefined {
    return this.callbackConfig;
  }

  setCallback(config: CallbackConfig | undefined): void {
    this.callbackConfig = config;
  }

  setOutcomes(outcomes: Record<string, FinalStatus>): void {
    for (const [recipient, status] of Object.entries(outcomes)) {
      this.outcomeOverrides.set(recipient, status);
    }
  }

  outcomes(): Record<string, FinalStatus> {
    return Object.fromEntries(this.outcomeOverrides);
  }

  clearOutcomes(): void {
    this.outcomeOverrides.clear();
  }

  /**
   * Counts a request against the key's per-minute limit (real time: it is about real load).
   * Returns false when the limit is exceeded.
   */
  takeRateToken(keyName: string, nowReal: number): boolean {
    if (this.settings.rateLimitPerMinute <= 0) return true;
    const times = (this.requestTimes.get(keyName) ?? []).filter((t) => t > nowReal - 60_000);
    if (times.length >= this.settings.rateLimitPerMinute) {
      this.requestTimes.set(keyName, times);
      return false;
    }
    times.push(nowReal);
    this.requestTimes.set(keyName, times);
    return true;
  }

  /** Notifications created on the sandbox clock's current UTC day. */
  sentToday(): number {
    const day = new Date(this.clock.now()).toISOString().slice(0, 10);
    let n = 0;
    for (const s of this.sends) {
      if (new Date(s.createdAt).toISOString().slice(0, 10) === day) n += 1;
    }
    return n;
  }

  record(
    input: Omit<
      NotifySend,
      "id" | "createdAt" | "finalStatus" | "outcomeSource" | "callback" | "normalisedTo"
    > & { normalisedTo: string },
  ): NotifySend {
    const override = this.outcomeOverrides.get(input.normalisedTo);
    const testOutcome = TEST_RECIPIENT_OUTCOMES[input.normalisedTo];
    const send: NotifySend = {
      ...input,
      id: randomUUID(),
      createdAt: this.clock.now(),
      finalStatus: override ?? testOutcome ?? "delivered",
      outcomeSource: override ? "control" : testOutcome ? "test-recipient" : "default",
      callback: { state: "not-due", attempts: 0, lastResult: null, lastAttemptAt: null },
    };
    this.sends.push(send);
    this.byId.set(send.id, send);
    this.awaitingCallback.add(send);
    return send;
  }

  get(id: string): NotifySend | undefined {
    return this.byId.get(id);
  }

  all(): readonly NotifySend[] {
    return this.sends;
  }

  statusOf(send: NotifySend, now = this.clock.now()): NotifyStatus {
    const age = now - send.createdAt;
    if (age < this.settings.sendingAfterMs) return "created";
    if (age < this.settings.finalAfterMs) return "sending";
    return send.finalStatus;
  }

  sentAt(send: NotifySend, now = this.clock.now()): number | null {
    return now - send.createdAt >= this.settings.sendingAfterMs
      ? send.createdAt + this.settings.sendingAfterMs
      : null;
  }

  completedAt(send: NotifySend, now = this.clock.now()): number | null {
    return now - send.createdAt >= this.settings.finalAfterMs
      ? send.createdAt + this.settings.finalAfterMs
      : null;
  }

  /** Forgets every send (the record tests read), keeping outcomes, settings and the callback. */
  clearSends(): void {
    this.sends = [];
    this.byId.clear();
    this.awaitingCallback.clear();
  }

  reset(): void {
    this.sends = [];
    this.byId.clear();
    this.awaitingCallback.clear();
    this.outcomeOverrides.clear();
    this.requestTimes.clear();
    this.settings = { ...DEFAULT_NOTIFY_SETTINGS };
  }

  /** Starts POSTing delivery receipts as notifications reach their final status. */
  start(): void {
    this.timer ??= setInterval(() => void this.dispatchDue(), DISPATCH_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Sends every receipt that is due now and waits for them (tests call this through
   * `POST /_sandbox/notify/callbacks/flush` instead of waiting for the timer). Retries wait.
   */
  async dispatchDue(options: { ignoreBackoff?: boolean } = {}): Promise<void> {
    const now = this.clock.now();
    const nowReal = Date.now();
    const work: Promise<void>[] = [];
    for (const send of this.awaitingCallback) {
      if (this.statusOf(send, now) !== send.finalStatus) continue;
      if (send.callback.state === "not-due") send.callback.state = "pending";
      if (!this.callbackConfig) {
        // Notify sends receipts only to a callback configured when the status arrives.
        send.callback.state = "not-configured";
        this.awaitingCallback.delete(send);
        continue;
      }
      const due = this.nextAttemptAt.get(send) ?? 0;
      if (!options.ignoreBackoff && due > nowReal) continue;
      // Claim it so an overlapping tick does not send it twice.
      this.nextAttemptAt.set(send, Number.POSITIVE_INFINITY);
      work.push(this.track(this.postReceipt(send, this.callbackConfig)));
    }
    // A flush also waits for attempts the timer started just before.
    await Promise.allSettled([...work, ...this.inFlight]);
  }

  private track(promise: Promise<void>): Promise<void> {
    this.inFlight.add(promise);
    void promise.finally(() => this.inFlight.delete(promise));
    return promise;
  }

  /** The body Notify POSTs to a service's delivery-receipt callback. */
  receipt(send: NotifySend): Record<string, unknown> {
    return {
      id: send.id,
      reference: send.reference,
      to: send.to,
      status: send.finalStatus,
      created_at: notifyTime(send.createdAt),
      completed_at: notifyTime(send.createdAt + this.settings.finalAfterMs),
      sent_at: notifyTime(send.createdAt + this.settings.sendingAfterMs),
      notification_type: send.type,
      template_id: send.templateId,
      template_version: send.templateVersion,
    };
  }

  private async postReceipt(send: NotifySend, config: CallbackConfig): Promise<void> {
    send.callback.attempts += 1;
    send.callback.lastAttemptAt = new Date(this.clock.now()).toISOString();
    let ok = false;
    try {
      const response = await fetch(config.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${config.bearerToken}`,
        },
        body: JSON.stringify(this.receipt(send)),
        signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
        redirect: "manual",
      });
      await response.arrayBuffer().catch(() => undefined);
      send.callback.lastResult = String(response.status);
      ok = response.status >= 200 && response.status < 300;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause;
      send.callback.lastResult =
        cause?.code ?? (error instanceof Error ? error.name : "request failed");
    }
    if (ok) {
      send.callback.state = "delivered";
      this.awaitingCallback.delete(send);
      return;
    }
    const delay = CALLBACK_RETRY_DELAYS_MS[send.callback.attempts - 1];
    if (delay === undefined) {
      send.callback.state = "failed";
      this.awaitingCallback.delete(send);
      return;
    }
    send.callback.state = "pending";
    this.nextAttemptAt.set(send, Date.now() + delay);
  }
}

/** Notify writes times with microseconds and a Z: `2026-11-21T10:00:00.000000Z`. */
export function notifyTime(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}
