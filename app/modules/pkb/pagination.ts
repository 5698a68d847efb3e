import { PkbApiError, type PkbSurface } from "./errors.ts";

/**
 * Follows `next` links exactly as PKB returns them (the Aggregated API's cursors are opaque and
 * must not be rebuilt), but only on the configured origin: a link elsewhere could leak our bearer
 * token. A link seen before stops paging (loop guard), and so does the page budget.
 */
export interface NextLinkOptions<Page> {
  surface: PkbSurface;
  endpoint: string;
  /** The configured base URL; `next` links must have its origin. */
  baseUrl: string;
  firstUrl: string;
  /** Most pages to read, the first included. */
  maxPages: number;
  fetchPage(url: string): Promise<{ page: Page; next: string | undefined }>;
}

export async function* followNextLinks<Page>(options: NextLinkOptions<Page>): AsyncGenerator<Page> {
  const allowedOrigin = new URL(options.baseUrl).origin;
  const seen = new Set<string>();
  let url: string | undefined = options.firstUrl;
  let pages = 0;
  while (url !== undefined) {
    if (pages >= options.maxPages) {
      throw new PkbApiError({
        surface: options.surface,
        endpoint: options.endpoint,
        kind: "page-budget",
        retryable: false,
      });
    }
    seen.add(url);
    const { page, next } = await options.fetchPage(url);
    pages++;
    yield page;
    url = next === undefined ? undefined : checkedNext(next, url, allowedOrigin, seen, options);
  }
}

function checkedNext(
  next: string,
  current: string,
  allowedOrigin: string,
  seen: ReadonlySet<string>,
  options: Pick<NextLinkOptions<unknown>, "surface" | "endpoint">,
): string {
  let resolved: URL;
  try {
    // Absolute links are used as given; a relative one is read against the page it came from.
    resolved = new URL(next, current);
  } catch {
    throw new PkbApiError({
      surface: options.surface,
      endpoint: options.endpoint,
      kind: "invalid-response",
      detail: "a next-page link is not a URL",
      retryable: false,
    });
  }
  if (resolved.origin !== allowedOrigin) {
    throw new PkbApiError({
      surface: options.surface,
      endpoint: options.endpoint,
      kind: "refused-link",
      refusedHost: resolved.host || resolved.protocol,
      retryable: false,
    });
  }
  const href = URL.canParse(next) ? next : resolved.href;
  if (seen.has(href)) {
    throw new PkbApiError({
      surface: options.surface,
      endpoint: options.endpoint,
      kind: "link-loop",
      retryable: false,
    });
  }
  return href;
}
