import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';

/*
 * One writer per log folder: its index lives in the writer's memory, so a second process
 * appending to the same files would go unseen (and break compare-and-set). The writer holds
 * `LOCK`, naming its process; a lock whose process is gone (a crash, SIGKILL) is taken over.
 */
const LOCK_FILE = 'LOCK';

/** Folders whose lock this process holds (a second store on one of them is refused too). */
const heldHere = new Set<string>();

export function acquireLogLock(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  if (heldHere.has(dir)) throw inUse(dir, 'another store in this process');
  const me = ownerToken(process.pid);
  try {
    writeFileSync(file, me, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const holder = readFileSync(file, 'utf8').trim();
    const pid = Number(holder.split(' ')[0]);
    // Our own pid in the lock means a previous process had it (a container's pid 1, restarted).
    if (pid !== process.pid && Number.isInteger(pid) && pid > 0 && ownerToken(pid) === holder) throw inUse(dir, `process ${pid}`);
    writeFileSync(file, me);
  }
  heldHere.add(dir);
  return () => {
    heldHere.delete(dir);
    rmSync(file, { force: true });
  };
}

function inUse(dir: string, by: string): ConfigError {
  return new ConfigError(`the log store at ${dir} is in use by ${by}: one host process at a time may write it (LOCK names the holder)`);
}

/**
 * "<pid> <start time>" of a live process, or "" when it is not running. The start time (from
 * /proc, where there is one) tells a reused pid from the process that wrote the lock.
 */
function ownerToken(pid: number): string {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return '';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the command name, which may hold spaces.
    return `${pid} ${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return `${pid}`;
  }
}
