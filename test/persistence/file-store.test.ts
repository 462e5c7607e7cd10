import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode, FileCheckpointStore, playbook, step } from 'durable-playbooks';
import { hostsClosedAfterEach } from '../helpers/hosts.js';
import { tempDir } from '../helpers/temp-dir.js';

const newHost = hostsClosedAfterEach();

describe('FileCheckpointStore', () => {
  it('writes <agent>/<seq>.json atomically and leaves no temporary file', async () => {
    await using dir = await tempDir();
    const store = new FileCheckpointStore({ path: dir.path });
    expect(await store.save('a1', 1, '{"one":1}', undefined)).toBe(1);
    expect(await store.save('a1', 2, '{"two":2}', 1)).toBe(2);
    expect(await readdir(join(dir.path, 'a1'))).toEqual(['1.json', '2.json']);
    expect(await store.latest('a1')).toEqual({ agentId: 'a1', seq: 2, revision: 2, data: '{"two":2}' });
    expect(await store.listAgents()).toEqual(['a1']);
    await store.close();
  });

  it('remembers the folders of the latest agents only, and saves for one it forgot', async () => {
    await using dir = await tempDir();
    const store = new FileCheckpointStore({ path: dir.path, knownFoldersMax: 50 });
    for (let n = 0; n <= 50; n++) await store.save(`agent-${n}`, 1, '{}', undefined);
    expect((store as unknown as { knownDirs: Set<string> }).knownDirs.size).toBe(50);
    expect(await store.save('agent-0', 2, '{"two":2}', 1)).toBe(2);
    expect((await store.latest('agent-0'))?.data).toBe('{"two":2}');
    await store.close();
  });

  it('ignores a half-written temporary file left by a crash', async () => {
    await using dir = await tempDir();
    const store = new FileCheckpointStore({ path: dir.path });
    await store.save('a1', 1, '{"ok":true}', undefined);
    await writeFile(join(dir.path, 'a1', '.2.12345-abc.0.tmp'), '{"trunc');
    expect((await store.latest('a1'))?.seq).toBe(1);
    expect(await store.history('a1')).toEqual([1]);
  });

  it('is a compare-and-set: a second writer of the same checkpoint, or a stale one, gets a conflict', async () => {
    await using dir = await tempDir();
    const store = new FileCheckpointStore({ path: dir.path, keepLastN: 2 });
    await store.save('a1', 1, '{}', undefined);
    await expect(store.save('a1', 1, '{}', undefined)).rejects.toMatchObject({ code: ErrorCode.CheckpointConflict });
    await store.save('a1', 2, '{"winner":true}', 1);
    await expect(store.save('a1', 2, '{"loser":true}', 1)).rejects.toMatchObject({ code: ErrorCode.CheckpointConflict });
    expect((await store.load('a1', 2))?.data).toBe('{"winner":true}');
    // The winner moves on until pruning removes the loser's last checkpoint: still a conflict.
    for (let seq = 3; seq <= 6; seq++) await store.save('a1', seq, '{}', seq - 1);
    await store.close();
    await expect(store.save('a1', 2, '{}', 1)).rejects.toMatchObject({ code: ErrorCode.CheckpointConflict });
  });

  it('keeps only the last keep_last_n checkpoints of each agent', async () => {
    await using dir = await tempDir();
    const Tick = step('Tick', async (i: number) => i);
    const Ticker = playbook('Ticker', async () => {
      for (let i = 0; i < 12; i++) await Tick(i);
      return 'done';
    });
    const host = await newHost({ durability: { storagePath: dir.path, keepLastN: 3 } });
    const agent = await host.spawn(Ticker, { id: 'ticker' });
    await agent.result();
    await host.close(); // waits for background pruning
    // 13 written: the spawn, 11 ticks, then the last tick with the completion.
    expect(await readdir(join(dir.path, 'ticker'))).toEqual(['11.json', '12.json', '13.json']);
  });

  it('fails the agent loudly when a checkpoint is above max_checkpoint_size_mb; other agents go on', async () => {
    await using dir = await tempDir();
    const Huge = step('Huge', async () => 'x'.repeat(2 * 1024 * 1024));
    const Small = step('Small', async () => 'ok');
    const host = await newHost({ durability: { storagePath: dir.path, maxCheckpointSizeMb: 1 } });
    const failed: string[] = [];
    host.onEvent((e) => e.type === 'failed' && failed.push(e.agentId));
    const big = await host.spawn(playbook('TooBig', async () => Huge()), { id: 'big' });
    const small = await host.spawn(playbook('Fine', async () => Small()), { id: 'small' });
    await expect(big.result()).rejects.toMatchObject({ code: ErrorCode.CheckpointTooLarge });
    expect(big.status()).toMatchObject({ state: 'failed', error: { code: ErrorCode.CheckpointTooLarge } });
    expect(await small.result()).toBe('ok');
    expect(failed).toEqual(['big']);
    // The failure is recorded next to the last snapshot that fit.
    const latest = JSON.parse(await readFile(join(dir.path, 'big', '2.json'), 'utf8'));
    expect(latest).toMatchObject({ seq: 2, status: 'failed', error: { code: ErrorCode.CheckpointTooLarge } });
    expect(JSON.stringify(latest).length).toBeLessThan(10_000);
  });

  it('rejects an input too large to checkpoint at spawn', async () => {
    await using dir = await tempDir();
    const host = await newHost({ durability: { storagePath: dir.path, maxCheckpointSizeMb: 1 } });
    const Echo = playbook('Echo', async (s: string) => s);
    await expect(host.spawn(Echo, { id: 'huge-input', input: 'y'.repeat(2 * 1024 * 1024) })).rejects.toMatchObject({
      code: ErrorCode.CheckpointTooLarge,
    });
    expect(host.get('huge-input')).toBeUndefined();
  });
});
