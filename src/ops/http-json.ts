/**
 * JSON over node:http without a framework: read a bounded request body as JSON, answer with JSON,
 * and {@link HttpError} for every answer that is not a success, so a route handler just throws.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorResponse } from './control-protocol.js';

/** Request bodies here are a few fields; anything bigger is a mistake or an attack. */
const MAX_BODY_BYTES = 64 * 1024;

/** An error answer: its status and the message sent as `{ errors: [message] }`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers, e.g. `Allow` for a 405. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** Sends `body` as JSON with `status`. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** Sends an error answer in Flink's shape. */
export function sendError(res: ServerResponse, error: HttpError): void {
  const body: ErrorResponse = { errors: [error.message] };
  sendJson(res, error.status, body, error.headers);
}

/**
 * Reads the body as a JSON object; an empty body is `{}`. 400 for anything that is not a JSON
 * object, 413 past {@link MAX_BODY_BYTES}.
 */
export async function readJsonObject(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `request body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'request body must be a JSON object');
  }
  return value as Record<string, unknown>;
}
