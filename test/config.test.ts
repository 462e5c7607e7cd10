import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointBucket, configFromEnvironment, createHost, ErrorCode, loadConfig } from 'durable-playbooks';
import { silentLogger } from './helpers/hosts.js';
import { tempDir } from './helpers/temp-dir.js';

async function configFile(dir: string, text: string): Promise<string> {
  const path = join(dir, 'playbooks.toml');
  await writeFile(path, text);
  return path;
}

describe('playbooks.toml', () => {
  it('reads every section, with defaults for what is left out', async () => {
    await using dir = await tempDir();
    const path = await configFile(
      dir.path,
      `[durability]
enabled = true
storage = "file"
storage_path = "state/checkpoints"
max_checkpoint_size_mb = 2.5
keep_last_n = 4

[nats]
servers = ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"]
namespace = "orders"

[supervisor]
strategy = "rest_for_one"

[dashboard]
port = 8080
`,
    );
    const config = loadConfig(path, {});
    expect(config.durability).toEqual({
      enabled: true,
      storage: 'file',
      storagePath: join(dir.path, 'state/checkpoints'),
      maxCheckpointSizeMb: 2.5,
      keepLastN: 4,
      fsync: true,
    });
    expect(config.nats).toMatchObject({ servers: ['nats://10.0.0.1:4222', 'nats://10.0.0.2:4222'], namespace: 'orders' });
    expect(checkpointBucket(config.nats)).toBe('playbooks-checkpoints-orders'); // one bucket per namespace by default
    expect(config.supervisor).toEqual({ strategy: 'rest_for_one', maxRestarts: 5, periodSeconds: 60, shutdownGraceSeconds: 10, idleEvictionSeconds: 60 });
    expect(config.dashboard).toMatchObject({ host: '127.0.0.1', port: 8080 });
  });

  it.each([
    ['[durability]\nkeep_last = 3\n', /playbooks\.toml: \[durability\] has an unknown key "keep_last" \(allowed keys: enabled, storage, storage_path, max_checkpoint_size_mb, keep_last_n, fsync\)/],
    ['[durability]\nkeep_last_n = 0\n', /playbooks\.toml: \[durability\] keep_last_n = 0 is not allowed: expected an integer from 1 to 64/],
    ['[durability]\nkeep_last_n = "ten"\n', /keep_last_n = "ten" is not allowed/],
    ['[durability]\nenabled = "yes"\n', /\[durability\] enabled = "yes" is not allowed: expected true or false/],
    ['[durability]\nstorage = "s3"\n', /storage = "s3" is not allowed: expected "file", "log", "memory" or "nats"/],
    ['[durability]\nmax_checkpoint_size_mb = -1\n', /max_checkpoint_size_mb = -1 is not allowed/],
    ['[durabilty]\nenabled = true\n', /unknown section \[durabilty\]/],
    ['[durability\nenabled = true\n', /playbooks\.toml: not valid TOML/],
    ['[supervisor]\nstrategy = "one_for_some"\n', /strategy = "one_for_some" is not allowed/],
  ])('rejects %j with an error naming the file, the key and what is allowed', async (text, message) => {
    await using dir = await tempDir();
    const path = await configFile(dir.path, text);
    expect(() => loadConfig(path, {})).toThrow(message);
    expect(() => loadConfig(path, {})).toThrow(expect.objectContaining({ code: ErrorCode.ConfigInvalid }));
  });

  it('reports a missing file by name', () => {
    expect(() => loadConfig('/nonexistent/playbooks.toml')).toThrow(/\/nonexistent\/playbooks\.toml: cannot read/);
  });

  it('lets PLAYBOOKS_<SECTION>_<KEY> environment variables override the file, validated the same way', async () => {
    await using dir = await tempDir();
    const path = await configFile(dir.path, '[durability]\nkeep_last_n = 4\n');
    const config = loadConfig(path, {
      PLAYBOOKS_DURABILITY_KEEP_LAST_N: '7',
      PLAYBOOKS_DURABILITY_ENABLED: 'false',
      PLAYBOOKS_NATS_SERVERS: 'nats://a:4222, nats://b:4222',
    });
    expect(config.durability).toMatchObject({ keepLastN: 7, enabled: false });
    expect(config.nats.servers).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(() => loadConfig(path, { PLAYBOOKS_DURABILITY_KEEP_LAST_N: 'lots' })).toThrow(
      /environment variable PLAYBOOKS_DURABILITY_KEEP_LAST_N="lots" is not allowed: expected an integer from 1 to 64/,
    );
  });

  it('takes the environment overrides with no config file too', () => {
    const config = configFromEnvironment({ PLAYBOOKS_NATS_SERVERS: 'nats://x:4222', PLAYBOOKS_DURABILITY_STORAGE: 'memory' });
    expect(config.nats.servers).toEqual(['nats://x:4222']);
    expect(config.durability.storage).toBe('memory');
    expect(() => configFromEnvironment({ PLAYBOOKS_DURABILITY_STORAGE: 's3' })).toThrow(/PLAYBOOKS_DURABILITY_STORAGE="s3" is not allowed/);
  });

  it('configures a host: enabled = false runs with no store', async () => {
    await using dir = await tempDir();
    const path = await configFile(dir.path, '[durability]\nenabled = false\n');
    const host = await createHost({ configFile: path, logger: silentLogger });
    expect(host.store).toBeUndefined();
    await host.close();
  });

  it('validates createHost durability options like the file', async () => {
    await expect(createHost({ durability: { keepLastN: 100 }, logger: silentLogger })).rejects.toThrow(
      /createHost\(\{ durability \}\): \[durability\] keep_last_n = 100 is not allowed/,
    );
  });
});
