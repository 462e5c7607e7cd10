import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AnyStateMachine } from 'xstate';
import { isPlaybook, isStateMachine, type Playbook } from '../index.js';
import { CliError, ExitCode, usageError } from './errors.js';

/*
 * Loads user modules (`run <module>`, `dev --module`) and collects the playbooks and XState
 * machines they export. TypeScript modules need a loader: when the CLI itself runs as
 * TypeScript (through tsx), one is active already; when it runs from the build, tsx is
 * registered here first.
 */

export interface LoadedModule {
  /** Absolute path. */
  path: string;
  /** By playbook name; each playbook once even if exported under several names. */
  playbooks: Map<string, Playbook<never, unknown>>;
  /** By machine id. */
  machines: Map<string, AnyStateMachine>;
}

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);
let typescriptLoader: Promise<void> | undefined;

export async function loadModule(specifier: string, cwd: string): Promise<LoadedModule> {
  const path = resolve(cwd, specifier);
  if (!existsSync(path)) throw usageError(`module not found: ${path}`, 'give the path of a .ts or .js file, relative to the working directory');
  if (TYPESCRIPT.has(extname(path))) await ensureTypeScriptLoader();
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    throw new CliError('MODULE_LOAD_FAILED', `cannot load ${specifier}: ${message}`, ExitCode.Failed, 'run it with --verbose for the stack trace', undefined, error);
  }
  const playbooks = new Map<string, Playbook<never, unknown>>();
  const machines = new Map<string, AnyStateMachine>();
  for (const value of Object.values(exports)) {
    if (isPlaybook(value)) playbooks.set(value.name, value);
    else if (isStateMachine(value)) machines.set(value.id, value);
  }
  return { path, playbooks, machines };
}

/** The playbook `run` should run: the one named, or the module's only one. */
export function pickPlaybook(module: LoadedModule, name: string | undefined, specifier: string): Playbook<never, unknown> {
  const names = [...module.playbooks.keys()];
  if (name !== undefined) {
    const found = module.playbooks.get(name);
    if (found) return found;
    throw usageError(`${specifier} exports no playbook named "${name}"`, names.length ? `its playbooks: ${names.join(', ')}` : 'it exports no playbook');
  }
  if (names.length === 1) return module.playbooks.get(names[0]!)!;
  if (names.length === 0) {
    throw usageError(`${specifier} exports no playbook`, 'export one: export const MyPlaybook = playbook("MyPlaybook", async (input) => …)');
  }
  throw usageError(`${specifier} exports ${names.length} playbooks: choose one with --playbook`, `its playbooks: ${names.join(', ')}`);
}

async function ensureTypeScriptLoader(): Promise<void> {
  // Running as TypeScript means a TypeScript loader is already registered (tsx); a second
  // registration would transform every module twice.
  if (import.meta.url.endsWith('.ts')) return;
  typescriptLoader ??= import('tsx/esm/api').then(({ register }) => {
    register();
  });
  await typescriptLoader;
}
