/**
 * DBOS Transact: the TypeScript SDK in this process, its system database on the local
 * PostgreSQL (a fresh database created for the run and dropped after it), the 3-step workflow
 * registered with `DBOS.registerWorkflow` and its steps run with `DBOS.runStep`; each workflow is
 * called directly (the SDK starts it with a new workflow ID and awaits its result).
 *
 * Configuration: the SDK's defaults (a pool of 10 connections to the system database; the
 * environment variable DBOS_POOL_SIZE changes it), log level "error". The server's durability
 * settings are read and reported, not changed.
 */
import { createRequire } from 'node:module';
import { deferCleanup, drive, payload, StepTimer, unavailable, peerVersion, type SystemResult, type Workload } from './workload.js';

const PG = { host: process.env.PEERS_PG_HOST ?? '127.0.0.1', port: Number(process.env.PEERS_PG_PORT ?? 5432), user: process.env.PEERS_PG_USER ?? 'postgres' };

/** The bits of @dbos-inc/dbos-sdk and pg used here (not project dependencies: no types). */
interface Dbos {
  setConfig(config: Record<string, unknown>): void;
  launch(): Promise<void>;
  shutdown(options?: Record<string, unknown>): Promise<void>;
  registerWorkflow<A extends unknown[], R>(fn: (...args: A) => Promise<R>, config: { name: string }): (...args: A) => Promise<R>;
  runStep<R>(fn: () => Promise<R>, config: { name: string }): Promise<R>;
}
interface PgClient {
  connect(): Promise<void>;
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  end(): Promise<void>;
}
interface Pg {
  Client: { new (config: Record<string, unknown>): PgClient; prototype: { query: (...args: unknown[]) => unknown } };
}

export function dbosDurability(settings: Record<string, string> | undefined): string {
  const s = settings ?? {};
  const fsync = s.fsync ?? '?';
  const commit = s.synchronous_commit ?? '?';
  return `PostgreSQL ${s.server_version ?? ''} (local, no standby): fsync = ${fsync}, synchronous_commit = ${commit}, wal_sync_method = ${s.wal_sync_method ?? '?'} — each commit's WAL is flushed to disk before it returns (group commit under load); no replication`.replace(/ +/g, ' ');
}

export async function benchDbos(workload: Workload): Promise<SystemResult> {
  const version = peerVersion('@dbos-inc/dbos-sdk');
  const base = {
    id: 'dbos',
    name: 'DBOS Transact',
    role: 'peer' as const,
    version: `@dbos-inc/dbos-sdk ${version ?? '?'}`,
    durability: dbosDurability(undefined),
  };
  const cleanups: (() => Promise<unknown>)[] = [];
  try {
    if (!version) throw new Error('@dbos-inc/dbos-sdk is not installed in bench/peers/');
    // CommonJS instances, the very ones the SDK requires (so the query counter below sees its queries).
    const peerRequire = createRequire(new URL('../peers/package.json', import.meta.url));
    const pg = peerRequire('pg') as Pg;
    const { DBOS } = peerRequire('@dbos-inc/dbos-sdk') as { DBOS: Dbos };

    // ── a fresh database on the local server; its durability settings, as they are ───────────
    const admin = new pg.Client({ ...PG, database: 'postgres' });
    await admin.connect();
    cleanups.push(deferCleanup(() => admin.end()));
    const settings: Record<string, string> = {};
    for (const name of ['server_version', 'fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes', 'commit_delay', 'synchronous_standby_names']) {
      settings[name] = String((await admin.query(`SHOW ${name}`)).rows[0]?.[name] ?? '');
    }
    const database = `dbos_compare_${process.pid}_${Date.now()}`;
    await admin.query(`CREATE DATABASE ${database}`);
    cleanups.push(deferCleanup(() => admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)));
    base.durability = dbosDurability(settings);

    // ── the workflow ─────────────────────────────────────────────────────────────────────────
    const timer = new StepTimer();
    const workflow = DBOS.registerWorkflow(
      async (i: number) => {
        await timer.time(() => DBOS.runStep(async () => payload(i, 'A'), { name: 'A' }));
        await timer.time(() => DBOS.runStep(async () => payload(i, 'B'), { name: 'B' }));
        return (await timer.time(() => DBOS.runStep(async () => payload(i, 'C'), { name: 'C' }))).index;
      },
      { name: 'CompareThreeSteps' },
    );
    // DBOS_POOL_SIZE: to see how the figures move with a bigger pool (not set: the SDK's default).
    const poolSize = process.env.DBOS_POOL_SIZE ? Number(process.env.DBOS_POOL_SIZE) : undefined;
    DBOS.setConfig({
      name: 'compare-bench',
      systemDatabaseUrl: `postgresql://${PG.user}@${PG.host}:${PG.port}/${database}`,
      logLevel: 'error',
      ...(poolSize ? { systemDatabasePoolSize: poolSize } : {}),
    });
    await DBOS.launch();
    cleanups.push(deferCleanup(() => DBOS.shutdown()));

    // Counts the SQL statements (and the transactions: BEGIN … COMMIT) the SDK sends per
    // workflow in the sequential phase: its durable writes, seen from the client.
    let statements = 0;
    let transactions = 0;
    const originalQuery = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
      if (timer.recording) {
        statements++;
        const first = args[0];
        const text = typeof first === 'string' ? first : (first as { text?: unknown } | undefined)?.text;
        if (typeof text === 'string' && /^\s*BEGIN\b/i.test(text)) transactions++;
      }
      return originalQuery.apply(this, args);
    };
    cleanups.push(deferCleanup(async () => (pg.Client.prototype.query = originalQuery)));

    const measured = await drive(workflow, timer, workload);

    const check = new pg.Client({ ...PG, database });
    await check.connect();
    const counts = await check
      .query(
        `SELECT (SELECT count(*) FROM dbos.workflow_status WHERE status = 'SUCCESS') AS workflows,
                (SELECT count(*) FROM dbos.operation_outputs) AS step_outputs`,
      )
      .finally(() => check.end());
    return {
      ...base,
      status: 'ok',
      ...measured,
      details: {
        postgres: settings,
        database,
        poolSize: poolSize ?? 'SDK default (10)',
        sqlStatementsPerWorkflow: statements / workload.sequentialRuns,
        transactionsPerWorkflow: transactions / workload.sequentialRuns,
        rowsAfterRun: counts.rows[0],
      },
    };
  } catch (error) {
    return unavailable(base, error);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}
