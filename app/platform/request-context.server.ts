/**
 * Facts about the request that the web server established (server/index.ts sets these headers
 * after discarding any the client sent), so loaders and actions can read them from `request`.
 */
export const CLIENT_ADDRESS_HEADER = "x-pkbdesk-client-address";
export const REQUEST_ID_HEADER = "x-request-id";

export function clientAddress(request: Request): string | null {
  return request.headers.get(CLIENT_ADDRESS_HEADER);
}

export function requestId(request: Request): string | null {
  return request.headers.get(REQUEST_ID_HEADER);
}
