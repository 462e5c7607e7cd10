import { afterAll, beforeAll, describe, it } from 'vitest';
import { crashMatrix } from '../helpers/crash-matrix.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';

let server: NatsServer;
beforeAll(async () => {
  server = await startNatsServer();
});
afterAll(async () => {
  await server?.stop();
});

describe('crash matrix (NATS KV store, SIGKILL after every checkpoint)', () => {
  it('resumes at the exact await after a SIGKILL at each checkpoint', async () => {
    await crashMatrix((_dir, name) => `${server.url}#${name}`);
  }, 180_000);
});
