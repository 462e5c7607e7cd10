/**
 * A purchase that needs a human's approval. The agent asks for it, then waits durably for an
 * "approval" message in its inbox — minutes or days, across restarts of the host — and goes
 * one of three ways:
 *
 *   RequestApproval → receive("approval", { timeoutMs }) ─┬─ approved  → PlaceOrder
 *                                                         ├─ rejected  → NotifyRejected
 *                                                         └─ timed out → Escalate
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ErrorCode, playbook, receive, step, stepContext, type Duration } from 'durable-playbooks';

export interface PurchaseRequest {
  item: string;
  amountUsd: number;
  requestedBy: string;
  /** How long to wait for a decision before escalating: ms or '3s', '10m', '2d'… */
  approveWithin: Duration;
}

/** What an approver sends. A message that does not match is rejected and the agent waits on. */
export const Approval = z.object({
  approved: z.boolean(),
  by: z.string().min(1),
  comment: z.string().optional(),
});
export type Approval = z.infer<typeof Approval>;

export type PurchaseOutcome =
  | { outcome: 'approved'; by: string; orderId: string }
  | { outcome: 'rejected'; by: string; comment?: string }
  | { outcome: 'escalated'; after: Duration; ticket: string };

const usd = (amount: number): string => `$${amount.toLocaleString('en-US')}`;
/** A short, stable reference derived from a step's idempotency key: the same on every retry. */
const reference = (prefix: string, key: string): string => `${prefix}-${createHash('sha256').update(key).digest('hex').slice(0, 8).toUpperCase()}`;

// Steps are the side effects. Each prints a line when it really runs; a replayed step
// returns its journaled result without running again.

const RequestApproval = step('RequestApproval', async (request: PurchaseRequest) => {
  const { agentId } = stepContext();
  console.log(`  ▶ ${agentId}: RequestApproval — ${request.requestedBy} wants "${request.item}" (${usd(request.amountUsd)}); approver notified`);
});

const PlaceOrder = step('PlaceOrder', async (request: PurchaseRequest, approval: Approval) => {
  // The idempotency key is the same on every retry and resume: a real purchasing system
  // would use it to make sure one approval places one order.
  const { agentId, idempotencyKey } = stepContext();
  const orderId = reference('PO', idempotencyKey);
  console.log(`  ▶ ${agentId}: PlaceOrder — approved by ${approval.by}; order ${orderId} placed for "${request.item}"`);
  return orderId;
});

const NotifyRejected = step('NotifyRejected', async (request: PurchaseRequest, approval: Approval) => {
  const { agentId } = stepContext();
  const why = approval.comment ? `: "${approval.comment}"` : '';
  console.log(`  ▶ ${agentId}: NotifyRejected — ${approval.by} rejected "${request.item}"${why}; ${request.requestedBy} notified`);
});

const Escalate = step('Escalate', async (request: PurchaseRequest) => {
  const { agentId, idempotencyKey } = stepContext();
  const ticket = reference('ESC', idempotencyKey);
  console.log(`  ▶ ${agentId}: Escalate — no decision within ${request.approveWithin}; ticket ${ticket} opened for the finance managers`);
  return ticket;
});

export const PurchaseApproval = playbook('PurchaseApproval', async (request: PurchaseRequest): Promise<PurchaseOutcome> => {
  await RequestApproval(request);

  let approval: Approval;
  try {
    // A durable wait: the deadline is checkpointed, so a host that restarts meanwhile
    // still times out at the original moment, not `approveWithin` after the restart.
    approval = await receive('approval', { schema: Approval, timeoutMs: request.approveWithin });
  } catch (error) {
    if ((error as { code?: string }).code !== ErrorCode.Timeout) throw error;
    return { outcome: 'escalated', after: request.approveWithin, ticket: await Escalate(request) };
  }

  if (!approval.approved) {
    await NotifyRejected(request, approval);
    return { outcome: 'rejected', by: approval.by, ...(approval.comment ? { comment: approval.comment } : {}) };
  }
  return { outcome: 'approved', by: approval.by, orderId: await PlaceOrder(request, approval) };
});
