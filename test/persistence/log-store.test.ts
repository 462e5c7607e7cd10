import { execFileSync, spawn } from 'node:child_process';
import { open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode, LogCheckpointStore, playbook, receive, step } from 'durable-playbooks';
import { repoRoot } from '../helpers/child.js';
import { hostsClosedAfterEach, until } from '../helpers/hosts.js';
import { tempDir } from '../helpers/temp-dir.js';

const newHost = hostsClosedAfterEach();
const logFiles = async (dir: string) => (await readdir(dir)).filter((name) => name.endsWith('.log')).sort();
const flipBit = (bytes: Buffer, at: number) => bytes.writeUInt8(bytes.readUInt8(at) ^ 0x01, at);
/** Where a log file's frames end and the zeros the writer allocated ahead begin (frames here end in "}"). */
const framesEnd = async (file: string) => (await readFile(file)).lastIndexOf('}'.charCodeAt(0)) + 1;

describe('LogCheckpointStore', () => {
  it('stores, reads back and reopens checkpoints, with compare-and-set on every save', async () => {
    await using dir = await tempDir();
    const store = await LogCheckpointStore.open({ path: dir.path });
    expect(await store.save('a1', 1, '{"one":1}', undefined)).toBe(1);
    expect(await store.save('a1', 2, '{"two":"é"}', 1)).toBe(2);
    await store.save('b2', 1, '{}', undefined);
    await expect(store.save('a1', 2, '{"loser":true}', 1)).rejects.toMatchObject({ code: ErrorCode.CheckpointConflict });
    await expect(store.save('a1', 1, '{}', undefined)).rejects.toMatchObject({ code: ErrorCode.CheckpointConflict });
    expect(await store.latest('a1')).toEqual({ agentId: 'a1', seq: 2, revision: 2, data: '{"two":"é"}' });
    await store.close();

    const reopened = await LogCheckpointStore.open({ path: dir.path });
    expect((await reopened.listAgents()).sort()).toEqual(['a1', 'b2']);
    expect(await reopened.history('a1')).toEqual([1, 2]);
    expect((await reopened.load('a1', 1))?.data).toBe('{"one":1}');
    expect((await reopened.latest('a1'))?.data).toBe('{"two":"é"}');
    // The compare-and-set goes on from what was stored.
    await expect(reopened.save('a1', 3, '{}', 1)).rejects.toMatchObject({ code: ErrorCode.CheckpointConflict });
    expect(await reopened.save('a1', 3, '{"three":3}', 2)).toBe(3);
    await reopened.close();
  });

  it('shares one write and one fsync among the saves of many agents at once (group commit)', async () => {
    await using dir = await tempDir();
    const store = await LogCheckpointStore.open({ path: dir.path });
    const agents = Array.from({ length: 200 }, (_, i) => `agent-${i}`);
    await Promise.all(agents.map((id) => store.save(id, 1, JSON.stringify({ id }), undefined)));
    const batches = store.appendStats.batches;
    expect(store.appendStats.frames).toBe(200);
    expect(batches).toBeLessThanOrEqual(2);
    // One at a time, each save is its own batch.
    for (const id of agents.slice(0, 5)) await store.save(id, 2, '{}', 1);
    expect(store.appendStats.batches).toBe(batches + 5);
    // A save that seals journal segments: they and the record share one batch (one fsync).
    const segments = { newSegments: [{ name: 'seg-1', data: '[1]' }, { name: 'seg-2', data: '[2]' }], referencedBytes: 6 };
    await store.save('agent-0', 3, '{}', 2, segments);
    expect(store.appendStats).toMatchObject({ batches: batches + 6, frames: 208 });
    await store.close();
    const reopened = await LogCheckpointStore.open({ path: dir.path });
    expect((await reopened.listAgents()).length).toBe(200);
    expect((await reopened.latest('agent-199'))?.data).toBe('{"id":"agent-199"}');
    await reopened.close();
  });

  it('fsyncs on the event loop only while one agent saves alone, and never where fsyncs are slow', async () => {
    await using dir = await tempDir();
    // Any fsync counts as fast here, so the test does not depend on this machine's disk.
    const store = await LogCheckpointStore.open({ path: join(dir.path, 'fast'), onLoopFsyncMaxMs: Number.POSITIVE_INFINITY });
    // Alone: the first fsync (off the loop) sees no other save arrive meanwhile, the next 16
    // wait on the loop, the 18th looks again off the loop, and so on.
    for (let seq = 1; seq <= 20; seq++) await store.save('agent-0', seq, JSON.stringify({ seq }), seq === 1 ? undefined : seq - 1);
    expect(store.appendStats.fsyncsOnLoop).toBe(18);
    // Many at once: their batch keeps the loop free, whatever the writer saw before.
    const agents = Array.from({ length: 50 }, (_, i) => `agent-${i + 1}`);
    await Promise.all(agents.map((id) => store.save(id, 1, '{}', undefined)));
    expect(store.appendStats).toMatchObject({ batches: 21, fsyncsOnLoop: 18 });
    // And the single save after them looks again before going back to the loop.
    await store.save('agent-0', 21, JSON.stringify({ seq: 21 }), 20);
    expect(store.appendStats.fsyncsOnLoop).toBe(18);
    await store.save('agent-0', 22, JSON.stringify({ seq: 22 }), 21);
    expect(store.appendStats.fsyncsOnLoop).toBe(19);
    await store.close();
    const reopened = await LogCheckpointStore.open({ path: join(dir.path, 'fast') });
    expect(JSON.parse((await reopened.latest('agent-0'))!.data)).toEqual({ seq: 22 });
    expect((await reopened.listAgents()).length).toBe(51);
    await reopened.close();

    const slow = await LogCheckpointStore.open({ path: join(dir.path, 'slow'), onLoopFsyncMaxMs: 0 });
    for (let seq = 1; seq <= 20; seq++) await slow.save('a1', seq, '{}', seq === 1 ? undefined : seq - 1);
    expect(slow.appendStats).toMatchObject({ batches: 20, fsyncsOnLoop: 0 });
    await slow.close();
  });

  it('cuts off a write a crash interrupted at the end of the log, and says so', async () => {
    await using dir = await tempDir();
    const store = await LogCheckpointStore.open({ path: dir.path });
    await store.save('a1', 1, '{"kept":1}', undefined);
    await store.save('a1', 2, '{"kept":2}', 1);
    await store.close();
    const [file] = await logFiles(dir.path);
    await truncate(join(dir.path, file!), (await framesEnd(join(dir.path, file!))) - 3); // checkpoint 2, cut short

    const warnings: string[] = [];
    const reopened = await LogCheckpointStore.open({ path: dir.path, warn: (message) => warnings.push(message) });
    expect(await reopened.history('a1')).toEqual([1]);
    expect(warnings).toEqual([expect.stringMatching(/cut short at byte \d+ .*: cut off/)]);
    // Saves go on from the last checkpoint that was whole.
    await reopened.save('a1', 2, '{"again":2}', 1);
    await reopened.close();

    // Garbage after the last whole frame (a frame whose CRC fails) is cut off too.
    const newest = join(dir.path, (await logFiles(dir.path)).at(-1)!);
    await using handle = await open(newest, 'r+');
    await handle.write(Buffer.from([40, 0, 0, 0, 1, 2, 3, 4, ...Buffer.from('x'.repeat(40))]), 0, 48, await framesEnd(newest));
    warnings.length = 0;
    const third = await LogCheckpointStore.open({ path: dir.path, warn: (message) => warnings.push(message) });
    expect((await third.latest('a1'))?.data).toBe('{"again":2}');
    expect(warnings).toEqual([expect.stringContaining('CRC does not match')]);
    await third.close();
  });

  it('reads on past damage in an older file: a bad frame costs that frame only, and compaction keeps what follows it', async () => {
    await using dir = await tempDir();
    const first = await LogCheckpointStore.open({ path: dir.path });
    for (const id of ['a1', 'b1', 'c1', 'd1']) await first.save(id, 1, JSON.stringify({ id }), undefined);
    await first.close();
    const second = await LogCheckpointStore.open({ path: dir.path }); // the next file; the first is older now
    await second.save('e1', 1, '{"id":"e1"}', undefined);
    await second.close();
    const [older] = await logFiles(dir.path);
    const path = join(dir.path, older!);
    const bytes = await readFile(path);
    // b1's whole frame reads as zeros (a lost page: 19 bytes of header, agent id and name before its data).
    const b1 = bytes.indexOf('{"id":"b1"}');
    bytes.fill(0, b1 - 19, b1 + 11);
    flipBit(bytes, bytes.indexOf('{"id":"d1"}') + 3); // d1's CRC fails
    await writeFile(path, bytes);

    const warnings: string[] = [];
    const store = await LogCheckpointStore.open({ path: dir.path, fileBytes: 2048, warn: (message) => warnings.push(message) });
    expect((await store.listAgents()).sort()).toEqual(['a1', 'c1', 'e1']);
    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`zeros where frames should be at byte ${b1 - 19} of \\d+; 30 bytes skipped, read on from byte ${b1 + 11}`)),
      expect.stringMatching(/CRC does not match at byte \d+ of \d+; no whole frame after it: the rest of this file could not be read/),
    ]);
    // Compaction copies c1 (after the damage) forward before the damaged file goes.
    for (let seq = 1; seq <= 60; seq++) await store.save('busy', seq, JSON.stringify({ seq, pad: 'p'.repeat(200) }), seq === 1 ? undefined : seq - 1);
    await until(async () => !(await logFiles(dir.path)).includes(older!), 5_000, 'the damaged file to be compacted');
    await store.close();
    const reopened = await LogCheckpointStore.open({ path: dir.path });
    expect((await reopened.latest('c1'))?.data).toBe('{"id":"c1"}');
    expect((await reopened.listAgents()).sort()).toEqual(['a1', 'busy', 'c1', 'e1']);
    await reopened.close();
  });

  it('sets aside, instead of cutting off, whole frames found after damage in the newest file', async () => {
    await using dir = await tempDir();
    const store = await LogCheckpointStore.open({ path: dir.path });
    for (const id of ['a1', 'b1', 'c1']) await store.save(id, 1, JSON.stringify({ id }), undefined);
    await store.close();
    const [file] = await logFiles(dir.path);
    const path = join(dir.path, file!);
    const bytes = await readFile(path);
    const damagedAt = bytes.indexOf('{"id":"b1"}');
    flipBit(bytes, damagedAt + 3);
    await writeFile(path, bytes);

    const warnings: string[] = [];
    const reopened = await LogCheckpointStore.open({ path: dir.path, warn: (message) => warnings.push(message) });
    expect(await reopened.listAgents()).toEqual(['a1']);
    expect(warnings).toEqual([expect.stringMatching(/CRC does not match at byte (\d+) .*whole frames follow it .* set aside in .*damaged-at-\1/)]);
    const aside = (await readdir(dir.path)).find((name) => name.includes('.damaged-at-'))!;
    expect(await readFile(join(dir.path, aside), 'utf8')).toContain('{"id":"c1"}');
    await reopened.close();
  });

  it('keeps prunes and deletions across a reopen, and an agent made again after its deletion', async () => {
    await using dir = await tempDir();
    const store = await LogCheckpointStore.open({ path: dir.path, keepLastN: 3 });
    for (let seq = 1; seq <= 5; seq++) await store.save('kept', seq, `{"seq":${seq}}`, seq === 1 ? undefined : seq - 1);
    expect(await store.history('kept')).toEqual([3, 4, 5]);
    expect(await store.prune('kept', 1)).toBe(2);
    await store.save('gone', 1, '{}', undefined);
    await store.delete('gone');
    await store.save('again', 1, '{"old":true}', undefined);
    await store.delete('again');
    await store.save('again', 1, '{"new":true}', undefined);
    await store.close();

    const reopened = await LogCheckpointStore.open({ path: dir.path, keepLastN: 3 });
    expect(await reopened.history('kept')).toEqual([5]);
    expect(await reopened.history('gone')).toEqual([]);
    expect((await reopened.latest('again'))?.data).toBe('{"new":true}');
    expect((await reopened.listAgents()).sort()).toEqual(['again', 'kept']);
    await reopened.close();
  });

  it('rolls over to new files and compacts the oldest, so the log stays near its live size', async () => {
    await using dir = await tempDir();
    const fileBytes = 4096;
    const note = 'n'.repeat(200);
    let store = await LogCheckpointStore.open({ path: dir.path, keepLastN: 2, fileBytes });
    await store.save('idle', 1, `{"idle":true,"note":"${note}"}`, undefined); // never written again: copied forward
    await store.save('doomed', 1, '{}', undefined);
    await store.delete('doomed');
    for (let seq = 1; seq <= 400; seq++) {
      await Promise.all(['a', 'b', 'c'].map((id) => store.save(id, seq, `{"seq":${seq},"note":"${note}"}`, seq === 1 ? undefined : seq - 1)));
    }
    await store.close();
    const files = await logFiles(dir.path);
    let total = 0;
    for (const name of files) total += (await stat(join(dir.path, name))).size;
    // ~300 KiB written; live: 7 checkpoints of ~250 bytes.
    expect(total).toBeLessThan(4 * fileBytes);
    expect(files[0]).not.toBe('0000000001.log');

    store = await LogCheckpointStore.open({ path: dir.path, keepLastN: 2, fileBytes });
    expect((await store.latest('idle'))?.data).toContain('"idle":true');
    expect(await store.history('a')).toEqual([399, 400]);
    expect((await store.load('c', 399))?.data).toContain('"seq":399');
    expect(await store.history('doomed')).toEqual([]);
    expect((await store.listAgents()).sort()).toEqual(['a', 'b', 'c', 'idle']);
    await store.close();
  });

  it('lets one process write a folder: a second writer is refused, the lock of a crashed one is taken over, readers are welcome', async () => {
    await using dir = await tempDir();
    const store = await LogCheckpointStore.open({ path: dir.path });
    await store.save('a1', 1, '{"x":1}', undefined);
    await expect(LogCheckpointStore.open({ path: dir.path })).rejects.toMatchObject({ code: ErrorCode.ConfigInvalid, message: expect.stringContaining('in use') });
    const reader = await LogCheckpointStore.open({ path: dir.path, readOnly: true });
    expect((await reader.latest('a1'))?.data).toBe('{"x":1}');
    await expect(reader.save('a1', 2, '{}', 1)).rejects.toThrow(/read only/);
    await reader.close();
    await store.close();

    // A lock left by a process that is gone (pid 2^22 + 1 is above Linux's pid_max).
    await writeFile(join(dir.path, 'LOCK'), '4194305 123');
    const next = await LogCheckpointStore.open({ path: dir.path });
    expect((await readFile(join(dir.path, 'LOCK'), 'utf8')).split(' ')[0]).toBe(String(process.pid));
    await next.close();
  });

  it('runs a host: storage = "log" resumes an agent at its await after a restart', async () => {
    await using dir = await tempDir();
    let runs = 0;
    const Count = step('LogCount', async (i: number) => ++runs + i * 0);
    const Counter = playbook('LogCounter', async () => {
      let total = 0;
      for (let i = 0; i < 3; i++) total += await Count(i);
      total += await receive<number>('more');
      for (let i = 3; i < 5; i++) total += await Count(i);
      return total;
    });
    const durability = { storage: 'log' as const, storagePath: dir.path };
    const first = await newHost({ durability, playbooks: [Counter] });
    expect(first.store?.kind).toBe('log');
    await first.spawn(Counter, { id: 'counter' });
    await until(async () => (await first.checkpoints!.getLatestCheckpoint('counter'))?.status === 'waiting', 10_000, 'counter to wait');
    await first.close();
    const second = await newHost({ durability, playbooks: [Counter] });
    await second.recover();
    await second.sendTo('counter', 'more', 100);
    expect(await second.resultOf('counter')).toBe(1 + 2 + 3 + 100 + 4 + 5);
    expect(runs).toBe(5);
  });
});

describe('LogCheckpointStore under SIGKILL', () => {
  it('keeps every acknowledged save of 50 agents writing at once when the process is killed mid-write', async () => {
    await using dir = await tempDir();
    for (let kill = 0; kill < 3; kill++) {
      const acked = await killWriterAfter(dir.path, 2_000 + kill * 1_500);
      const warnings: string[] = [];
      const store = await LogCheckpointStore.open({ path: dir.path, keepLastN: 3, warn: (message) => warnings.push(message) });
      for (const [agent, seq] of acked) {
        const latest = await store.latest(agent);
        // At least what the parent saw acknowledged (the child may have gone on before the kill).
        expect(latest?.seq, agent).toBeGreaterThanOrEqual(seq);
        expect(JSON.parse(latest!.data)).toMatchObject({ agent, seq: latest!.seq });
      }
      // Only the end of the newest file may be damaged: a write the kill cut short.
      expect(warnings.every((w) => w.includes('cut off')), warnings.join('\n')).toBe(true);
      await store.close();
      // The next writer starts from scratch: remove the agents, so each run counts from 1.
      const again = await LogCheckpointStore.open({ path: dir.path });
      for (const agent of await again.listAgents()) await again.delete(agent);
      await again.close();
    }
  }, 60_000);
});

/** Runs the writer child until it has acknowledged `saves` saves, SIGKILLs it; the newest acknowledged seq per agent. */
function killWriterAfter(dir: string, saves: number): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/log-store-writer.ts', dir], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    const acked = new Map<string, number>();
    let count = 0;
    let pending = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (pending + chunk.toString()).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        const [agent, seq] = line.split(' ');
        acked.set(agent!, Number(seq));
        if (++count === saves) child.kill('SIGKILL');
      }
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => (signal === 'SIGKILL' ? resolve(acked) : reject(new Error(`the writer ended (${signal ?? _code}) before ${saves} saves:\n${stderr}`))));
  });
}

describe('LogCheckpointStore on a full disk', () => {
  it('rejects the saves that do not fit with ENOSPC, keeps what it stored, and goes on once room is freed', async () => {
    await using disk = await smallDisk();
    const data = (i: number) => JSON.stringify({ i, pad: 'p'.repeat(100_000) });
    const store = await LogCheckpointStore.open({ path: disk.path, keepLastN: 1, fileBytes: 512 * 1024 });
    const stored: number[] = [];
    let failure: unknown;
    for (let i = 0; i < 100 && !failure; i++) {
      await store.save(`big-${i}`, 1, data(i), undefined).then(
        () => stored.push(i),
        (error: unknown) => (failure = error),
      );
    }
    expect(failure).toMatchObject({ code: 'ENOSPC' });
    expect(stored.length).toBeGreaterThan(20);
    const refused = `big-${stored.length}`;
    expect(await store.history(refused)).toEqual([]);
    expect(JSON.parse((await store.latest('big-0'))!.data).i).toBe(0);

    // Room is freed by deleting agents: compaction drops the files left with nothing live.
    for (const i of stored.slice(0, -1)) await store.delete(`big-${i}`);
    await until(async () => store.save(refused, 1, data(-1), undefined).then(() => true, () => false), 10_000, 'a save to fit again');
    await store.close();

    const reopened = await LogCheckpointStore.open({ path: disk.path, keepLastN: 1 });
    expect((await reopened.listAgents()).sort()).toEqual([`big-${stored.at(-1)}`, refused].sort());
    expect(JSON.parse((await reopened.latest(refused))!.data).i).toBe(-1);
    await reopened.close();
  });

  it('keeps an agent whose deletion could not be stored, and deletes it once there is room', async () => {
    await using disk = await smallDisk();
    const path = join(disk.path, 'store');
    const first = await LogCheckpointStore.open({ path });
    await first.save('kept', 1, '{"kept":1}', undefined);
    await first.save('doomed', 1, '{"doomed":1}', undefined);
    await first.close();
    const store = await LogCheckpointStore.open({ path }); // writes a new, empty file
    await fillDisk(join(disk.path, 'filler'));
    await expect(store.delete('doomed')).rejects.toMatchObject({ code: 'ENOSPC' });
    // The log still holds it, and so does the store: memory and disk agree.
    expect((await store.listAgents()).sort()).toEqual(['doomed', 'kept']);
    expect((await store.latest('doomed'))?.data).toBe('{"doomed":1}');
    await rm(join(disk.path, 'filler'));
    await store.delete('doomed');
    expect(await store.listAgents()).toEqual(['kept']);
    await store.close();
    const reopened = await LogCheckpointStore.open({ path });
    expect(await reopened.listAgents()).toEqual(['kept']);
    await reopened.close();
  });

  it('an agent whose checkpoint does not fit waits, says why, and goes on where it was once there is room', async () => {
    await using disk = await smallDisk();
    const filler = join(disk.path, 'filler');
    let runs = 0;
    const Work = step('FullDiskWork', async (i: number) => {
      runs++;
      if (i === 1) await fillDisk(filler); // the disk fills up while the agent runs
      // Larger than the zeros the log allocated ahead (1 MiB), which a full disk still takes.
      return { i, note: 'n'.repeat(i === 1 ? 1_500_000 : 100) };
    });
    const Steps = playbook('FullDiskSteps', async () => {
      const results = [];
      for (let i = 0; i < 3; i++) results.push((await Work(i)).i);
      return results;
    });
    const host = await newHost({ durability: { storage: 'log', storagePath: join(disk.path, 'store') }, playbooks: [Steps] });
    const agent = await host.spawn(Steps, { id: 'full-disk' });
    await until(() => (host.statusOf('full-disk').blockedOn ?? '').includes('ENOSPC'), 10_000, 'the agent to be blocked on ENOSPC');
    expect(runs).toBe(2); // step 2 waits for the checkpoint holding step 1
    await rm(filler);
    expect(await agent.result()).toEqual([0, 1, 2]);
    expect(runs).toBe(3);
    expect(host.statusOf('full-disk').blockedOn).toBeUndefined();
    await host.close(); // before the disk is unmounted
  });
});

/** A real disk that fills up: a 4 MiB tmpfs, unmounted after (the tests run as root, as CI does). */
async function smallDisk(): Promise<{ path: string } & AsyncDisposable> {
  const dir = await tempDir();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir.path], { stdio: 'pipe' });
  } catch (error) {
    await dir[Symbol.asyncDispose]();
    throw new Error(`this test mounts a small tmpfs to fill it, and could not (it needs root): ${(error as Error).message}`);
  }
  return {
    path: dir.path,
    async [Symbol.asyncDispose]() {
      execFileSync('umount', ['--lazy', dir.path]); // detached even if a failed test left a file open
      await dir[Symbol.asyncDispose]();
    },
  };
}

/** Writes `file` until the disk is full. */
async function fillDisk(file: string): Promise<void> {
  await using handle = await open(file, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) await handle.write(chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  }
}
