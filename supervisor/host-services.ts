import type { Logger } from '../logger.js';
import type { RecoveryReport } from '../persistence/recovery-coordinator.js';
import { dashboardApp } from './dashboard/app.js';
import { startDashboardServer, type DashboardServer } from './dashboard/server.js';
import { FailoverMonitor } from './failover.js';
import { HostHeartbeats } from './heartbeats.js';
import type { Host } from './host.js';
import { HostObservability } from './observability.js';

export interface StartOptions {
  /** Resume this host's unfinished agents from the store (and orphans no live host owns). Default true. */
  recover?: boolean;
  /** Serve /healthz, /readyz, /metrics, the API and the dashboard on `[dashboard] host:port`. Default: `[dashboard] enabled`. */
  dashboard?: boolean;
  /** Drain (`host.drain()`) and exit on SIGTERM and SIGINT. Default false. */
  handleSignals?: boolean;
  /** Time between this host's heartbeats to the other hosts of its namespace, in ms. Default 2,000. */
  heartbeatIntervalMs?: number;
}

/** What a started host runs next to its agents. */
export class HostServices {
  recovery: RecoveryReport | undefined;
  dashboard: DashboardServer | undefined;
  heartbeats: HostHeartbeats | undefined;
  failover: FailoverMonitor | undefined;
  readonly observability: HostObservability;
  private readonly signalHandlers: [NodeJS.Signals, () => void][] = [];

  constructor(private readonly host: Host) {
    this.observability = new HostObservability(host);
  }

  async start(options: StartOptions, logger: Logger): Promise<void> {
    const { host } = this;
    if (host.messaging) {
      this.heartbeats = new HostHeartbeats({
        messaging: host.messaging,
        hostId: host.id,
        clock: host.clock,
        logger,
        agents: () => this.observability.summaries(),
        activeAgents: () => host.list().filter((a) => a.state === 'running' || a.state === 'waiting').length + host.evictedCount,
        ...(options.heartbeatIntervalMs ? { intervalMs: options.heartbeatIntervalMs } : {}),
      });
      this.heartbeats.start();
    }
    if (host.lease) {
      this.failover = new FailoverMonitor(host, host.lease, host.config.nats.leaseSeconds * 1000, logger);
      this.failover.start();
    }
    if (options.recover ?? true) {
      this.recovery = await host.recover();
      const { resumed, quarantined, skipped } = this.recovery;
      logger.info({ resumed: resumed.length, quarantined: quarantined.length, skipped: skipped.length }, 'recovered unfinished agents');
    }
    if (options.dashboard ?? host.config.dashboard.enabled) {
      const { host: bind, port, token } = host.config.dashboard;
      this.dashboard = await startDashboardServer(dashboardApp(host, this.observability, this.heartbeats), { host: bind, port, token, logger });
    }
    if (options.handleSignals) {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) {
        const handler = (): void => {
          logger.info({ signal }, 'shutting down');
          void host.drain().finally(() => process.exit(0));
        };
        process.once(signal, handler);
        this.signalHandlers.push([signal, handler]);
      }
    }
  }

  async close(): Promise<void> {
    for (const [signal, handler] of this.signalHandlers) process.off(signal, handler);
    this.heartbeats?.stop();
    this.failover?.stop();
    await this.dashboard?.close();
    this.observability.close();
  }
}
