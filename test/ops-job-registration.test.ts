/**
 * Discovery of running jobs (src/ops/runtime-dir.ts, job-registration.ts): where the runtime
 * directory is, its and the files' permissions, stale and live registrations, odd job ids.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  findRunningJob,
  isProcessAlive,
  JobAlreadyRunningError,
  listRunningJobs,
  registerJob,
  registrationFileName,
  type JobRegistration,
} from '../src/ops/job-registration.js';
import { ensureRuntimeDirectory, runtimeDirectory } from '../src/ops/runtime-dir.js';
import { tempDirs } from './support/temp-dirs.js';

const tempDir = tempDirs();
const posix = process.platform !== 'win32';

function registration(jobId: string, pid = process.pid): JobRegistration {
  return { pid, port: 40000, token: `token-of-${jobId}-${pid}`, jobId, startedAt: '2026-01-02T03:04:05.000Z', cwd: '/work', runArgs: ['job.ts'] };
}

/** The pid of a process that has exited (and been reaped). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  expect(isProcessAlive(r.pid!)).toBe(false);
  return r.pid!;
}

describe('runtime directory', () => {
  it('is $WEIR_RUNTIME_DIR, else $XDG_RUNTIME_DIR/weir, else <tmpdir>/weir-<uid>', () => {
    expect(runtimeDirectory({ WEIR_RUNTIME_DIR: '/a', XDG_RUNTIME_DIR: '/run/user/1' })).toBe('/a');
    expect(runtimeDirectory({ XDG_RUNTIME_DIR: '/run/user/1' })).toBe(join('/run/user/1', 'weir'));
    expect(runtimeDirectory({})).toBe(join(tmpdir(), `weir-${userInfo().uid}`));
    expect(runtimeDirectory({ WEIR_RUNTIME_DIR: '', XDG_RUNTIME_DIR: '' })).toBe(join(tmpdir(), `weir-${userInfo().uid}`));
  });

  it.runIf(posix)('is created with mode 0700; one open to others is refused', async () => {
    const dir = join(tempDir('runtime'), 'nested', 'weir');
    await ensureRuntimeDirectory(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    await ensureRuntimeDirectory(dir); // exists already: fine
    const open = join(tempDir('runtime-open'), 'weir');
    mkdirSync(open);
    chmodSync(open, 0o755);
    await expect(ensureRuntimeDirectory(open)).rejects.toThrow(/is open to other users \(mode 755\); it holds control tokens: chmod 700 it, or set WEIR_RUNTIME_DIR/);
    const file = join(tempDir('runtime-file'), 'weir');
    writeFileSync(file, '');
    await expect(ensureRuntimeDirectory(file)).rejects.toThrow(/cannot be created: EEXIST.*set WEIR_RUNTIME_DIR/);
  });
});

describe('registration files', () => {
  it.runIf(posix)('are written with mode 0600 and hold pid, port, token, job id and start time', async () => {
    const dir = tempDir('registry');
    const held = await registerJob(dir, registration('demo'));
    expect(held.file).toBe(join(dir, 'demo.json'));
    expect(statSync(held.file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(held.file, 'utf8'))).toEqual(registration('demo'));
    expect(readdirSync(dir)).toEqual(['demo.json']); // no temp file left
    expect(await findRunningJob(dir, 'demo')).toEqual(registration('demo'));
    await held.remove();
    expect(existsSync(held.file)).toBe(false);
    expect(await findRunningJob(dir, 'demo')).toBeUndefined();
  });

  it('a live registration of the same job refuses a second one, naming the running process', async () => {
    const dir = tempDir('registry-live');
    const first = await registerJob(dir, registration('demo'));
    const second = registerJob(dir, { ...registration('demo'), token: 'other' });
    await expect(second).rejects.toThrow(JobAlreadyRunningError);
    await expect(second).rejects.toThrow(
      new RegExp(`job 'demo' is running already \\(pid ${process.pid}, .*two runs of one job would write the same checkpoint directory`),
    );
    expect(JSON.parse(readFileSync(first.file, 'utf8')).token).toBe(registration('demo').token);
    expect(readdirSync(dir)).toEqual(['demo.json']);
    // Another job id is no conflict.
    await registerJob(dir, registration('other'));
  });

  it('a stale registration (its process is dead) is ignored and replaced; so is a damaged one', async () => {
    const dir = tempDir('registry-stale');
    const dead = deadPid();
    writeFileSync(join(dir, 'demo.json'), JSON.stringify(registration('demo', dead)));
    writeFileSync(join(dir, 'broken.json'), '{"pid": 1, "port"');
    expect(await findRunningJob(dir, 'demo')).toBeUndefined();
    expect(await listRunningJobs(dir)).toEqual([]);
    await registerJob(dir, registration('demo'));
    await registerJob(dir, registration('broken'));
    expect((await listRunningJobs(dir)).map((r) => [r.jobId, r.pid])).toEqual([
      ['broken', process.pid],
      ['demo', process.pid],
    ]);
  });

  it('removal leaves alone a registration that is no longer ours', async () => {
    const dir = tempDir('registry-replaced');
    const held = await registerJob(dir, registration('demo'));
    writeFileSync(held.file, JSON.stringify({ ...registration('demo'), token: 'someone else' }));
    await held.remove();
    held.removeSync();
    expect(existsSync(held.file)).toBe(true);
    writeFileSync(held.file, JSON.stringify(registration('demo')));
    held.removeSync();
    expect(existsSync(held.file)).toBe(false);
  });

  it('file names are safe for any job id and distinct for distinct ids', async () => {
    const ids = ['demo', 'a/b', '../up', '.hidden', '..', 'a%2Fb', 'with space', 'x'.repeat(300), 'x'.repeat(299) + 'y', 'ünï'];
    const names = ids.map(registrationFileName);
    expect(new Set(names).size).toBe(ids.length);
    for (const n of names) {
      expect(n).toMatch(/^[A-Za-z0-9%._~-]+\.json$/);
      expect(n.startsWith('.')).toBe(false);
      expect(n.length).toBeLessThanOrEqual(200);
    }
    const dir = tempDir('registry-names');
    for (const id of ids) await registerJob(dir, registration(id));
    expect((await listRunningJobs(dir)).map((r) => r.jobId).sort()).toEqual([...ids].sort());
    for (const id of ids) expect((await findRunningJob(dir, id))?.jobId).toBe(id);
  });

  it('listing a runtime directory that does not exist finds nothing', async () => {
    expect(await listRunningJobs(join(tempDir('registry-none'), 'missing'))).toEqual([]);
  });
});
