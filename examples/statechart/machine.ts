/**
 * A document review as a plain XState v5 machine — nothing in it knows about durable-playbooks.
 * Spawned as an agent, every transition is checkpointed and inbox messages arrive as events
 * (`{ type: 'approve', payload: { reviewer: 'bob' } }` becomes `{ type: 'approve', reviewer: 'bob' }`).
 *
 *   draft ─submit→ inReview ─approve (enough approvals)→ approved ─publish→ published (final)
 *                    │  ▲
 *     requestChanges │  │ revise
 *                    ▼  │
 *               changesRequested
 *
 * Guards: reviewers cannot review their own document, and it takes `approvalsNeeded`
 * approvals from different reviewers. No `after` (delayed) transitions: XState does not
 * resume those from a snapshot — a durable deadline belongs in a playbook (`receive` with
 * `timeoutMs`, or `sleep`).
 */
import { and, assign, not, setup } from 'xstate';

export interface ReviewInput {
  title: string;
  author: string;
  approvalsNeeded: number;
}

export interface ReviewContext extends ReviewInput {
  revision: number;
  approvals: string[];
  comments: string[];
}

export type ReviewEvent =
  | { type: 'submit' }
  | { type: 'approve'; reviewer: string }
  | { type: 'requestChanges'; reviewer: string; comment: string }
  | { type: 'revise'; summary: string }
  | { type: 'publish' };

export const documentReview = setup({
  types: {
    input: {} as ReviewInput,
    context: {} as ReviewContext,
    events: {} as ReviewEvent,
    output: {} as { title: string; revision: number; approvedBy: string[]; comments: string[] },
  },
  guards: {
    byTheAuthor: ({ context, event }) => 'reviewer' in event && event.reviewer === context.author,
    alreadyApproved: ({ context, event }) => 'reviewer' in event && context.approvals.includes(event.reviewer),
    /** This approval is the last one needed. */
    completesApprovals: ({ context }) => context.approvals.length + 1 >= context.approvalsNeeded,
  },
  actions: {
    addApproval: assign({
      approvals: ({ context, event }) => (event.type === 'approve' ? [...context.approvals, event.reviewer] : context.approvals),
    }),
    addComment: assign({
      comments: ({ context, event }) =>
        event.type === 'requestChanges' ? [...context.comments, `${event.reviewer}: ${event.comment}`] : context.comments,
      approvals: [], // a change invalidates earlier approvals
    }),
    newRevision: assign({ revision: ({ context }) => context.revision + 1 }),
  },
}).createMachine({
  id: 'documentReview', // the name it is registered and recovered by
  context: ({ input }) => ({ ...input, revision: 1, approvals: [], comments: [] }),
  initial: 'draft',
  states: {
    draft: { on: { submit: 'inReview' } },
    inReview: {
      on: {
        approve: [
          // The author's own approval and a second one by the same reviewer match no
          // transition: the event is ignored and the state stays as it is.
          { guard: and([not('byTheAuthor'), not('alreadyApproved'), 'completesApprovals']), target: 'approved', actions: 'addApproval' },
          { guard: and([not('byTheAuthor'), not('alreadyApproved')]), actions: 'addApproval' },
        ],
        requestChanges: { guard: not('byTheAuthor'), target: 'changesRequested', actions: 'addComment' },
      },
    },
    changesRequested: { on: { revise: { target: 'inReview', actions: 'newRevision' } } },
    approved: { on: { publish: 'published' } },
    published: { type: 'final' },
  },
  output: ({ context }) => ({
    title: context.title,
    revision: context.revision,
    approvedBy: context.approvals,
    comments: context.comments,
  }),
});
