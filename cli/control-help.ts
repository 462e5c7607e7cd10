/** Exit codes shared by the commands that talk to running hosts through the control API. */
export const CONTROL_EXIT_CODES: [number, string][] = [
  [0, 'the host replied ok'],
  [1, 'the host replied ok:false (its error code is printed, e.g. AGENT_NOT_FOUND), or no host serves the namespace'],
  [2, 'usage error (missing argument, bad JSON, bad agent id)'],
  [3, 'cannot reach NATS, or the configuration is invalid'],
];

export const CONTROL_NOTE =
  'Talks to the running hosts of the namespace through NATS (playbooks.<ns>.control.<verb>). Without --nats or [nats] servers it uses the private nats-server of a "playbooks dev" running in this directory, if any.';
