/**
 * The systems bench:peers knows: their ids, the names `ONLY` accepts, and what the output
 * calls each and says of its durability.
 */
import { dbosDurability } from './dbos.js';
import { DURABILITY as RESTATE_DURABILITY } from './restate.js';
import { PLAYBOOKS_DURABILITY, type SystemResult } from './workload.js';

export const ORDER = ['playbooks-nats', 'playbooks-file', 'playbooks-log', 'restate', 'dbos', 'kv-floor'] as const;
export type SystemId = (typeof ORDER)[number];
const ALIASES: Record<string, SystemId[]> = {
  playbooks: ['playbooks-nats', 'playbooks-file', 'playbooks-log'],
  ours: ['playbooks-nats', 'playbooks-file', 'playbooks-log'],
  nats: ['playbooks-nats'],
  'playbooks-nats': ['playbooks-nats'],
  file: ['playbooks-file'],
  'playbooks-file': ['playbooks-file'],
  log: ['playbooks-log'],
  'playbooks-log': ['playbooks-log'],
  restate: ['restate'],
  dbos: ['dbos'],
  floor: ['kv-floor'],
  kv: ['kv-floor'],
  'kv-floor': ['kv-floor'],
};
export const NAMES: Record<SystemId, string> = {
  'playbooks-nats': 'durable-playbooks · NATS KV',
  'playbooks-file': 'durable-playbooks · file (fsync)',
  'playbooks-log': 'durable-playbooks · log (fsync)',
  restate: 'Restate',
  dbos: 'DBOS Transact',
  'kv-floor': 'floor · raw NATS KV puts',
};
export const ROLES: Record<SystemId, SystemResult['role']> = {
  'playbooks-nats': 'ours',
  'playbooks-file': 'ours',
  'playbooks-log': 'ours',
  restate: 'peer',
  dbos: 'peer',
  'kv-floor': 'floor',
};
export const DURABILITY: Record<SystemId, string> = {
  'playbooks-nats': PLAYBOOKS_DURABILITY.nats,
  'playbooks-file': PLAYBOOKS_DURABILITY.file,
  'playbooks-log': PLAYBOOKS_DURABILITY.log,
  restate: RESTATE_DURABILITY,
  dbos: dbosDurability(undefined),
  'kv-floor': PLAYBOOKS_DURABILITY.nats.replace(/^NATS KV/, 'raw NATS KV puts'),
};

/** The systems `ONLY` names (all of them when it is unset); an unknown name ends the run (exit 2). */
export function parseOnly(value: string | undefined): Set<SystemId> {
  if (!value?.trim()) return new Set(ORDER);
  const selected = new Set<SystemId>();
  for (const name of value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    const ids = ALIASES[name];
    if (!ids) {
      console.error(`ONLY: unknown system "${name}"; use any of: ${Object.keys(ALIASES).join(', ')}`);
      process.exit(2);
    }
    for (const id of ids) selected.add(id);
  }
  return selected;
}
