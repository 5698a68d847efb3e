import http from "node:http";
import https from "node:https";

/**
 * The HTTP transport under notifications-node-client (plugged in with `setClient`). The client
 * still builds every path, body and JWT; this replaces axios for one reason: to know whether the
 * request had been written out in full when something went wrong. A connection refused before
 * the body left cannot have made Notify send anything; a timeout or reset after it left might
 * have (H4: such a send is never repeated automatically). It also gives every call a timeout
 * (axios has none by default), never follows redirects and caps the response size.
 */

export interface NotifyHttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON, or the raw text when the body was not JSON. */
  data: unknown;
}

/** The call failed without an HTTP response. */
export class NotifyTransportError extends Error {
  override name = "NotifyTransportError";
  constructor(
    /** Whether the whole request had been handed to the network before the failure. */
    readonly requestWritten: boolean,
    /** ECONNREFUSED, ECONNRESET, ETIMEDOUT, ENOTFOUND, … */
    readonly code: string,
  ) {
    super(
      `Notify call failed (${code}) ${requestWritten ? "after" : "before"} the request was sent`,
    );
  }
}

/** The options notifications-node-client hands to its HTTP client (an axios request config). */
interface ClientRequestOptions {
  method: string;
  url: string;
  data?: unknown;
  headers?: Record<string, string>;
}

export interface NotifyTransportOptions {
  /** Whole call, from connecting to the last byte of the answer. */
  timeoutMs: number;
  maxResponseBytes?: number;
}

// Keep-alive saves a TLS handshake per send in a wave; Node's agent drops sockets the server
// announced it will close (Keep-Alive: timeout), which keeps stale-socket resets rare.
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16, scheduling: "lifo" });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16, scheduling: "lifo" });

export type NotifyTransport = (options: ClientRequestOptions) => Promise<NotifyHttpResponse>;

export function createNotifyTransport(options: NotifyTransportOptions): NotifyTransport {
  const maxBytes = options.maxResponseBytes ?? 1024 * 1024;
  return (request) =>
    new Promise<NotifyHttpResponse>((resolve, reject) => {
      const url = new URL(request.url);
      const body = request.data === undefined ? undefined : JSON.stringify(request.data);
      const transport = url.protocol === "https:" ? https : http;
      const req = transport.request(url, {
        method: request.method.toUpperCase(),
        agent: url.protocol === "https:" ? httpsAgent : httpAgent,
        headers: {
          ...request.headers,
          accept: "application/json",
          ...(body === undefined
            ? {}
            : {
                "content-type": "application/json",
                "content-length": String(Buffer.byteLength(body)),
              }),
        },
      });
      let written = false;
      let settled = false;
      const fail = (code: string): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(new NotifyTransportError(written, code));
      };
      const timer = setTimeout(() => {
        fail("ETIMEDOUT");
        req.destroy();
      }, options.timeoutMs);
      req.on("finish", () => {
        written = true;
      });
      req.on("error", (error: NodeJS.ErrnoException) => fail(error.code ?? "EUNKNOWN"));
      req.on("response", (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            fail("ERESPONSETOOLARGE");
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on("error", (error: NodeJS.ErrnoException) => fail(error.code ?? "ERESPONSE"));
        res.on("aborted", () => fail("ECONNRESET"));
        res.on("end", () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString("utf8");
          let data: unknown = text;
          try {
            data = text === "" ? null : JSON.parse(text);
          } catch {
            // Not JSON (a proxy's error page, say): the caller decides what that means.
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, data });
        });
      });
      req.end(body);
    });
}
