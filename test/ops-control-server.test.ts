/**
 * The control server (src/ops/control-server.ts): authentication, errors, the loopback-only bind and
 * Flink's async-operation shape, against a scripted job client; then end to end with the real
 * executor, taking a savepoint over HTTP and stopping the job with one.
 */
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, SavepointFailedError } from '../src/ops/control-client.js';
import type { OperationStatus } from '../src/ops/control-protocol.js';
import { CONTROL_HOST, ControlServer } from '../src/ops/control-server.js';
import type { JobRegistration } from '../src/ops/job-registration.js';
import type { JobClient, SavepointInfo, SavepointOptions } from '../src/runtime/job-client.js';
import { LocalExecutor, type RunStats } from '../src/runtime/local-executor.js';
import { countingJob } from './support/counting-job.js';
import { tempDirs } from './support/temp-dirs.js';

const servers: ControlServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
const tempDir = tempDirs();

async function startServer(): Promise<ControlServer> {
  const server = await ControlServer.start();
  servers.push(server);
  return server;
}

/** A job client whose savepoints complete when the test says so. */
class ScriptedJob implements JobClient {
  status: JobClient['status'] = 'running';
  readonly requests: { kind: 'savepoint' | 'stop'; options: SavepointOptions | undefined; resolve(i: SavepointInfo): void; reject(e: Error): void }[] = [];
  readonly result = new Promise<RunStats>(() => undefined);
  constructor(readonly jobId: string) {}
  triggerSavepoint(options?: SavepointOptions): Promise<SavepointInfo> {
    return this.request('savepoint', options);
  }
  stopWithSavepoint(options?: SavepointOptions): Promise<SavepointInfo> {
    this.status = 'stopping';
    return this.request('stop', options);
  }
  private request(kind: 'savepoint' | 'stop', options: SavepointOptions | undefined): Promise<SavepointInfo> {
    return new Promise((resolve, reject) => this.requests.push({ kind, options, resolve, reject }));
  }
}

const INFO: SavepointInfo = { path: '/sp/savepoint-x-7', checkpointId: 7, sizeBytes: 1234, durationMs: 35 };

function call(server: ControlServer, method: string, path: string, init: { body?: string; token?: string | null } = {}) {
  const token = init.token === undefined ? server.token : init.token;
  return fetch(`${server.url}${path}`, {
    method,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    ...(init.body === undefined ? {} : { body: init.body }),
  }).then(async (r) => ({ status: r.status, headers: r.headers, body: (await r.json()) as Record<string, unknown> }));
}

function clientOf(server: ControlServer, jobId: string): ControlClient {
  const registration: JobRegistration = { pid: process.pid, port: server.port, token: server.token, jobId, startedAt: new Date().toISOString(), cwd: '/', runArgs: [] };
  return new ControlClient(registration);
}

describe('control server: access', () => {
  it('listens on 127.0.0.1 only, on a port the system picked', async () => {
    const server = await startServer();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(CONTROL_HOST).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    // Any non-loopback address of this machine must not reach it.
    const external = Object.values(networkInterfaces()).flat().find((a) => a !== undefined && a.family === 'IPv4' && !a.internal);
    if (external !== undefined) {
      await expect(fetch(`http://${external.address}:${server.port}/jobs`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
    }
  });

  it('answers 401 without the bearer token or with a wrong one, before looking at the path', async () => {
    const server = await startServer();
    server.addJob(new ScriptedJob('j'));
    for (const [token, message] of [
      [null, 'missing bearer token'],
      ['not-the-token', 'wrong bearer token'],
      [server.token.slice(1), 'wrong bearer token'],
    ] as const) {
      for (const path of ['/jobs', '/jobs/j', '/nowhere']) {
        const r = await call(server, 'GET', path, { token });
        expect(r.status).toBe(401);
        expect(r.headers.get('www-authenticate')).toBe('Bearer');
        expect(r.body.errors).toEqual([expect.stringContaining(message)]);
      }
    }
    const post = await call(server, 'POST', '/jobs/j/savepoints', { token: null, body: '{}' });
    expect(post.status).toBe(401);
  });

  it('every server has its own random token', async () => {
    const [a, b] = [await startServer(), await startServer()];
    expect(a.token).toMatch(/^[0-9a-f]{64}$/);
    expect(a.token).not.toBe(b.token);
    expect((await call(b, 'GET', '/jobs', { token: a.token })).status).toBe(401);
  });
});

describe('control server: errors', () => {
  it('404 for an unknown job, path or request id; 405 for a wrong method', async () => {
    const server = await startServer();
    server.addJob(new ScriptedJob('j'));
    const unknownJob = await call(server, 'GET', '/jobs/other');
    expect(unknownJob.status).toBe(404);
    expect(unknownJob.body).toEqual({ errors: ["no job 'other' here (jobs: j)"] });
    expect((await call(server, 'POST', '/jobs/other/savepoints', { body: '{}' })).status).toBe(404);
    expect((await call(server, 'POST', '/jobs/other/stop')).status).toBe(404);
    expect((await call(server, 'GET', '/overview')).body).toEqual({ errors: ['no such resource: /overview'] });
    expect((await call(server, 'GET', '/jobs/j/checkpoints/1/x')).status).toBe(404);
    const request = await call(server, 'GET', '/jobs/j/savepoints/0123');
    expect(request.status).toBe(404);
    expect(request.body.errors).toEqual(["no savepoint or stop request '0123' for job 'j'"]);
    const method = await call(server, 'DELETE', '/jobs/j');
    expect(method.status).toBe(405);
    expect(method.headers.get('allow')).toBe('GET');
  });

  it('400 for a body that is not JSON, not an object, has unknown fields or a relative directory', async () => {
    const server = await startServer();
    const job = new ScriptedJob('j');
    server.addJob(job);
    const cases: [string, RegExp][] = [
      ['{"targetDirectory": ', /not valid JSON/],
      ['[1]', /must be a JSON object/],
      ['"x"', /must be a JSON object/],
      ['{"target-directory": "/x"}', /unknown field\(s\) target-directory/],
      ['{"targetDirectory": "savepoints"}', /targetDirectory must be an absolute path, got "savepoints"/],
      ['{"targetDirectory": 5}', /must be an absolute path, got 5/],
    ];
    for (const path of ['/jobs/j/savepoints', '/jobs/j/stop']) {
      for (const [body, message] of cases) {
        const r = await call(server, 'POST', path, { body });
        expect(r.status, body).toBe(400);
        expect((r.body.errors as string[])[0]).toMatch(message);
      }
    }
    expect(job.requests).toEqual([]);
  });

  it('percent-encoded job ids work; malformed encoding is a 400', async () => {
    const server = await startServer();
    server.addJob(new ScriptedJob('a/b c'));
    expect((await call(server, 'GET', '/jobs/a%2Fb%20c')).body).toMatchObject({ id: 'a/b c', status: 'RUNNING' });
    expect((await call(server, 'GET', '/jobs/%E0%A4%A')).status).toBe(400);
  });
});

describe('control server: jobs and savepoints', () => {
  it('lists jobs with their status and uptime', async () => {
    const server = await startServer();
    const job = new ScriptedJob('j');
    server.addJob(job);
    const list = await call(server, 'GET', '/jobs');
    expect(list.status).toBe(200);
    expect(list.body).toEqual({ jobs: [{ id: 'j', status: 'RUNNING', uptimeMs: expect.any(Number) }] });
    job.status = 'finished';
    expect((await call(server, 'GET', '/jobs/j')).body).toMatchObject({ id: 'j', status: 'FINISHED' });
    expect(() => server.addJob(new ScriptedJob('j'))).toThrow(/controlled already/);
  });

  it('a savepoint is an async operation: 202 with a request id, IN_PROGRESS, then COMPLETED with its location', async () => {
    const server = await startServer();
    const job = new ScriptedJob('j');
    server.addJob(job);
    const trigger = await call(server, 'POST', '/jobs/j/savepoints', { body: '{"targetDirectory": "/sp"}' });
    expect(trigger.status).toBe(202);
    const requestId = trigger.body['request-id'] as string;
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(job.requests.map((r) => [r.kind, r.options])).toEqual([['savepoint', { targetDirectory: '/sp' }]]);
    expect((await call(server, 'GET', `/jobs/j/savepoints/${requestId}`)).body).toEqual({ status: { id: 'IN_PROGRESS' } });
    job.requests[0]!.resolve(INFO);
    const done: OperationStatus = { status: { id: 'COMPLETED' }, operation: { location: INFO.path, checkpointId: 7, sizeBytes: 1234, durationMs: 35 } };
    await expect.poll(async () => (await call(server, 'GET', `/jobs/j/savepoints/${requestId}`)).body).toEqual(done);
  });

  it('an empty body takes the default directory; a failure is COMPLETED with its failure-cause', async () => {
    const server = await startServer();
    const job = new ScriptedJob('j');
    server.addJob(job);
    const client = clientOf(server, 'j');
    const requestId = await client.triggerSavepoint();
    expect(job.requests[0]!.options).toEqual({});
    job.requests[0]!.reject(new Error('no savepoint directory: give targetDirectory or run with savepointDir'));
    await expect(client.awaitSavepoint(requestId, 5)).rejects.toThrow(new SavepointFailedError('no savepoint directory: give targetDirectory or run with savepointDir'));
    expect(await client.savepointStatus(requestId)).toEqual({
      status: { id: 'COMPLETED' },
      operation: { 'failure-cause': { message: 'no savepoint directory: give targetDirectory or run with savepointDir' } },
    });
  });

  it('stop is polled under /savepoints too, and the server waits until its result was collected', async () => {
    const server = await startServer();
    const job = new ScriptedJob('j');
    server.addJob(job);
    const client = clientOf(server, 'j');
    const requestId = await client.stopWithSavepoint({ targetDirectory: '/sp' });
    expect(job.requests.map((r) => r.kind)).toEqual(['stop']);
    expect((await client.job()).status).toBe('STOPPING');
    let collected = false;
    const waiting = server.operationsCollected(10_000).then(() => (collected = true));
    job.requests[0]!.resolve(INFO);
    await new Promise((r) => setTimeout(r, 50));
    expect(collected).toBe(false);
    expect(await client.awaitSavepoint(requestId, 5)).toMatchObject({ location: INFO.path, checkpointId: 7 });
    await waiting;
    expect(collected).toBe(true);
  });

  it('waiting for results to be collected gives up after its timeout', async () => {
    const server = await startServer();
    const job = new ScriptedJob('j');
    server.addJob(job);
    await clientOf(server, 'j').triggerSavepoint();
    const started = performance.now();
    await server.operationsCollected(100);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
  });
});

describe('control server with the real executor', () => {
  it('takes a savepoint over HTTP while the job runs, then stops it with one', async () => {
    const dir = tempDir('control-e2e');
    const env = countingJob({
      backend: 'heap',
      jobName: 'control-e2e',
      source: { count: Infinity, keys: 50, seed: 3, ratePerSecond: 20_000 },
      sink: { kind: 'transactional-file', payload: { dir: join(dir, 'out') } },
      checkpoint: { intervalMs: 100 },
    });
    const abort = new AbortController();
    // A job takes savepoints once it runs with its checkpoint coordinator: wait for its first checkpoint.
    let checkpointed!: () => void;
    const firstCheckpoint = new Promise<void>((resolve) => (checkpointed = resolve));
    const job = new LocalExecutor().start(env, {
      checkpointDir: join(dir, 'checkpoints'),
      savepointDir: join(dir, 'default-savepoints'),
      signal: abort.signal,
      listener: { onCheckpointCompleted: () => checkpointed() },
    });
    const server = await startServer();
    server.addJob(job);
    const client = clientOf(server, 'control-e2e');
    try {
      await firstCheckpoint;
      const taken = await client.awaitSavepoint(await client.triggerSavepoint({ targetDirectory: join(dir, 'savepoints') }));
      expect(taken.location.startsWith(join(dir, 'savepoints'))).toBe(true);
      expect(existsSync(join(taken.location, '_metadata'))).toBe(true);
      expect(taken.sizeBytes).toBeGreaterThan(0);
      expect((await client.job()).status).toBe('RUNNING');

      const stopped = await client.awaitSavepoint(await client.stopWithSavepoint());
      expect(stopped.location.startsWith(join(dir, 'default-savepoints'))).toBe(true);
      expect(existsSync(join(stopped.location, '_metadata'))).toBe(true);
      expect(stopped.checkpointId).toBeGreaterThan(taken.checkpointId);
      await job.result;
      expect((await client.job()).status).toBe('FINISHED');
    } finally {
      abort.abort(new Error('test over'));
      await job.result.catch(() => undefined);
    }
  });
});
