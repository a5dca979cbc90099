/**
 * The per-user runtime directory where running `weir run` processes register (job-registration.ts):
 * `$WEIR_RUNTIME_DIR`, else `$XDG_RUNTIME_DIR/weir`, else `<tmpdir>/weir-<uid>`. It holds bearer
 * tokens, so it must be the user's own and closed to everyone else (0700).
 */
import { lstat, mkdir } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/** The runtime directory for `env` (default `process.env`); pure. */
export function runtimeDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.WEIR_RUNTIME_DIR) return env.WEIR_RUNTIME_DIR;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'weir');
  return join(tmpdir(), `weir-${userInfo().uid}`);
}

/**
 * Creates `dir` (mode 0700) if needed and checks that it is a directory of this user that no one
 * else can enter: in a shared /tmp another user could have created it first to read the tokens.
 */
export async function ensureRuntimeDirectory(dir: string): Promise<void> {
  const notUsable = (why: string): Error => new Error(`runtime directory ${dir} ${why} (set WEIR_RUNTIME_DIR to another place)`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw notUsable(`cannot be created: ${(e as Error).message}`);
  }
  const stats = await lstat(dir);
  if (!stats.isDirectory()) throw notUsable('is not a directory');
  // Windows has no POSIX owners or modes: there the user's temp directory is already private.
  if (process.platform === 'win32') return;
  const uid = process.getuid?.();
  if (uid !== undefined && stats.uid !== uid) {
    throw new Error(`runtime directory ${dir} belongs to uid ${stats.uid}, not to you (uid ${uid}); set WEIR_RUNTIME_DIR to a directory of yours`);
  }
  if ((stats.mode & 0o077) !== 0) {
    throw new Error(
      `runtime directory ${dir} is open to other users (mode ${(stats.mode & 0o777).toString(8)}); ` +
        `it holds control tokens: chmod 700 it, or set WEIR_RUNTIME_DIR`,
    );
  }
}
