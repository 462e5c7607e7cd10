import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostsQueue } from '../../messaging/subjects.js';
import { PlainClient } from '../helpers/nats-client.js';
import { startNatsServer, type NatsServer } from '../helpers/nats-server.js';
import { tempDir } from '../helpers/temp-dir.js';
import { jsonOf, runCli } from './cli-process.js';

/*
 * A paused host (SIGSTOP, a frozen VM) stays subscribed in the namespace's control queue group
 * and never answers the requests NATS gives it. Which member gets a request is NATS's choice, so
 * the hosts here are stand-ins on a real nats-server: a queue member that never answers, as a
 * paused host, and a live host that answers on its own subject and sends heartbeats.
 */

const ns = 'paused';
let nats: NatsServer;
let client: PlainClient;
let workdir: { path: string } & AsyncDisposable;
let beating: NodeJS.Timeout;
const askedOfLiveHost: string[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
  workdir = await tempDir('playbooks-cli-paused-');
  client = await PlainClient.connect(nats.url);
  client.nc.subscribe(`playbooks.${ns}.control.*`, { queue: hostsQueue(ns), callback: () => undefined }); // the paused host
  client.nc.subscribe(`playbooks.${ns}.host.live-host.control.*`, {
    callback: (error, msg) => {
      if (error) return;
      askedOfLiveHost.push(msg.subject.split('.').at(-1)!);
      msg.respond(JSON.stringify({ ok: true, agentId: 'agent-1', state: 'completed', seq: 4, playbook: 'P', callStack: [], host: 'live-host' }));
    },
  });
  beating = setInterval(() => client.publish(`playbooks.${ns}.hosts.heartbeat`, { hostId: 'live-host', namespace: ns, at: Date.now(), agentCount: 1, agents: [], nats: null }), 100);
  await client.nc.flush();
});

afterAll(async () => {
  clearInterval(beating);
  await client?.[Symbol.asyncDispose]();
  await workdir?.[Symbol.asyncDispose]();
  await nats?.stop();
});

const cli = (args: string[]) => runCli([...args, '--nats', nats.url, '--namespace', ns], { cwd: workdir.path, timeoutMs: 40_000 });

describe('a paused host in the control queue group', () => {
  it('a request that only reads is asked again of a host heard alive, on its own subject', async () => {
    const status = await cli(['status', 'agent-1', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(jsonOf(status)).toMatchObject({ ok: true, agentId: 'agent-1', state: 'completed', host: 'live-host' });
    expect(askedOfLiveHost).toEqual(['status']);
  }, 45_000);

  it('one that changes something is not sent twice: it times out, with a hint naming the way round', async () => {
    const stop = await cli(['stop', 'agent-1']);
    expect(stop.code).toBe(1);
    expect(stop.stderr).toMatch(/no host of namespace "paused" replied to stop within 10 s/);
    expect(stop.stderr).toMatch(/paused.*playbooks\.paused\.host\.<hostId>\.control\.stop/s);
    expect(askedOfLiveHost).toEqual(['status']); // stop went to the queue group only
  }, 45_000);
});
