import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CHECKPOINT_FORMAT, decodeCheckpoint, ErrorCode, ManualClock, MemoryCheckpointStore } from 'durable-playbooks';
import { FixtureOrder } from '../fixtures/fixture-order.js';
import { hostsClosedAfterEach } from '../helpers/hosts.js';

const newHost = hostsClosedAfterEach();
const fixture = (name: string) => readFile(new URL(`../fixtures/checkpoints/${name}`, import.meta.url), 'utf8');

/** The checkpoint record is a public format: saved fixtures must keep decoding and resuming. */
describe('checkpoint format v1 fixtures', () => {
  it('decodes a saved checkpoint of an agent sleeping inside a child playbook and resumes it', async () => {
    const data = await fixture('v1-sleeping-in-child.json');
    const record = decodeCheckpoint({ agentId: 'fixture-order', seq: 3, revision: 3, data });
    expect(record).toMatchObject({ format: 1, seq: 3, status: 'waiting', playbook: 'FixtureOrder' });
    expect(CHECKPOINT_FORMAT).toBe(2); // what this version writes; it still reads format 1

    const store = new MemoryCheckpointStore();
    await store.save('fixture-order', 3, data, undefined);
    const clock = new ManualClock(Date.parse('2026-01-01T00:00:00.500Z'));
    const host = await newHost({ store, clock, playbooks: [FixtureOrder] });
    const info = await host.recovery!.getRecoveryInfo('fixture-order');
    expect(info.callStack).toEqual(['FixtureOrder', 'Price']);
    expect(info.inboxSize).toBe(1);
    const [agent] = (await host.recover()).resumed;
    await clock.advance(500); // the sleep's stored deadline
    await agent!.send('approval', { ok: true });
    expect(await agent!.result()).toEqual({ sku: 'book-1', price: 42, approved: true });
  });

  it('decodes a saved checkpoint of an agent waiting for a message and resumes it', async () => {
    const data = await fixture('v1-waiting-for-message.json');
    const store = new MemoryCheckpointStore();
    await store.save('fixture-order', 5, data, undefined);
    const host = await newHost({ store, playbooks: [FixtureOrder] });
    const [agent] = (await host.recover()).resumed;
    await agent!.send('approval', { ok: false });
    expect(await agent!.result()).toEqual({ sku: 'book-1', price: 42, approved: false });
  });

  it('names what is wrong with a record that does not decode', async () => {
    const data = JSON.parse(await fixture('v1-waiting-for-message.json'));
    const decode = (record: unknown) => () =>
      decodeCheckpoint({ agentId: 'fixture-order', seq: 5, revision: 5, data: JSON.stringify(record) });
    expect(decode({ ...data, format: 99 })).toThrow(/format/);
    expect(decode({ ...data, seq: 4 })).toThrow(/says it is checkpoint 4/);
    const noJournal = structuredClone(data);
    delete noJournal.snapshot.context.journal;
    expect(decode(noJournal)).toThrow(/snapshot\.context\.journal/);
    expect(() => decodeCheckpoint({ agentId: 'x', seq: 1, revision: 1, data: '{"trunc' })).toThrow(
      expect.objectContaining({ code: ErrorCode.CorruptCheckpoint }),
    );
  });
});
