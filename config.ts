import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { ConfigError, ensureError } from './errors.js';

/*
 * playbooks.toml: parsed, validated with zod (unknown keys are errors), overridden by
 * PLAYBOOKS_<SECTION>_<KEY> environment variables, and turned into camelCase options.
 */

const agentIdSafe = /^[A-Za-z0-9_-]+$/;

/** Every key, with what it accepts in words: error messages quote it. */
const schemaOf = {
  durability: {
    enabled: [z.boolean(), 'true or false'],
    storage: [z.enum(['file', 'log', 'memory', 'nats']), '"file", "log", "memory" or "nats"'],
    storage_path: [z.string().min(1), 'a non-empty path (relative to the config file)'],
    max_checkpoint_size_mb: [z.number().positive().max(1024), 'a number of MiB above 0 and at most 1024'],
    keep_last_n: [z.number().int().min(1).max(64), 'an integer from 1 to 64'],
    fsync: [z.boolean(), 'true or false'],
  },
  nats: {
    enabled: [z.boolean(), 'true or false'],
    servers: [z.array(z.string().min(1)).min(1), 'a non-empty list of server URLs, e.g. ["nats://127.0.0.1:4222"]'],
    namespace: [z.string().regex(agentIdSafe), 'letters, digits, "_" and "-"'],
    bucket: [z.string().regex(agentIdSafe), 'letters, digits, "_" and "-"'],
    user: [z.string(), 'a string'],
    password: [z.string(), 'a string'],
    token: [z.string(), 'a string'],
    creds_file: [z.string(), 'a path to a .creds file'],
    tls_ca_file: [z.string(), 'a path to a PEM file'],
    tls_cert_file: [z.string(), 'a path to a PEM file'],
    tls_key_file: [z.string(), 'a path to a PEM file'],
    lease_seconds: [z.number().min(0.5).max(300), 'a number of seconds from 0.5 to 300'],
    replicas: [z.number().int().min(1).max(5), 'an integer from 1 to 5'],
  },
  supervisor: {
    strategy: [z.enum(['one_for_one', 'one_for_all', 'rest_for_one']), '"one_for_one", "one_for_all" or "rest_for_one"'],
    max_restarts: [z.number().int().min(0), 'an integer ≥ 0'],
    period_seconds: [z.number().positive(), 'a number of seconds above 0'],
    shutdown_grace_seconds: [z.number().min(0), 'a number of seconds ≥ 0'],
    idle_eviction_seconds: [z.number().min(0), 'a number of seconds ≥ 0 (0 keeps idle agents in memory)'],
  },
  dashboard: {
    enabled: [z.boolean(), 'true or false'],
    host: [z.string().min(1), 'a host name or IP address'],
    port: [z.number().int().min(0).max(65535), 'an integer from 0 to 65535'],
    token: [z.string().min(1), 'a non-empty string'],
  },
} as const satisfies Record<string, Record<string, readonly [z.ZodType, string]>>;

type Section = keyof typeof schemaOf;

export interface DurabilityConfig {
  /** Checkpoint at every durable await. `false` runs playbooks with no checkpoints. Default true. */
  enabled: boolean;
  /**
   * Where checkpoints go: "file" (default: a JSON file per checkpoint), "log" (an append-only
   * log with group commit: the fastest at fsync durability, one host process per folder),
   * "memory" (tests) or "nats".
   */
  storage: 'file' | 'log' | 'memory' | 'nats';
  /** File or log store directory. Default ".checkpoints", relative to the config file (or the working directory). */
  storagePath: string;
  /** Largest checkpoint, in MiB; a larger one fails its agent with `CheckpointTooLargeError`. Default 10. */
  maxCheckpointSizeMb: number;
  /** Checkpoints kept per agent (1–64). Default 10. */
  keepLastN: number;
  /** File and log stores: fsync each checkpoint before the await it records resolves. Default true. */
  fsync: boolean;
}

export interface NatsConfig {
  /**
   * Connect the host to NATS: agents' inboxes, lifecycle events and the control API on NATS
   * subjects. Default false, but always on when `[durability] storage = "nats"`.
   */
  enabled: boolean;
  /** Default ["nats://127.0.0.1:4222"]. */
  servers: string[];
  /** Subject namespace: `playbooks.<namespace>.…`. Default "default". */
  namespace: string;
  /**
   * KV bucket for checkpoints. Default (unset): "playbooks-checkpoints" in the "default"
   * namespace, "playbooks-checkpoints-<namespace>" in any other — see `checkpointBucket`.
   */
  bucket?: string;
  user?: string;
  password?: string;
  token?: string;
  credsFile?: string;
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  /**
   * With the NATS store, hosts hold leases on their agents: a host silent for this long is
   * dead and the others take its agents over. Seconds. Default 5.
   */
  leaseSeconds: number;
  /** Stream replicas of the checkpoint bucket and the inbox stream (a JetStream cluster). Default 1. */
  replicas: number;
}

export interface SupervisorConfig {
  /** Default "one_for_one". */
  strategy: 'one_for_one' | 'one_for_all' | 'rest_for_one';
  /** Restarts allowed within `periodSeconds` before the supervisor escalates. Default 5. */
  maxRestarts: number;
  /** Default 60. */
  periodSeconds: number;
  /** On SIGTERM (`host.drain()`), how long steps in flight may take to finish. Default 10. */
  shutdownGraceSeconds: number;
  /**
   * An agent waiting (in receive or sleep) longer than this is let go of from memory, and
   * brought back by its next message or timer. Seconds; 0 never. Default 60.
   */
  idleEvictionSeconds: number;
}

export interface DashboardConfig {
  /** Default true. */
  enabled: boolean;
  /** Default "127.0.0.1". */
  host: string;
  /** Default 7070. */
  port: number;
  /** Required when `host` is not a loopback address. */
  token?: string;
}

export interface PlaybooksConfig {
  durability: DurabilityConfig;
  nats: NatsConfig;
  supervisor: SupervisorConfig;
  dashboard: DashboardConfig;
}

export function defaultConfig(): PlaybooksConfig {
  return {
    durability: {
      enabled: true,
      storage: 'file',
      storagePath: resolve('.checkpoints'),
      maxCheckpointSizeMb: 10,
      keepLastN: 10,
      fsync: true,
    },
    nats: {
      enabled: false,
      servers: ['nats://127.0.0.1:4222'],
      namespace: 'default',
      leaseSeconds: 5,
      replicas: 1,
    },
    supervisor: { strategy: 'one_for_one', maxRestarts: 5, periodSeconds: 60, shutdownGraceSeconds: 10, idleEvictionSeconds: 60 },
    dashboard: { enabled: true, host: '127.0.0.1', port: 7070 },
  };
}

/**
 * Reads and validates `playbooks.toml`, then applies `PLAYBOOKS_<SECTION>_<KEY>` environment
 * overrides. Every problem is a `ConfigError` naming the file, the key and what is allowed.
 */
export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): PlaybooksConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${path}: cannot read the config file: ${ensureError(error).message}`, { cause: error });
  }
  let raw: Record<string, unknown>;
  try {
    raw = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    throw new ConfigError(`${path}: not valid TOML: ${ensureError(error).message}`, { cause: error });
  }
  return buildConfig(raw, path, dirname(resolve(path)), env);
}

/** The built-in defaults with the `PLAYBOOKS_<SECTION>_<KEY>` environment overrides (no file). */
export function configFromEnvironment(env: NodeJS.ProcessEnv = process.env): PlaybooksConfig {
  return buildConfig({}, 'environment', process.cwd(), env);
}

/** Validates already-parsed config sections (snake_case keys, as in the TOML file). */
export function parseConfig(raw: Record<string, unknown>, source = 'config', baseDir = process.cwd()): PlaybooksConfig {
  return buildConfig(raw, source, baseDir, {});
}

function buildConfig(raw: Record<string, unknown>, source: string, baseDir: string, env: NodeJS.ProcessEnv): PlaybooksConfig {
  const sections = Object.keys(schemaOf) as Section[];
  for (const name of Object.keys(raw)) {
    if (!(sections as string[]).includes(name)) {
      throw new ConfigError(`${source}: unknown section [${name}] (allowed sections: ${sections.map((s) => `[${s}]`).join(', ')})`);
    }
  }
  const merged: Record<string, Record<string, unknown>> = {};
  for (const section of sections) {
    const table = raw[section] ?? {};
    if (typeof table !== 'object' || table === null || Array.isArray(table)) {
      throw new ConfigError(`${source}: [${section}] must be a table`);
    }
    validateSection(section, table as Record<string, unknown>, source);
    merged[section] = { ...(table as Record<string, unknown>), ...envOverrides(section, env) };
  }
  return toConfig(merged, baseDir);
}

/**
 * The checkpoint bucket: `[nats] bucket`, or by default "playbooks-checkpoints" in the
 * "default" namespace and "playbooks-checkpoints-<namespace>" in any other (agent ids are
 * unique per bucket, so each namespace gets its own).
 */
export function checkpointBucket(nats: NatsConfig): string {
  return nats.bucket ?? (nats.namespace === 'default' ? 'playbooks-checkpoints' : `playbooks-checkpoints-${nats.namespace}`);
}

function validateSection(section: Section, table: Record<string, unknown>, source: string): void {
  const keys = schemaOf[section] as Record<string, readonly [z.ZodType, string]>;
  for (const [key, value] of Object.entries(table)) {
    const spec = keys[key];
    if (!spec) {
      throw new ConfigError(
        `${source}: [${section}] has an unknown key "${key}" (allowed keys: ${Object.keys(keys).join(', ')})`,
      );
    }
    if (!spec[0].safeParse(value).success) {
      throw new ConfigError(`${source}: [${section}] ${key} = ${JSON.stringify(value)} is not allowed: expected ${spec[1]}`);
    }
  }
}

/** PLAYBOOKS_DURABILITY_KEEP_LAST_N=5, PLAYBOOKS_NATS_SERVERS=nats://a:4222,nats://b:4222, … */
function envOverrides(section: Section, env: NodeJS.ProcessEnv): Record<string, unknown> {
  const overrides: Record<string, unknown> = {};
  for (const [key, [schema, allowed]] of Object.entries(schemaOf[section])) {
    const variable = `PLAYBOOKS_${section}_${key}`.toUpperCase();
    const text = env[variable];
    if (text === undefined) continue;
    const value = fromEnvText(text, schema);
    if (!schema.safeParse(value).success) {
      throw new ConfigError(`environment variable ${variable}=${JSON.stringify(text)} is not allowed: expected ${allowed}`);
    }
    overrides[key] = value;
  }
  return overrides;
}

function fromEnvText(text: string, schema: z.ZodType): unknown {
  if (schema instanceof z.ZodBoolean) return text === 'true' ? true : text === 'false' ? false : text;
  if (schema instanceof z.ZodNumber) return text.trim() !== '' && !Number.isNaN(Number(text)) ? Number(text) : text;
  if (schema instanceof z.ZodArray) return text.split(',').map((s) => s.trim()).filter(Boolean);
  return text;
}

/** Keys holding file paths: resolved relative to the config file. */
const PATH_KEYS = new Set(['storage_path', 'creds_file', 'tls_ca_file', 'tls_cert_file', 'tls_key_file']);

const camelCase = (key: string): string => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const snakeCase = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

function toConfig(tables: Record<string, Record<string, unknown>>, baseDir: string): PlaybooksConfig {
  const config = defaultConfig();
  config.durability.storagePath = resolve(baseDir, '.checkpoints');
  for (const section of Object.keys(schemaOf) as Section[]) {
    const target = config[section] as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(tables[section] ?? {})) {
      target[camelCase(key)] = PATH_KEYS.has(key) ? resolve(baseDir, value as string) : value;
    }
  }
  return config;
}

/**
 * Applies `createHost({ durability, nats, … })` overrides (camelCase) to a config, with the
 * same validation as the file. Relative paths are relative to the working directory.
 */
export function withOptions(config: PlaybooksConfig, overrides: ConfigOverrides): PlaybooksConfig {
  const result = { ...config };
  for (const section of Object.keys(schemaOf) as Section[]) {
    const options = overrides[section];
    if (!options) continue;
    const table: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(options)) if (value !== undefined) table[snakeCase(key)] = value;
    validateSection(section, table, `createHost({ ${section} })`);
    const merged = { ...config[section] } as Record<string, unknown>;
    for (const [key, value] of Object.entries(table)) {
      merged[camelCase(key)] = PATH_KEYS.has(key) ? resolve(value as string) : value;
    }
    (result as Record<Section, unknown>)[section] = merged;
  }
  return result;
}

export interface ConfigOverrides {
  durability?: Partial<DurabilityConfig> | undefined;
  nats?: Partial<NatsConfig> | undefined;
  supervisor?: Partial<SupervisorConfig> | undefined;
  dashboard?: Partial<DashboardConfig> | undefined;
}
