import { join } from 'node:path';
import { describe, it } from 'vitest';
import { crashMatrix } from '../helpers/crash-matrix.js';

describe('crash matrix (file store, SIGKILL after every checkpoint)', () => {
  it('resumes at the exact await after a SIGKILL at each checkpoint', async () => {
    await crashMatrix((dir) => join(dir, 'store'));
  }, 180_000);
});
