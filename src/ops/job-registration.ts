/**
 * Discovery of running jobs: each `weir run` registers its control server in the runtime directory
 * (runtime-dir.ts) as `<job-id>.json` (file-safe), mode 0600: `{ pid, port, token, jobId, startedAt }`
 * plus what `weir stop` needs to print the resume command. `weir savepoint`, `weir stop` and
 * `weir list` find jobs there.
 *
 * A file whose process is dead (SIGKILL, power loss) is stale: ignored, and replaced by the next run of
 * that job. A live one refuses a second run of the same job id, because both would write the same
 * checkpoint directory.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, open, readdir, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** What a registration file holds. */
export interface JobRegistration {
  readonly pid: number;
  /** Port of the control server on 127.0.0.1. */
  readonly port: number;
  /** Its bearer token. */
  readonly token: string;
  readonly jobId: string;
  /** ISO 8601. */
  readonly startedAt: string;
  /** The working directory of `weir run`, which relative paths in {@link runArgs} are relative to. */
  readonly cwd: string;
  /** The words after `weir run` that run this job again, without savepoint-restore options. */
  readonly runArgs: readonly string[];
}

/** A second `weir run` of a job that is running already. */
export class JobAlreadyRunningError extends Error {
  constructor(readonly existing: JobRegistration, file: string) {
    super(
      `job '${existing.jobId}' is running already (pid ${existing.pid}, since ${existing.startedAt}; registered in ${file}): ` +
        `two runs of one job would write the same checkpoint directory. Stop it first (weir stop ${existing.jobId}), ` +
        `or give this run another --job-id`,
    );
    this.name = 'JobAlreadyRunningError';
  }
}

/** Longest registration file name kept readable; longer job ids are shortened with a hash. */
const MAX_READABLE_NAME = 160;

/** `<job-id>.json`, percent-encoded where the id has characters a file name should not (injective). */
export function registrationFileName(jobId: string): string {
  const safe = encodeURIComponent(jobId).replace(/[*!'()~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  // A leading dot would hide the file and `..` would not be a file at all.
  const name = safe.startsWith('.') ? `%2E${safe.slice(1)}` : safe;
  if (name.length <= MAX_READABLE_NAME) return `${name}.json`;
  return `${name.slice(0, MAX_READABLE_NAME - 17)}~${createHash('sha256').update(jobId).digest('hex').slice(0, 16)}.json`;
}

/** Whether process `pid` exists (it may belong to another user: then it exists too). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Parses a registration file's text; undefined when it is not one (a foreign or damaged file). */
export function parseRegistration(text: string): JobRegistration | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const ok =
    typeof v === 'object' && v !== null &&
    Number.isSafeInteger(v.pid) && Number.isSafeInteger(v.port) &&
    typeof v.token === 'string' && typeof v.jobId === 'string' && typeof v.startedAt === 'string' &&
    typeof v.cwd === 'string' && Array.isArray(v.runArgs) && v.runArgs.every((w) => typeof w === 'string');
  return ok ? (v as unknown as JobRegistration) : undefined;
}

/** The registration in `file` if its process is alive; undefined when missing, damaged or stale. */
async function readLive(file: string): Promise<JobRegistration | undefined> {
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  const registration = text === undefined ? undefined : parseRegistration(text);
  return registration !== undefined && isProcessAlive(registration.pid) ? registration : undefined;
}

/** A registration this process holds; remove it when the job ends. */
export interface HeldRegistration {
  readonly file: string;
  /** Deletes the file if it is still ours. */
  remove(): Promise<void>;
  /** The same, synchronously: for `process.on('exit')`, where nothing asynchronous runs any more. */
  removeSync(): void;
}

/**
 * Registers `registration` in `dir` (which must exist, see `ensureRuntimeDirectory`): written to a
 * temp file (mode 0600), then hard-linked to its final name, which fails if the name exists: so of two
 * runs starting together exactly one registers. An existing stale or damaged file is replaced; a live
 * one throws {@link JobAlreadyRunningError}.
 */
export async function registerJob(dir: string, registration: JobRegistration): Promise<HeldRegistration> {
  const file = join(dir, registrationFileName(registration.jobId));
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  const fh = await open(tmp, 'wx', 0o600);
  try {
    await fh.writeFile(JSON.stringify(registration, null, 2) + '\n');
  } finally {
    await fh.close();
  }
  try {
    for (let tries = 0; ; tries++) {
      try {
        await link(tmp, file);
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || tries >= 3) throw e;
      }
      const existing = await readLive(file);
      if (existing !== undefined) throw new JobAlreadyRunningError(existing, file);
      await unlink(file).catch(() => undefined);
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  const stillOurs = (text: string): boolean => parseRegistration(text)?.token === registration.token;
  return {
    file,
    async remove() {
      const text = await readFile(file, 'utf8').catch(() => '');
      if (stillOurs(text)) await unlink(file).catch(() => undefined);
    },
    removeSync() {
      try {
        if (stillOurs(readFileSync(file, 'utf8'))) unlinkSync(file);
      } catch {
        // Gone already.
      }
    },
  };
}

/** The live registration of `jobId` in `dir`, if that job is running. */
export async function findRunningJob(dir: string, jobId: string): Promise<JobRegistration | undefined> {
  const registration = await readLive(join(dir, registrationFileName(jobId)));
  return registration?.jobId === jobId ? registration : undefined;
}

/** Every live registration in `dir`, by job id; stale and damaged files are skipped. */
export async function listRunningJobs(dir: string): Promise<JobRegistration[]> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return [] as string[];
    throw e;
  });
  const live = await Promise.all(names.filter((n) => n.endsWith('.json')).map((n) => readLive(join(dir, n))));
  return live.filter((r): r is JobRegistration => r !== undefined).sort((a, b) => a.jobId.localeCompare(b.jobId));
}
