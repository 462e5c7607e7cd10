import { existsSync, readFileSync } from 'node:fs';
import { devNull } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { checkpointBucket, loadConfig, type PlaybooksConfig } from '../config.js';
import type { HostOptions } from '../index.js';
import type { CommonOptions } from './command.js';
import { usageError } from './errors.js';

/*
 * Resolves what a command works with: playbooks.toml (validated by the library's loadConfig),
 * PLAYBOOKS_* environment overrides, then --nats and --namespace. It also records which
 * settings were given explicitly, because `dev` and `run` choose defaults of their own
 * (a private nats-server, the .playbooks/ directory) only where the user chose nothing.
 */

export interface Settings {
  /** Absolute path of the config file used, if any. */
  configFile: string | undefined;
  /** Where `.playbooks/` lives: the config file's directory, else the working directory. */
  projectDir: string;
  config: PlaybooksConfig;
  /** Where the NATS servers come from. "dev": the private nats-server of a running `playbooks dev`. */
  natsFrom: 'option' | 'env' | 'config' | 'dev' | 'default';
  explicit: { storage: boolean; storagePath: boolean };
}

/** Written by `playbooks dev` while it runs its private nats-server, so other commands find it. */
export interface DevState {
  pid: number;
  url: string;
}

const NAMESPACE = /^[A-Za-z0-9_-]+$/;
const PATH_ENV = ['DURABILITY_STORAGE_PATH', 'NATS_CREDS_FILE', 'NATS_TLS_CA_FILE', 'NATS_TLS_CERT_FILE', 'NATS_TLS_KEY_FILE'];

export interface LoadOptions {
  /** Use the private nats-server of a running `playbooks dev` when no NATS is configured. */
  useDevServer?: boolean;
  /** Ignore the config file (doctor goes on with the defaults after reporting an invalid one). */
  skipFile?: boolean;
}

export function loadSettings(common: CommonOptions, cwd: string, { useDevServer = false, skipFile = false }: LoadOptions = {}): Settings {
  const configFile = skipFile ? undefined : common.config !== undefined ? resolve(cwd, common.config) : existingConfig(cwd);
  // loadConfig applies the PLAYBOOKS_* environment overrides; without a file, reading the
  // empty device gives the defaults with those overrides (createHost skips them without a file).
  const config = loadConfig(configFile ?? devNull);
  if (!configFile) {
    for (const name of PATH_ENV) {
      const value = process.env[`PLAYBOOKS_${name}`];
      if (value !== undefined) setPath(config, name, resolve(cwd, value));
    }
  }
  const raw = configFile ? (parseToml(readFileSync(configFile, 'utf8')) as Record<string, Record<string, unknown> | undefined>) : {};
  const projectDir = configFile ? dirname(configFile) : cwd;
  const explicit = {
    storage: raw.durability?.storage !== undefined || process.env.PLAYBOOKS_DURABILITY_STORAGE !== undefined,
    storagePath: raw.durability?.storage_path !== undefined || process.env.PLAYBOOKS_DURABILITY_STORAGE_PATH !== undefined,
  };
  if (!explicit.storagePath) config.durability.storagePath = join(projectDir, '.playbooks', 'checkpoints');

  let natsFrom: Settings['natsFrom'] = process.env.PLAYBOOKS_NATS_SERVERS !== undefined ? 'env' : raw.nats?.servers !== undefined ? 'config' : 'default';
  if (common.nats !== undefined) {
    const servers = common.nats.split(',').map((s) => s.trim()).filter(Boolean);
    if (servers.length === 0) throw usageError('--nats needs at least one server URL, e.g. --nats nats://127.0.0.1:4222');
    config.nats.servers = servers;
    natsFrom = 'option';
  }
  if (common.namespace !== undefined) {
    if (!NAMESPACE.test(common.namespace)) throw usageError(`--namespace ${JSON.stringify(common.namespace)}: use letters, digits, "_" and "-"`);
    config.nats.namespace = common.namespace;
  }
  const dev = natsFrom === 'default' && useDevServer ? readDevState(projectDir) : undefined;
  if (dev) {
    config.nats.servers = [dev.url];
    natsFrom = 'dev';
    if (!explicit.storage) config.durability.storage = 'nats';
  }
  return { configFile, projectDir, config, natsFrom, explicit };
}

/** True when the settings ask for NATS at all (a host then talks NATS). */
export function usesNats(settings: Settings): boolean {
  const { config } = settings;
  return config.nats.enabled || config.durability.storage === 'nats' || settings.natsFrom !== 'default';
}

/** The resolved config as createHost overrides, so a host sees exactly what the CLI resolved. */
export function hostConfig(config: PlaybooksConfig): Pick<HostOptions, 'durability' | 'nats' | 'supervisor' | 'dashboard'> {
  return { durability: { ...config.durability }, nats: { ...config.nats }, supervisor: { ...config.supervisor }, dashboard: { ...config.dashboard } };
}

/** "file store .playbooks/checkpoints", "NATS KV bucket playbooks-checkpoints", … */
export function describeStore(settings: Settings, cwd: string): string {
  const { durability, nats } = settings.config;
  if (!durability.enabled) return 'no store (durability disabled)';
  switch (durability.storage) {
    case 'file':
      return `file store ${relativeTo(cwd, durability.storagePath)}`;
    case 'log':
      return `log store ${relativeTo(cwd, durability.storagePath)}`;
    case 'memory':
      return 'memory store (nothing kept after exit)';
    case 'nats':
      return `NATS KV bucket "${checkpointBucket(nats)}"`;
  }
}

export function devStatePath(projectDir: string): string {
  return join(projectDir, '.playbooks', 'dev.json');
}

export function relativeTo(cwd: string, path: string): string {
  return path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path;
}

function existingConfig(cwd: string): string | undefined {
  const path = join(cwd, 'playbooks.toml');
  return existsSync(path) ? path : undefined;
}

/** The running `playbooks dev`'s private nats-server; undefined when none runs (or the file is stale). */
export function readDevState(projectDir: string): DevState | undefined {
  try {
    const state = JSON.parse(readFileSync(devStatePath(projectDir), 'utf8')) as DevState;
    process.kill(state.pid, 0); // throws when that process is gone: the file is stale
    return state;
  } catch {
    return undefined;
  }
}

function setPath(config: PlaybooksConfig, envName: string, value: string): void {
  const nats = config.nats as unknown as Record<string, string>;
  if (envName === 'DURABILITY_STORAGE_PATH') config.durability.storagePath = value;
  else if (envName === 'NATS_CREDS_FILE') nats.credsFile = value;
  else if (envName === 'NATS_TLS_CA_FILE') nats.tlsCaFile = value;
  else if (envName === 'NATS_TLS_CERT_FILE') nats.tlsCertFile = value;
  else if (envName === 'NATS_TLS_KEY_FILE') nats.tlsKeyFile = value;
}
