/**
 * The control channel of one `weir run`: a control server plus its registration in the runtime
 * directory, opened before the job starts (so a second run of the job is refused before it touches
 * anything) and closed when it ends. The registration is removed on every way out of the process
 * that runs JavaScript (normal end, SIGINT/SIGTERM, process.exit); after SIGKILL it is stale and the
 * next run replaces it.
 */
import type { JobClient } from '../runtime/job-client.js';
import { ControlServer } from './control-server.js';
import { registerJob, type HeldRegistration } from './job-registration.js';
import { ensureRuntimeDirectory } from './runtime-dir.js';

/** How long a finished run keeps answering so the poller of a stop or savepoint reads its result. */
const RESULT_COLLECTION_TIMEOUT_MS = 5_000;

/** What the session is opened for. */
export interface ControlSessionOptions {
  readonly jobId: string;
  readonly runtimeDir: string;
  /** Working directory of the run, for the resume command. */
  readonly cwd: string;
  /** Words that run the job again (see resume-command.ts). */
  readonly runArgs: readonly string[];
}

/** An open control channel. */
export interface ControlSession {
  readonly server: ControlServer;
  readonly registrationFile: string;
  /** Puts the started job under control. */
  attach(client: JobClient): void;
  /** Unregisters, lets pollers collect pending results (bounded), then stops the server. */
  close(): Promise<void>;
}

/**
 * Starts the server and registers it; throws `JobAlreadyRunningError` when the job runs already,
 * or an error naming the runtime directory when it cannot be used.
 */
export async function openControlSession(options: ControlSessionOptions): Promise<ControlSession> {
  await ensureRuntimeDirectory(options.runtimeDir);
  const server = await ControlServer.start();
  let registration: HeldRegistration;
  try {
    registration = await registerJob(options.runtimeDir, {
      pid: process.pid,
      port: server.port,
      token: server.token,
      jobId: options.jobId,
      startedAt: new Date().toISOString(),
      cwd: options.cwd,
      runArgs: options.runArgs,
    });
  } catch (e) {
    await server.close();
    throw e;
  }
  const removeOnExit = (): void => registration.removeSync();
  process.on('exit', removeOnExit);
  return {
    server,
    registrationFile: registration.file,
    attach: (client) => server.addJob(client),
    async close() {
      process.off('exit', removeOnExit);
      await registration.remove();
      await server.operationsCollected(RESULT_COLLECTION_TIMEOUT_MS);
      await server.close();
    },
  };
}
