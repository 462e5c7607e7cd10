/**
 * Installs the peers into bench/peers/ (gitignored; not project dependencies) when they are
 * missing, with the ordinary npm client:
 *   npm install --prefix bench/peers --no-save --ignore-scripts <every wanted package@version>
 * Every wanted package goes in the one command: `--no-save` installs prune whatever the
 * command does not name. Install scripts are off: the only one among these packages is an
 * analytics ping (@scarf/scarf, pulled in by @restatedev/restate-server), and none is needed —
 * the restate-server binary ships inside its platform package.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { join } from 'node:path';
import { PEERS_DIR, peerVersion } from './workload.js';

export interface PeerGroup {
  id: 'restate' | 'dbos';
  packages: Record<string, string>;
  /** What must exist besides the packages (the server binary). */
  files?: string[];
}

export const PEER_GROUPS: PeerGroup[] = [
  {
    id: 'restate',
    // SDK 1.12.0: newer ones call Promise.withResolvers, missing on Node 20.
    packages: { '@restatedev/restate-server': '1.7.12', '@restatedev/restate-sdk': '1.12.0' },
    files: [join('node_modules', `@restatedev/restate-server-${platform()}-${arch()}`, 'bin', 'restate-server')],
  },
  {
    id: 'dbos',
    // 5.x runs on Node 20 (engines: node >= 20).
    packages: { '@dbos-inc/dbos-sdk': '5.3.0' },
  },
];

export type InstallOutcome = { ok: true; installedNow: boolean } | { ok: false; reason: string };

function missing(group: PeerGroup): string[] {
  const absent = Object.entries(group.packages)
    .filter(([name, version]) => peerVersion(name) !== version)
    .map(([name, version]) => `${name}@${version}`);
  for (const file of group.files ?? []) if (!existsSync(join(PEERS_DIR, file))) absent.push(file);
  return absent;
}

/** Makes sure the peers `ids` are installed; says for each whether it can run. */
export async function ensurePeers(ids: string[], log: (line: string) => void = console.log): Promise<Map<string, InstallOutcome>> {
  const wanted = PEER_GROUPS.filter((g) => ids.includes(g.id));
  const outcomes = new Map<string, InstallOutcome>();
  const toInstall = wanted.filter((g) => missing(g).length > 0);
  for (const group of wanted) if (!toInstall.includes(group)) outcomes.set(group.id, { ok: true, installedNow: false });
  if (toInstall.length === 0) return outcomes;

  await mkdir(PEERS_DIR, { recursive: true });
  // Everything already in place goes into the command too, or --no-save would prune it.
  const keep = PEER_GROUPS.filter((g) => !toInstall.includes(g) && missing(g).length === 0);
  const attempt = async (groups: PeerGroup[]): Promise<string | undefined> => {
    const specs = [...keep, ...groups].flatMap((g) => Object.entries(g.packages).map(([name, version]) => `${name}@${version}`));
    log(`installing into bench/peers/: ${specs.join(' ')}`);
    const error = await npmInstall(specs);
    if (error) return error;
    const still = groups.flatMap(missing);
    return still.length ? `still missing after npm install: ${still.join(', ')}` : undefined;
  };

  const error = await attempt(toInstall);
  if (!error) {
    for (const group of toInstall) outcomes.set(group.id, { ok: true, installedNow: true });
    return outcomes;
  }
  if (toInstall.length === 1) {
    outcomes.set(toInstall[0]!.id, { ok: false, reason: error });
    return outcomes;
  }
  // One of them failed: try each alone, so the others still run.
  log(`npm install failed (${error}); trying the peers one at a time`);
  for (const group of toInstall) {
    const groupError = await attempt([group]);
    if (groupError) outcomes.set(group.id, { ok: false, reason: groupError });
    else {
      outcomes.set(group.id, { ok: true, installedNow: true });
      keep.push(group);
    }
  }
  return outcomes;
}

function npmInstall(specs: string[]): Promise<string | undefined> {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const args = ['install', '--prefix', PEERS_DIR, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...specs];
  return new Promise((resolve) => {
    const child = spawn(npm, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SCARF_ANALYTICS: 'false' } });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), 5 * 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve(`npm could not start: ${error.message}`);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(undefined);
      else {
        const lines = output.trim().split('\n');
        const errors = lines.filter((l) => /^npm (error|ERR!)/.test(l)).slice(0, 4);
        resolve(`npm install exited with ${signal ?? code}: ${(errors.length ? errors : lines.slice(-4)).join(' | ')}`);
      }
    });
  });
}
