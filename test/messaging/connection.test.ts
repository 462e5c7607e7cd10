import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nkeys } from '@nats-io/transport-node';
import { createHost, ErrorCode, playbook } from 'durable-playbooks';
import { silentLogger } from '../helpers/hosts.js';
import { startNatsServer } from '../helpers/nats-server.js';
import { tempDir } from '../helpers/temp-dir.js';

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

  it('connects over mutual TLS with the [nats] tls_ca_file, tls_cert_file and tls_key_file', async () => {
    await using dir = await tempDir();
    const file = (name: string) => join(dir.path, name);
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir.path, stdio: 'pipe' });
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca');
    await writeFile(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    for (const [name, cn, ext] of [['server', '127.0.0.1', ['-extfile', 'server.ext']], ['client', 'agent-host', []]] as const) {
      openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
      openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', ...ext);
    }
    await using server = await startNatsServer({
      extraConfig: `tls { cert_file: "${file('server.pem')}", key_file: "${file('server-key.pem')}", ca_file: "${file('ca.pem')}", verify: true }`,
    });
    const nats = { servers: [server.url], namespace: 'tls', bucket: 'cp-tls', tlsCaFile: file('ca.pem') };
    const host = await createHost({
      durability: { storage: 'nats' },
      nats: { ...nats, tlsCertFile: file('client.pem'), tlsKeyFile: file('client-key.pem') },
      logger: silentLogger,
    });
    expect(await (await host.spawn(playbook('OverTls', async () => 'sealed'))).result()).toBe('sealed');
    await host.close();
    // The server asks for a client certificate: without one, no connection.
    await expect(createHost({ durability: { storage: 'nats' }, nats, logger: silentLogger })).rejects.toThrow(/cannot connect to NATS/);
  });

  it('authenticates with a creds file: its user seed signs the server nonce', async () => {
    await using dir = await tempDir();
    const user = nkeys.createUser();
    // This server authorizes the user's nkey directly (no operator and account JWTs here), so it
    // checks the signature made with the creds file's seed, not the JWT, which is only well-formed.
    await using server = await startNatsServer({ extraConfig: `authorization { users = [ { nkey: ${user.getPublicKey()} } ] }` });
    const credsFile = async (name: string, seed: Uint8Array) => {
      const jwt = `${Buffer.from('{"typ":"JWT","alg":"ed25519-nkey"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.c2ln`;
      const text = `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${new TextDecoder().decode(seed)}\n------END USER NKEY SEED------\n`;
      await writeFile(join(dir.path, name), text);
      return join(dir.path, name);
    };
    const nats = { servers: [server.url], namespace: 'creds', bucket: 'cp-creds' };
    const host = await createHost({ durability: { storage: 'nats' }, nats: { ...nats, credsFile: await credsFile('user.creds', user.getSeed()) }, logger: silentLogger });
    expect(await (await host.spawn(playbook('WithCreds', async () => 'signed'))).result()).toBe('signed');
    await host.close();
    const stranger = await credsFile('stranger.creds', nkeys.createUser().getSeed());
    await expect(createHost({ durability: { storage: 'nats' }, nats: { ...nats, credsFile: stranger }, logger: silentLogger })).rejects.toMatchObject({
      code: ErrorCode.ConfigInvalid,
    });
  });

  it('runs against a server in operator mode: a creds file whose user JWT its account signed, the account JWT its operator signed', async () => {
    await using dir = await tempDir();
    const operator = nkeys.createOperator();
    const system = nkeys.createAccount();
    const account = nkeys.createAccount();
    const user = nkeys.createUser();
    const unlimited = { subs: -1, data: -1, payload: -1 };
    const systemLimits = { ...unlimited, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
    // JetStream is on for an account whose limits give it storage (never the system account).
    const accountLimits = { ...systemLimits, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 };
    const accountJwt = (kp: nkeys.KeyPair, name: string, limits: object) =>
      natsJwt(operator, kp.getPublicKey(), name, { limits, default_permissions: { pub: {}, sub: {} }, type: 'account', version: 2 });
    await using server = await startNatsServer({
      extraConfig: [
        `operator: "${natsJwt(operator, operator.getPublicKey(), 'test-operator', { type: 'operator', version: 2 })}"`,
        `system_account: ${system.getPublicKey()}`,
        'resolver: MEMORY',
        `resolver_preload: { ${system.getPublicKey()}: "${accountJwt(system, 'SYS', systemLimits)}", ${account.getPublicKey()}: "${accountJwt(account, 'agents', accountLimits)}" }`,
      ].join('\n'),
    });
    const userJwt = natsJwt(account, user.getPublicKey(), 'agent-host', { pub: {}, sub: {}, ...unlimited, type: 'user', version: 2 });
    const creds = join(dir.path, 'agent-host.creds');
    await writeFile(
      creds,
      `-----BEGIN NATS USER JWT-----\n${userJwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${new TextDecoder().decode(user.getSeed())}\n------END USER NKEY SEED------\n`,
    );
    const nats = { servers: [server.url], namespace: 'operator', bucket: 'cp-operator' };
    const host = await createHost({ durability: { storage: 'nats' }, nats: { ...nats, credsFile: creds }, logger: silentLogger });
    const Signed = playbook('InAnAccount', async () => 'chained');
    expect(await (await host.spawn(Signed, { id: 'in-account' })).result()).toBe('chained');
    expect((await host.store!.latest('in-account'))?.seq).toBeGreaterThan(0); // its checkpoints are in the account's JetStream
    await host.close();
    // A user signed by a key the operator does not know is refused.
    const forged = natsJwt(nkeys.createAccount(), user.getPublicKey(), 'forged', { pub: {}, sub: {}, ...unlimited, type: 'user', version: 2 });
    await writeFile(creds, (await readFile(creds, 'utf8')).replace(userJwt, forged));
    await expect(createHost({ durability: { storage: 'nats' }, nats: { ...nats, credsFile: creds }, logger: silentLogger })).rejects.toMatchObject({
      code: ErrorCode.ConfigInvalid,
    });
  });

  it('fails fast, naming the servers, when no NATS server answers', async () => {
    await expect(
      createHost({ durability: { storage: 'nats' }, nats: { servers: ['nats://127.0.0.1:1'] }, logger: silentLogger }),
    ).rejects.toThrow(/cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
  });
});

/** A NATS JWT (v2): `claims` about `subject`, issued and signed by `issuer`. */
function natsJwt(issuer: nkeys.KeyPair, subject: string, name: string, nats: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const claims = { jti: randomUUID().replaceAll('-', '').toUpperCase(), iat: Math.floor(Date.now() / 1000), iss: issuer.getPublicKey(), name, sub: subject, nats };
  const signed = `${encode({ typ: 'JWT', alg: 'ed25519-nkey' })}.${encode(claims)}`;
  return `${signed}.${Buffer.from(issuer.sign(Buffer.from(signed))).toString('base64url')}`;
}
