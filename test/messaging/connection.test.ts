import { describe, expect, it } from 'vitest';
import { createHost, ErrorCode, playbook } from 'durable-playbooks';
import { silentLogger } from '../helpers/hosts.js';
import { startNatsServer } from '../helpers/nats-server.js';

describe('NATS connection settings', () => {
  it('authenticates with user and password, and names the servers when it cannot connect', async () => {
    await using server = await startNatsServer({ extraConfig: 'authorization { user: agent, password: s3cret }' });
    const nats = { servers: [server.url], namespace: 'auth', bucket: 'cp-auth' };
    const host = await createHost({ durability: { storage: 'nats' }, nats: { ...nats, user: 'agent', password: 's3cret' }, logger: silentLogger });
    const agent = await host.spawn(playbook('Authed', async () => 'in'), { id: 'authed' });
    expect(await agent.result()).toBe('in');
    await host.close();

    const refused = createHost({ durability: { storage: 'nats' }, nats: { ...nats, user: 'agent', password: 'wrong' }, logger: silentLogger });
    await expect(refused).rejects.toMatchObject({ code: ErrorCode.ConfigInvalid });
    await expect(refused).rejects.toThrow(new RegExp(`cannot connect to NATS at ${server.url}`));
  });

  it('authenticates with a token', async () => {
    await using server = await startNatsServer({ extraConfig: 'authorization { token: t0ken }' });
    const host = await createHost({
      durability: { storage: 'nats' },
      nats: { servers: [server.url], namespace: 'token', bucket: 'cp-token', token: 't0ken' },
      logger: silentLogger,
    });
    expect(await (await host.spawn(playbook('Tokened', async () => 'ok'))).result()).toBe('ok');
    await host.close();
  });

  it('fails fast, naming the servers, when no NATS server answers', async () => {
    await expect(
      createHost({ durability: { storage: 'nats' }, nats: { servers: ['nats://127.0.0.1:1'] }, logger: silentLogger }),
    ).rejects.toThrow(/cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
  });
});
