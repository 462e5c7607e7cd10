/** The NATS wire contract's names. Other programs use them: change nothing without a new major version. */

export const subjects = {
  /** Messages to an agent: JSON `{ "type", "payload" }`, optional `Nats-Msg-Id` header. */
  inbox: (namespace: string, agentId: string) => `playbooks.${namespace}.agent.${agentId}.inbox`,
  /** Every agent's inbox in a namespace (what the inbox stream captures). */
  allInboxes: (namespace: string) => `playbooks.${namespace}.agent.*.inbox`,
  /** Lifecycle events of an agent, as JSON. */
  events: (namespace: string, agentId: string) => `playbooks.${namespace}.agent.${agentId}.events`,
  /** Control requests served by every host of the namespace, in a queue group. */
  control: (namespace: string, verb: string) => `playbooks.${namespace}.control.${verb}`,
  allControl: (namespace: string) => `playbooks.${namespace}.control.*`,
  /** Control requests for one host (a request forwarded to the host that runs the agent). */
  hostControl: (namespace: string, hostId: string, verb: string) => `playbooks.${namespace}.host.${hostId}.control.${verb}`,
  allHostControl: (namespace: string, hostId: string) => `playbooks.${namespace}.host.${hostId}.control.*`,
  /** Every host of a namespace publishes its heartbeat here (with a summary of its agents). */
  heartbeat: (namespace: string) => `playbooks.${namespace}.hosts.heartbeat`,
} as const;

/** The JetStream stream that captures a namespace's inboxes. */
export function inboxStreamName(namespace: string): string {
  return `PLAYBOOKS_${namespace}_INBOX`;
}

/** The queue group of a namespace's hosts. */
export function hostsQueue(namespace: string): string {
  return `playbooks-${namespace}-hosts`;
}

/** The agent id in an inbox or events subject. */
export function agentIdOf(subject: string): string | undefined {
  return subject.split('.')[3];
}
