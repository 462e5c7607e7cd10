import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AnyStateMachine } from 'xstate';
import { findNatsServer, startPrivateNatsServer, type Playbook, type PrivateNatsServer } from '../index.js';
import { listOption, stringOption, type CommandContext } from './command.js';
import { describeStore, devStatePath, loadSettings, readDevState, relativeTo, type Settings } from './config.js';
import { printDevEvent, printReady, type DevSummary } from './dev-output.js';
import { CliError, ExitCode } from './errors.js';
import { openHost, type CliHost } from './host-setup.js';
import { portNumber } from './json-args.js';
import { hostLogger } from './log.js';
import { loadModule } from './modules.js';
import { watchInterruption } from './signals.js';

/*
 * `playbooks dev`: chooses NATS (configured servers, else a private nats-server, else none),
 * starts a host with the dashboard, prints what it chose, and runs until a signal drains it.
 */

export async function runDev(context: CommandContext): Promise<number> {
  const portText = stringOption(context, 'port');
  const port = portText === undefined ? undefined : portNumber(portText);
  const settings = loadSettings(context.common, context.cwd);
  const { playbooks, machines } = await registered(context);
  const running = readDevState(settings.projectDir);
  if (running) throw new CliError('DEV_RUNNING', `"playbooks dev" already runs in ${settings.projectDir} (pid ${running.pid})`, ExitCode.Failed, 'stop it first, or use it: the other commands find it');

  const privateServer = await chooseNats(settings);
  const interruption = watchInterruption(() => void privateServer?.kill('SIGKILL'));
  let cli: CliHost | undefined;
  let ready = false;
  try {
    cli = await openHost(settings, {
      playbooks,
      machines,
      logger: hostLogger(context.out, 'warn'),
      dashboard: { enabled: settings.config.dashboard.enabled, ...(port === undefined ? {} : { port }) },
    });
    const services = await cli.host.start();
    if (privateServer) await writeDevState(settings, privateServer);
    const summary: DevSummary = {
      namespace: settings.config.nats.namespace,
      store: describeStore(settings, context.cwd),
      nats: privateServer
        ? { url: privateServer.url, private: true, dir: relativeTo(context.cwd, dirname(privateServer.storeDir)) }
        : settings.natsFrom === 'default'
          ? undefined
          : { url: settings.config.nats.servers.join(','), private: false },
      natsServerInstalled: findNatsServer() !== undefined,
      dashboard: services.dashboard?.url,
      playbooks: playbooks.map((p) => p.name),
      machines: machines.map((m) => m.id),
      recovery: services.recovery,
    };
    printReady(context.out, summary);
    ready = true;
    cli.host.onEvent((event) => printDevEvent(context.out, event));
    const signal = await interruption.signal;
    context.out.line(`${signal}: draining (steps in flight finish and are checkpointed; ${signal === 'SIGINT' ? 'Ctrl-C' : 'the signal'} again stops at once)…`);
    await cli.drain();
    return ExitCode.Ok;
  } finally {
    interruption.dispose();
    await cli?.close();
    if (privateServer) {
      await privateServer.stop();
      await rm(devStatePath(settings.projectDir), { force: true });
    }
    if (ready) context.out.line('stopped');
  }
}

/** Imports every --module and collects what they export, each name once. */
async function registered(context: CommandContext): Promise<{ playbooks: Playbook<never, unknown>[]; machines: AnyStateMachine[] }> {
  const playbooks = new Map<string, Playbook<never, unknown>>();
  const machines = new Map<string, AnyStateMachine>();
  for (const specifier of listOption(context, 'module')) {
    const module = await loadModule(specifier, context.cwd);
    for (const [name, playbook] of module.playbooks) playbooks.set(name, playbook);
    for (const [id, machine] of module.machines) machines.set(id, machine);
  }
  return { playbooks: [...playbooks.values()], machines: [...machines.values()] };
}

/**
 * NATS servers given explicitly are used as they are. With none, a private nats-server (when
 * the binary is installed) gives the full setup: checkpoints in KV, inboxes, the control API.
 */
async function chooseNats(settings: Settings): Promise<PrivateNatsServer | undefined> {
  if (settings.natsFrom !== 'default') {
    settings.config.nats.enabled = true;
    return undefined;
  }
  if (!findNatsServer()) return undefined;
  const server = await startPrivateNatsServer({ dir: join(settings.projectDir, '.playbooks', 'nats') });
  settings.config.nats.servers = [server.url];
  settings.config.nats.enabled = true;
  settings.natsFrom = 'dev';
  if (!settings.explicit.storage) settings.config.durability.storage = 'nats';
  return server;
}

async function writeDevState(settings: Settings, server: PrivateNatsServer): Promise<void> {
  const path = devStatePath(settings.projectDir);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify({ pid: process.pid, url: server.url })}\n`);
}
