import { checkpointBucket } from '../config.js';
import type { CheckpointStore } from '../persistence/checkpoint-store.js';
import { FileCheckpointStore } from '../persistence/file-store.js';
import { LogCheckpointStore } from '../persistence/log-store.js';
import { NatsKvCheckpointStore } from '../persistence/nats-kv-store.js';
import type { Settings } from './config.js';
import { CliError, ExitCode } from './errors.js';
import { connectToNats } from './nats.js';

/*
 * The configured checkpoint store, opened without a host (no recovery, no control API, no
 * dashboard): for reading checkpoints. Disposing it closes the store and its connection.
 */

export interface OpenedStore extends AsyncDisposable {
  store: CheckpointStore;
}

export async function openStore(settings: Settings): Promise<OpenedStore> {
  const { durability, nats } = settings.config;
  switch (durability.storage) {
    case 'file': {
      const store = new FileCheckpointStore({ path: durability.storagePath, keepLastN: durability.keepLastN, fsync: false });
      return { store, [Symbol.asyncDispose]: () => store.close() };
    }
    case 'log': {
      const store = await LogCheckpointStore.open({ path: durability.storagePath, keepLastN: durability.keepLastN, readOnly: true });
      return { store, [Symbol.asyncDispose]: () => store.close() };
    }
    case 'nats': {
      const connection = await connectToNats(settings, { forHost: false });
      try {
        // Note: open() creates the bucket when it is missing (then it is empty).
        const store = await NatsKvCheckpointStore.open({ connection, bucket: checkpointBucket(nats), keepLastN: durability.keepLastN });
        return {
          store,
          [Symbol.asyncDispose]: async () => {
            await store.close();
            await connection.close();
          },
        };
      } catch (error) {
        await connection.close();
        throw error;
      }
    }
    case 'memory':
      throw new CliError('NO_STORE', '[durability] storage = "memory": checkpoints are not kept outside the host process', ExitCode.Failed, 'use storage = "file" or "nats" to inspect checkpoints');
  }
}
