import { join } from 'node:path';
import { describe, it } from 'vitest';
import { crashLongJournal, crashMatrix } from '../helpers/crash-matrix.js';

describe('crash matrix (file store, SIGKILL after every checkpoint)', () => {
  it('resumes at the exact await after a SIGKILL at each checkpoint', async () => {
    await crashMatrix((dir) => join(dir, 'store'));
  }, 180_000);
});

describe('a journal stored in segments (file store, SIGKILL)', () => {
  it('resumes after a SIGKILL right after a segment is sealed, between seals, and in a child frame', async () => {
    // Checkpoint 65 is the first to name a segment (root entries 0–63); 166–167 seal the child's first.
    await crashLongJournal((dir) => join(dir, 'store'), (lastSeq) => [65, 66, 101, 166, 167, lastSeq - 1]);
  }, 180_000);
});

describe('crash matrix (log store, SIGKILL after every checkpoint)', () => {
  it('resumes at the exact await after a SIGKILL at each checkpoint', async () => {
    await crashMatrix((dir) => `log:${join(dir, 'store')}`);
  }, 180_000);

  it('resumes a journal stored in segments after a SIGKILL right after a seal and between seals', async () => {
    await crashLongJournal((dir) => `log:${join(dir, 'store')}`, (lastSeq) => [65, 66, 166, lastSeq - 1]);
  }, 180_000);
});
