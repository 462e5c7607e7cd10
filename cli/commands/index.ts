import type { Command } from '../command.js';
import { checkpoints } from './checkpoints.js';
import { dev } from './dev.js';
import { doctor } from './doctor.js';
import { ls } from './ls.js';
import { resume } from './resume.js';
import { run } from './run.js';
import { send } from './send.js';
import { spawn } from './spawn.js';
import { status } from './status.js';
import { stop } from './stop.js';

/**
 * Every command, in the order `playbooks --help` lists them. Command files hold the spec
 * (help is generated from it) and import what does the work inside `run`, so that help and
 * usage errors answer without loading the library, NATS or the user's modules.
 */
export const COMMANDS: Command[] = [dev, run, spawn, send, status, ls, stop, resume, checkpoints, doctor];
