import { assign, setup, type SnapshotFrom } from 'xstate';
import { emptyFrame, updateEntry, type CallSite, type Frame, type JournalEntry } from './journal.js';
import type { SerializedError } from './serialize.js';

/** A message waiting in an agent's inbox. */
export interface InboxMessage {
  /** Unique within the agent. */
  id: string;
  type: string;
  payload: unknown;
  /** Epoch milliseconds. */
  sentAt: number;
  /** The sender's deduplication id (`Nats-Msg-Id`), if it gave one. */
  msgId?: string;
}

/** How many recent message ids an agent remembers to drop a republished message. */
export const REMEMBERED_MESSAGE_IDS = 32;

export interface AgentContext {
  agentId: string;
  playbook: string;
  input: unknown;
  journal: Frame;
  /** Messages sent to the agent and not yet consumed by a `receive`. */
  inbox: InboxMessage[];
  /** Counter for inbox message ids. */
  messagesReceived: number;
  /** Ids (`msgId`) of the last messages stored, newest last: a republished message is dropped. */
  recentMessageIds?: string[];
  /** How many times the playbook continued as new (`continueAsNew`); 0 for the first run. */
  run?: number;
  result?: unknown;
  error?: SerializedError;
}

export interface AgentInput {
  agentId: string;
  playbook: string;
  input: unknown;
}

type Outcome = { value?: unknown; error?: SerializedError };

/**
 * The events a playbook's durable awaits send to its actor. Each one records into the journal;
 * the snapshot after it is what the next checkpoint stores.
 */
export type AgentEvent =
  | ({ type: 'STEP.DONE'; at: CallSite; name: string; kind?: 'step' | 'send' } & Outcome)
  | { type: 'CALL.START'; at: CallSite; name: string }
  | ({ type: 'CALL.DONE'; at: CallSite; name: string } & Outcome)
  | { type: 'VALUE'; at: CallSite; kind: 'now' | 'random' | 'uuid'; value: unknown }
  | { type: 'SLEEP.START'; at: CallSite; until: number }
  | { type: 'SLEEP.DONE'; at: CallSite }
  | { type: 'RECEIVE.WAIT'; at: CallSite; messageType: string; until?: number }
  | { type: 'MESSAGE.SENT'; message: Omit<InboxMessage, 'id'> }
  | { type: 'MESSAGE.CONSUMED'; at: CallSite; messageId: string; value: unknown }
  | { type: 'MESSAGE.REJECTED'; messageId: string }
  | { type: 'RECEIVE.TIMEOUT'; at: CallSite }
  | { type: 'CONTINUE'; input: unknown }
  | { type: 'DONE'; result: unknown }
  | { type: 'FAIL'; error: SerializedError }
  | { type: 'STOP' }
  | { type: 'RESUME' };

/** What an event records, in a few words: checkpoint events list these (`recorded`). */
export function describeEvent(event: AgentEvent): string {
  const failed = 'error' in event && event.error ? ' (failed)' : '';
  switch (event.type) {
    case 'STEP.DONE':
      return `${event.kind ?? 'step'} ${event.name}${failed}`;
    case 'CALL.START':
      return `call ${event.name} started`;
    case 'CALL.DONE':
      return `call ${event.name}${failed}`;
    case 'VALUE':
      return event.kind;
    case 'SLEEP.START':
      return `sleep until ${new Date(event.until).toISOString()}`;
    case 'SLEEP.DONE':
      return 'sleep done';
    case 'RECEIVE.WAIT':
      return `waiting for "${event.messageType}"`;
    case 'MESSAGE.SENT':
      return `message "${event.message.type}" stored`;
    case 'MESSAGE.CONSUMED':
      return 'message received';
    case 'MESSAGE.REJECTED':
      return 'message rejected';
    case 'RECEIVE.TIMEOUT':
      return 'receive timed out';
    case 'CONTINUE':
      return 'continued as new';
    case 'DONE':
      return 'completed';
    case 'FAIL':
      return 'failed';
    case 'STOP':
      return 'stopped';
    case 'RESUME':
      return 'resumed';
  }
}

const record = (context: AgentContext, at: CallSite, update: (e: JournalEntry | undefined) => JournalEntry) => ({
  journal: updateEntry(context.journal, at, update),
});

const finish = (entry: JournalEntry | undefined, outcome: Outcome): JournalEntry => {
  const done: JournalEntry = { kind: entry!.kind, name: entry!.name, done: true };
  if (outcome.error) done.error = outcome.error;
  else if (outcome.value !== undefined) done.value = outcome.value;
  return done;
};

const withoutMessage = (inbox: InboxMessage[], id: string) => inbox.filter((m) => m.id !== id);

export const agentMachine = setup({
  types: {
    context: {} as AgentContext,
    events: {} as AgentEvent,
    input: {} as AgentInput,
  },
  actions: {
    recordStep: assign(({ context, event }) => {
      if (event.type !== 'STEP.DONE') return {};
      return record(context, event.at, () => finish({ kind: event.kind ?? 'step', name: event.name }, event));
    }),
    openCall: assign(({ context, event }) => {
      if (event.type !== 'CALL.START') return {};
      return record(context, event.at, () => ({ kind: 'call', name: event.name, frame: emptyFrame(event.name) }));
    }),
    // A finished child collapses to its outcome: its frame and entries are dropped.
    closeCall: assign(({ context, event }) => {
      if (event.type !== 'CALL.DONE') return {};
      return record(context, event.at, (entry) => finish(entry, event));
    }),
    recordValue: assign(({ context, event }) => {
      if (event.type !== 'VALUE') return {};
      return record(context, event.at, () => ({ kind: event.kind, name: event.kind, done: true, value: event.value }));
    }),
    startSleep: assign(({ context, event }) => {
      if (event.type !== 'SLEEP.START') return {};
      return record(context, event.at, () => ({ kind: 'sleep', name: 'sleep', until: event.until }));
    }),
    endSleep: assign(({ context, event }) => {
      if (event.type !== 'SLEEP.DONE') return {};
      return record(context, event.at, (entry) => ({ ...entry!, done: true }));
    }),
    startReceive: assign(({ context, event }) => {
      if (event.type !== 'RECEIVE.WAIT') return {};
      return record(context, event.at, () => {
        const entry: JournalEntry = { kind: 'receive', name: event.messageType };
        if (event.until !== undefined) entry.until = event.until;
        return entry;
      });
    }),
    enqueueMessage: assign(({ context, event }) => {
      if (event.type !== 'MESSAGE.SENT') return {};
      const id = String(context.messagesReceived + 1);
      const msgId = event.message.msgId;
      return {
        inbox: [...context.inbox, { id, ...event.message }],
        messagesReceived: context.messagesReceived + 1,
        ...(msgId === undefined
          ? {}
          : { recentMessageIds: [...(context.recentMessageIds ?? []), msgId].slice(-REMEMBERED_MESSAGE_IDS) }),
      };
    }),
    // Consuming a message and recording it in the journal are one transition: one checkpoint.
    consumeMessage: assign(({ context, event }) => {
      if (event.type !== 'MESSAGE.CONSUMED') return {};
      const message = context.inbox.find((m) => m.id === event.messageId);
      return {
        inbox: withoutMessage(context.inbox, event.messageId),
        ...record(context, event.at, () => {
          const entry: JournalEntry = { kind: 'receive', name: message?.type ?? 'unknown', done: true, messageId: event.messageId };
          if (event.value !== undefined) entry.value = event.value;
          return entry;
        }),
      };
    }),
    rejectMessage: assign(({ context, event }) => {
      if (event.type !== 'MESSAGE.REJECTED') return {};
      return { inbox: withoutMessage(context.inbox, event.messageId) };
    }),
    timeOutReceive: assign(({ context, event }) => {
      if (event.type !== 'RECEIVE.TIMEOUT') return {};
      return record(context, event.at, (entry) => ({ kind: 'receive', name: entry!.name, done: true, timedOut: true }));
    }),
    // A fresh run of the playbook: new input, empty journal; the inbox is kept.
    continueAsNew: assign(({ context, event }) =>
      event.type === 'CONTINUE'
        ? { input: event.input, journal: emptyFrame(context.playbook), run: (context.run ?? 0) + 1 }
        : {},
    ),
    complete: assign(({ event }) => (event.type === 'DONE' ? { result: event.result, inbox: [] } : {})),
    recordFailure: assign(({ event }) => (event.type === 'FAIL' ? { error: event.error } : {})),
  },
}).createMachine({
  id: 'agent',
  context: ({ input }) => ({
    agentId: input.agentId,
    playbook: input.playbook,
    input: input.input,
    journal: emptyFrame(input.playbook),
    inbox: [],
    messagesReceived: 0,
  }),
  initial: 'active',
  states: {
    active: {
      initial: 'running',
      // What keeps the agent in its state is a targetless transition in that state (no exit
      // and re-entry): the common case, a step recorded while running, is the cheapest.
      on: {
        'SLEEP.START': { target: '.waiting', actions: 'startSleep' },
        'RECEIVE.WAIT': { target: '.waiting', actions: 'startReceive' },
        'MESSAGE.SENT': { actions: 'enqueueMessage' },
        'MESSAGE.REJECTED': { actions: 'rejectMessage' },
        DONE: { target: 'completed', actions: 'complete' },
        FAIL: { target: 'failed', actions: 'recordFailure' },
        STOP: { target: 'stopped' },
      },
      states: {
        running: {
          on: {
            'STEP.DONE': { actions: 'recordStep' },
            'CALL.START': { actions: 'openCall' },
            'CALL.DONE': { actions: 'closeCall' },
            VALUE: { actions: 'recordValue' },
            'SLEEP.DONE': { actions: 'endSleep' },
            'MESSAGE.CONSUMED': { actions: 'consumeMessage' },
            'RECEIVE.TIMEOUT': { actions: 'timeOutReceive' },
            CONTINUE: { actions: 'continueAsNew' },
          },
        },
        waiting: {
          on: {
            'STEP.DONE': { target: 'running', actions: 'recordStep' },
            'CALL.START': { target: 'running', actions: 'openCall' },
            'CALL.DONE': { target: 'running', actions: 'closeCall' },
            VALUE: { target: 'running', actions: 'recordValue' },
            'SLEEP.DONE': { target: 'running', actions: 'endSleep' },
            'MESSAGE.CONSUMED': { target: 'running', actions: 'consumeMessage' },
            'RECEIVE.TIMEOUT': { target: 'running', actions: 'timeOutReceive' },
            CONTINUE: { target: 'running', actions: 'continueAsNew' },
          },
        },
        // Where RESUME goes back to: a stopped agent that was waiting is waiting again.
        resumed: { type: 'history' },
      },
    },
    stopped: {
      on: { RESUME: { target: 'active.resumed' } },
    },
    completed: { type: 'final' },
    failed: { type: 'final' },
  },
});

export type AgentSnapshot = SnapshotFrom<typeof agentMachine>;

export const AgentState = {
  Running: 'running',
  Waiting: 'waiting',
  Completed: 'completed',
  Failed: 'failed',
  Stopped: 'stopped',
} as const;
export type AgentState = (typeof AgentState)[keyof typeof AgentState];

export function stateOf(snapshot: AgentSnapshot): AgentState {
  // Read straight from the state value: `snapshot.matches` builds state values to compare
  // (an eighth of all the memory a 3-step workflow allocated), and this runs several times
  // per checkpoint. The value is "completed", "failed", "stopped" or { active: <substate> }.
  const value = snapshot.value as string | { active?: unknown };
  if (typeof value === 'object') return value.active === 'waiting' ? AgentState.Waiting : AgentState.Running;
  if (value === 'completed') return AgentState.Completed;
  if (value === 'failed') return AgentState.Failed;
  return AgentState.Stopped;
}

export function isFinished(state: AgentState): boolean {
  return state === AgentState.Completed || state === AgentState.Failed;
}
