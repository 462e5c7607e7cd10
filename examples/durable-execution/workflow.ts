/**
 * The FetchData → Process → Save workflow. Every awaited step and nested playbook is a
 * checkpoint; after a crash the workflow resumes at the await where it stopped, with its
 * local variables (`data`, `result`) rebuilt from the journal.
 */
import { playbook, step, stepContext } from 'durable-playbooks';

export interface Row {
  id: number;
  amount: number;
}

export interface Summary {
  rows: number;
  total: number;
  largest: number;
}

/** Prints a line when a step really runs (replayed steps return from the journal silently). */
function running(name: string): void {
  const { idempotencyKey, attempt } = stepContext();
  console.log(`  ▶ running ${name} (idempotency key ${idempotencyKey}, attempt ${attempt})`);
}

export const FetchData = step('FetchData', async (source: string): Promise<Row[]> => {
  running('FetchData');
  await new Promise((resolve) => setTimeout(resolve, 50)); // stands in for a network call
  return Array.from({ length: 5 }, (_, i) => ({ id: i + 1, amount: (i + 1) * 10 + source.length }));
});

export const Clean = step('Clean', async (rows: Row[]): Promise<Row[]> => {
  running('Clean');
  return rows.filter((row) => row.amount > 15);
});

/** A nested playbook: its own frame on the agent's call stack, with its own checkpoints. */
export const Process = playbook('Process', async (rows: Row[]): Promise<Summary> => {
  const cleaned = await Clean(rows);
  return {
    rows: cleaned.length,
    total: cleaned.reduce((sum, row) => sum + row.amount, 0),
    largest: Math.max(...cleaned.map((row) => row.amount)),
  };
});

export const Save = step(
  'Save',
  async (summary: Summary, rowsFetched: number): Promise<string> => {
    running('Save');
    console.log(`    Save sees result = ${JSON.stringify(summary)} and data.length = ${rowsFetched}`);
    return `saved summary of ${summary.rows} rows`;
  },
  { retry: { maxAttempts: 5 } },
);

export const MyWorkflow = playbook('MyWorkflow', async (input: { source: string }) => {
  const data = await FetchData(input.source); // await 1
  const result = await Process(data); //          await 2 (a child frame)
  const receipt = await Save(result, data.length); // await 3
  return { result, receipt };
});
