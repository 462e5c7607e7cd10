/**
 * Three agents in a row, passing work to each other over NATS with durable `send`/`receive`:
 *
 *   Source ──"item"──▶ Transformer ──"result"──▶ Sink
 *
 * Source splits a job (the numbers 1..N) into items; Transformer squares each one; Sink
 * collects the squares until it has all of them and returns their sum. Transformer's step
 * throws once, at item `crashAt`, to show a crash, a supervisor restart from the last good
 * checkpoint, and that no item is processed twice or lost.
 */
import { z } from 'zod';
import { playbook, receive, send, step, stepContext } from 'durable-playbooks';

export const Item = z.object({ n: z.number().int(), of: z.number().int().positive() });
export const Result = z.object({ n: z.number().int(), square: z.number().int(), of: z.number().int().positive() });
export type Item = z.infer<typeof Item>;
export type Result = z.infer<typeof Result>;

/**
 * How many times each step really ran to completion in this process, by agent and item
 * (`"<agentId>/<n>"`); replayed steps do not run, so they are not counted. run.ts prints
 * these to show "exactly once".
 */
export const completedRuns = { Square: new Map<string, number>(), Store: new Map<string, number>() };
const count = (runs: Map<string, number>, n: number): void => {
  const key = `${stepContext().agentId}/${n}`;
  runs.set(key, (runs.get(key) ?? 0) + 1);
};

/** The crash is simulated once per process: the restarted agent's retry of the step succeeds. */
let crashed = false;

const SplitJob = step('SplitJob', async (size: number): Promise<Item[]> => {
  console.log(`  ▶ source: SplitJob splits the job into ${size} items`);
  return Array.from({ length: size }, (_, i) => ({ n: i + 1, of: size }));
});

// maxAttempts: 1 — no in-place retry, so the error escapes the playbook and crashes the
// agent; its supervisor then restarts it. (With the default of 3 attempts the step would
// simply retry and the supervisor would never see a crash.)
const Square = step(
  'Square',
  async (item: Item, crashAt: number | undefined): Promise<Result> => {
    if (item.n === crashAt && !crashed) {
      crashed = true;
      console.log(`  💥 transformer: Square(${item.n}) throws — a simulated crash   (idempotency key ${stepContext().idempotencyKey})`);
      throw new Error(`simulated crash while squaring item ${item.n}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 40)); // stands in for real work
    count(completedRuns.Square, item.n);
    console.log(`  ▶ transformer: Square(${item.n}) = ${item.n ** 2}   (idempotency key ${stepContext().idempotencyKey})`);
    return { n: item.n, square: item.n ** 2, of: item.of };
  },
  { retry: { maxAttempts: 1 } },
);

const Store = step('Store', async (result: Result): Promise<void> => {
  count(completedRuns.Store, result.n);
  console.log(`  ▶ sink: Store ${result.n}² = ${result.square}`);
});

const Summarize = step('Summarize', async (results: Result[]) => {
  const sum = results.reduce((total, r) => total + r.square, 0);
  console.log(`  ▶ sink: Summarize — ${results.length} squares, sum ${sum}`);
  return { items: results.length, sum, order: results.map((r) => r.n) };
});

/** Splits the job and sends each item on. Each `send` is journaled: a replay never resends. */
export const Source = playbook('Source', async (input: { size: number; to: string }) => {
  const items = await SplitJob(input.size);
  for (const item of items) await send(input.to, 'item', item);
  return { sent: items.length };
});

/**
 * Squares items until it has seen all of them (each item says how many there are). The loop
 * is ordinary code: on a restart, the receives, steps and sends already journaled replay
 * instantly and the loop goes on where it stopped.
 */
export const Transformer = playbook('Transformer', async (input: { to: string; crashAt?: number }) => {
  let done = 0;
  let total = Infinity;
  while (done < total) {
    const item = await receive('item', { schema: Item });
    total = item.of;
    const result = await Square(item, input.crashAt);
    await send(input.to, 'result', result);
    done++;
  }
  return { transformed: done };
});

/** Collects results until it has all of them; `results` is rebuilt from the journal on replay. */
export const Sink = playbook('Sink', async () => {
  const results: Result[] = [];
  let total = Infinity;
  while (results.length < total) {
    const result = await receive('result', { schema: Result });
    total = result.of;
    await Store(result);
    results.push(result);
  }
  return Summarize(results);
});
