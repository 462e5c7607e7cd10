import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { constants, existsSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { checkpointBucket } from '../config.js';
import { ConfigError } from '../errors.js';
import { findNatsServer } from '../messaging/private-nats-server.js';
import type { CommonOptions } from './command.js';
import { loadSettings, relativeTo, usesNats, type Settings } from './config.js';
import { CliError } from './errors.js';
import { connectToNats } from './nats.js';
import { bytes } from './output.js';

/*
 * The checks of `playbooks doctor`, in the order a setup depends on them. Each says what it
 * found and, when it fails, what to do. Checks that depend on a failed one are left out.
 */

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export async function runChecks(common: CommonOptions, cwd: string): Promise<Check[]> {
  const checks: Check[] = [];
  let settings: Settings;
  try {
    settings = loadSettings(common, cwd);
    const file = settings.configFile ? relativeTo(cwd, settings.configFile) : undefined;
    checks.push({ name: 'config', ok: true, detail: file ? `${file} is valid` : 'no playbooks.toml: defaults' });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    checks.push({ name: 'config', ok: false, detail: error.message, fix: 'correct that key (README: "Configuration"); the checks below use the defaults' });
    try {
      settings = loadSettings(common, cwd, { skipFile: true });
    } catch {
      return checks; // the environment overrides are invalid too: nothing more to check
    }
  }
  const binary = findNatsServer();
  checks.push({
    name: 'nats-server',
    ok: true,
    detail: binary ? `installed at ${binary} ("playbooks dev" can start a private one)` : 'not installed (only needed by "playbooks dev" without a configured NATS)',
  });
  if (usesNats(settings)) await natsChecks(settings, checks);
  else checks.push({ name: 'NATS', ok: true, detail: 'not configured: no control API ("playbooks dev" starts a private nats-server when installed)' });
  if (settings.config.dashboard.enabled) checks.push(await dashboardCheck(settings));
  if (settings.config.durability.enabled && ['file', 'log'].includes(settings.config.durability.storage)) checks.push(await fileStoreCheck(settings, cwd));
  return checks;
}

async function natsChecks(settings: Settings, checks: Check[]): Promise<void> {
  let nc: NatsConnection;
  try {
    nc = await connectToNats(settings, { forHost: false });
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    checks.push({ name: 'NATS', ok: false, detail: error.message, ...(error.hint ? { fix: error.hint } : {}) });
    return;
  }
  try {
    checks.push({ name: 'NATS', ok: true, detail: `connected to ${nc.getServer()} (nats-server ${nc.info?.version ?? '?'})` });
    let jsm: JetStreamManager;
    let streams: number;
    let maxStreams: number;
    try {
      jsm = await jetstreamManager(nc, { timeout: 5_000 });
      const info = await jsm.getAccountInfo();
      streams = info.streams;
      maxStreams = info.limits.max_streams;
      checks.push({ name: 'JetStream', ok: true, detail: `enabled (${info.streams} streams, ${bytes(info.storage)} stored)` });
    } catch (error) {
      checks.push({ name: 'JetStream', ok: false, detail: `not available: ${(error as Error).message}`, fix: 'enable JetStream on the server: nats-server -js, or a jetstream {} block in its config' });
      return;
    }
    if (settings.config.durability.storage === 'nats') checks.push(await bucketCheck(settings, jsm, streams, maxStreams));
  } finally {
    await nc.close();
  }
}

async function bucketCheck(settings: Settings, jsm: JetStreamManager, streams: number, maxStreams: number): Promise<Check> {
  const bucket = checkpointBucket(settings.config.nats);
  try {
    const info = await jsm.streams.info(`KV_${bucket}`);
    return { name: 'bucket', ok: true, detail: `KV bucket "${bucket}" exists (${info.state.messages} values, history ${info.config.max_msgs_per_subject})` };
  } catch (error) {
    if ((error as Error).name !== 'StreamNotFoundError') {
      return { name: 'bucket', ok: false, detail: `cannot read KV bucket "${bucket}": ${(error as Error).message}`, fix: 'check the account\'s JetStream permissions' };
    }
  }
  // A host creates the bucket and its object store (two streams) at start.
  if (maxStreams < 0 || streams + 2 <= maxStreams) {
    return { name: 'bucket', ok: true, detail: `KV bucket "${bucket}" does not exist yet: the first host creates it` };
  }
  return { name: 'bucket', ok: false, detail: `KV bucket "${bucket}" does not exist and the account is at its stream limit (${maxStreams})`, fix: 'raise the account\'s max_streams, or use an existing [nats] bucket' };
}

async function dashboardCheck(settings: Settings): Promise<Check> {
  const { host, port, token } = settings.config.dashboard;
  if (!LOOPBACK.has(host) && !token) {
    return { name: 'dashboard', ok: false, detail: `bound to ${host} without a token`, fix: 'set [dashboard] token (required off loopback), or host = "127.0.0.1"' };
  }
  if (port === 0) return { name: 'dashboard', ok: true, detail: `port 0: a free port on ${host} is picked at start` };
  const problem = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const server = createServer();
    server.once('error', (error) => resolve(error));
    server.listen(port, host, () => server.close(() => resolve(undefined)));
  });
  if (!problem) return { name: 'dashboard', ok: true, detail: `port ${port} on ${host} is free` };
  const inUse = problem.code === 'EADDRINUSE';
  return {
    name: 'dashboard',
    ok: false,
    detail: inUse ? `port ${port} on ${host} is in use (a running "playbooks dev"?)` : `cannot listen on ${host}:${port}: ${problem.message}`,
    fix: inUse ? 'stop what uses it, or choose another [dashboard] port (dev: --port N)' : 'check [dashboard] host and port',
  };
}

async function fileStoreCheck(settings: Settings, cwd: string): Promise<Check> {
  const path = settings.config.durability.storagePath;
  let existing = path;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  const shown = relativeTo(cwd, path);
  const name = `${settings.config.durability.storage} store`;
  try {
    await access(existing, constants.W_OK);
    return { name, ok: true, detail: existing === path ? `${shown} is writable` : `${shown} will be created (${relativeTo(cwd, existing)} is writable)` };
  } catch {
    return { name, ok: false, detail: `${shown} is not writable (${relativeTo(cwd, existing)})`, fix: 'choose a writable [durability] storage_path, or fix the permissions' };
  }
}
