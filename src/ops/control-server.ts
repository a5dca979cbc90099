/**
 * The control channel of running jobs (DESIGN.md point 8): a small HTTP server through which another
 * process (`weir savepoint`, `weir stop`, `weir list`; later the REST API and web UI) takes savepoints
 * and stops jobs. Bound to 127.0.0.1 on an ephemeral port, and every request must carry
 * `Authorization: Bearer <token>`: the token is only in the owner-only registration file (see
 * job-registration.ts), so other local users, and web pages the user visits, cannot control a job.
 *
 *   GET  /jobs                                 { jobs: [{ id, status, uptimeMs }] }
 *   GET  /jobs/:jobId                          { id, status, uptimeMs }
 *   POST /jobs/:jobId/savepoints  { targetDirectory? }   202 { "request-id" }
 *   POST /jobs/:jobId/stop        { targetDirectory? }   202 { "request-id" }  (stop-with-savepoint)
 *   GET  /jobs/:jobId/savepoints/:requestId    { status: { id }, operation? }  (both kinds)
 *
 * Errors are `{ errors: [message] }`: 401 without the token, 404 for an unknown job, request or path,
 * 405 for a wrong method, 400 for a body that is not what the route takes.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute } from 'node:path';
import type { JobClient, SavepointInfo, SavepointOptions } from '../runtime/job-client.js';
import { SavepointOperations } from './async-operations.js';
import type { JobOverview, JobsOverview, TriggerResponse } from './control-protocol.js';
import { HttpError, readJsonObject, sendError, sendJson } from './http-json.js';

/** Only this host: the channel is for processes of this machine. */
export const CONTROL_HOST = '127.0.0.1';

interface ControlledJob {
  readonly client: JobClient;
  readonly addedAt: number;
  readonly operations: SavepointOperations;
}

type Handler = (req: IncomingMessage, res: ServerResponse, params: Readonly<Record<string, string>>) => Promise<void>;

interface Route {
  /** Path segments; `:name` matches any one segment and is passed as a parameter. */
  readonly pattern: readonly string[];
  readonly methods: Readonly<Record<string, Handler>>;
}

/** A started control server; add the jobs it controls with {@link ControlServer.addJob}. */
export class ControlServer {
  private readonly jobs = new Map<string, ControlledJob>();
  private readonly routes: readonly Route[] = [
    { pattern: ['jobs'], methods: { GET: async (_req, res) => sendJson(res, 200, this.overview()) } },
    { pattern: ['jobs', ':jobId'], methods: { GET: async (_req, res, p) => sendJson(res, 200, this.describe(p.jobId!, this.job(p.jobId!))) } },
    { pattern: ['jobs', ':jobId', 'savepoints'], methods: { POST: (req, res, p) => this.trigger(req, res, p.jobId!, 'savepoint') } },
    { pattern: ['jobs', ':jobId', 'stop'], methods: { POST: (req, res, p) => this.trigger(req, res, p.jobId!, 'stop') } },
    { pattern: ['jobs', ':jobId', 'savepoints', ':requestId'], methods: { GET: async (_req, res, p) => this.poll(res, p.jobId!, p.requestId!) } },
  ];

  private constructor(
    private readonly server: Server,
    /** The bearer token every request must carry. */
    readonly token: string,
  ) {}

  /**
   * Starts listening on 127.0.0.1 on a port the system picks.
   *
   * @example
   * const server = await ControlServer.start();
   * server.addJob(new LocalExecutor().start(env, { checkpointDir, savepointDir }));
   * // curl -H "Authorization: Bearer $TOKEN" -X POST http://127.0.0.1:$PORT/jobs/demo/savepoints
   */
  static async start(options: { readonly token?: string } = {}): Promise<ControlServer> {
    const server = createServer();
    const control = new ControlServer(server, options.token ?? randomBytes(32).toString('hex'));
    server.on('request', (req, res) => void control.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, CONTROL_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return control;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return `http://${CONTROL_HOST}:${this.port}`;
  }

  /** Puts `client` under control, as `/jobs/<client.jobId>`. */
  addJob(client: JobClient): void {
    if (this.jobs.has(client.jobId)) throw new Error(`control server: job '${client.jobId}' is controlled already`);
    this.jobs.set(client.jobId, { client, addedAt: performance.now(), operations: new SavepointOperations() });
  }

  /**
   * Resolves once every savepoint and stop triggered here has completed and its result was polled,
   * or after `timeoutMs`: call before {@link close} so the poller of a stop learns the savepoint.
   */
  async operationsCollected(timeoutMs: number): Promise<void> {
    await Promise.all([...this.jobs.values()].map((j) => j.operations.collected(timeoutMs)));
  }

  /** Stops listening and closes every connection. */
  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      this.authenticate(req);
      const { route, params } = this.match(req.url ?? '/');
      const handler = route.methods[req.method ?? 'GET'];
      if (handler === undefined) {
        const allowed = Object.keys(route.methods).join(', ');
        throw new HttpError(405, `${req.method} is not allowed here; use ${allowed}`, { allow: allowed });
      }
      await handler(req, res, params);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      // Drain what the client sent, so it reads our answer rather than a reset connection.
      req.resume();
      sendError(res, e instanceof HttpError ? e : new HttpError(500, `internal error: ${e instanceof Error ? e.message : String(e)}`));
    }
  }

  private authenticate(req: IncomingMessage): void {
    const header = req.headers.authorization ?? '';
    const given = /^Bearer (\S+)$/i.exec(header)?.[1];
    // Compare digests: equal lengths for timingSafeEqual, and no timing hint about the token.
    const digest = (s: string): Buffer => createHash('sha256').update(s).digest();
    if (given === undefined || !timingSafeEqual(digest(given), digest(this.token))) {
      throw new HttpError(401, given === undefined ? 'missing bearer token (Authorization: Bearer <token>)' : 'wrong bearer token', {
        'www-authenticate': 'Bearer',
      });
    }
  }

  private match(url: string): { route: Route; params: Record<string, string> } {
    const path = new URL(url, 'http://localhost').pathname;
    let segments: string[];
    try {
      segments = path.split('/').filter((s) => s !== '').map(decodeURIComponent);
    } catch {
      throw new HttpError(400, `malformed percent-encoding in path ${path}`);
    }
    for (const route of this.routes) {
      if (route.pattern.length !== segments.length) continue;
      const params: Record<string, string> = {};
      const fits = route.pattern.every((p, i) => (p.startsWith(':') ? ((params[p.slice(1)] = segments[i]!), true) : p === segments[i]));
      if (fits) return { route, params };
    }
    throw new HttpError(404, `no such resource: ${path}`);
  }

  private job(jobId: string): ControlledJob {
    const job = this.jobs.get(jobId);
    if (job === undefined) {
      const known = [...this.jobs.keys()];
      throw new HttpError(404, `no job '${jobId}' here${known.length === 0 ? '' : ` (jobs: ${known.join(', ')})`}`);
    }
    return job;
  }

  private overview(): JobsOverview {
    return { jobs: [...this.jobs].map(([id, job]) => this.describe(id, job)) };
  }

  private describe(id: string, job: ControlledJob): JobOverview {
    return { id, status: job.client.status.toUpperCase(), uptimeMs: Math.round(performance.now() - job.addedAt) };
  }

  private async trigger(req: IncomingMessage, res: ServerResponse, jobId: string, kind: 'savepoint' | 'stop'): Promise<void> {
    const job = this.job(jobId);
    const options = savepointOptions(await readJsonObject(req));
    const work: Promise<SavepointInfo> =
      kind === 'stop' ? job.client.stopWithSavepoint(options) : job.client.triggerSavepoint(options);
    const body: TriggerResponse = { 'request-id': job.operations.start(work) };
    sendJson(res, 202, body);
  }

  private poll(res: ServerResponse, jobId: string, requestId: string): void {
    const status = this.job(jobId).operations.poll(requestId);
    if (status === undefined) throw new HttpError(404, `no savepoint or stop request '${requestId}' for job '${jobId}'`);
    sendJson(res, 200, status);
  }
}

/** Checks a savepoint request body; unknown fields are refused so a misspelt one is not silently ignored. */
function savepointOptions(body: Record<string, unknown>): SavepointOptions {
  const unknown = Object.keys(body).filter((k) => k !== 'targetDirectory');
  if (unknown.length > 0) throw new HttpError(400, `unknown field(s) ${unknown.join(', ')}; the body takes { "targetDirectory"?: string }`);
  const dir = body.targetDirectory;
  if (dir === undefined) return {};
  // Relative to what? The caller's working directory is not ours: the caller resolves it.
  if (typeof dir !== 'string' || !isAbsolute(dir)) throw new HttpError(400, `targetDirectory must be an absolute path, got ${JSON.stringify(dir)}`);
  return { targetDirectory: dir };
}
