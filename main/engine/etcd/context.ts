// What every etcd module needs: the connection, the key layout, the config,
// the event hub, and the audit entries that ride along in each Txn.
import { randomBytes } from 'node:crypto';
import type { IRequestOp } from 'etcd3';
import type { AuditEntry, ChangeType, LockEvent } from '../../../shared/model.ts';
import type { StoreConfig } from '../config.ts';
import type { EventHub } from '../events.ts';
import { newAuditEntry, type AuditFields } from '../audit-entry.ts';
import type { EtcdConnection } from './connection.ts';
import type { KeyLayout } from './keys.ts';

export interface EtcdContext {
  readonly conn: EtcdConnection;
  readonly keys: KeyLayout;
  readonly config: StoreConfig;
  readonly events: EventHub;
}

/** A unique operation id: written with each change so a resent Txn can recognise its own write. */
export function newOpId(): string {
  return `${process.pid.toString(36)}${randomBytes(6).toString('hex')}`;
}

export const put = (key: string, value: string | Buffer, lease?: string): IRequestOp => ({
  request_put: { key: Buffer.from(key), value: Buffer.isBuffer(value) ? value : Buffer.from(value), ...(lease ? { lease } : {}) },
});

export const get = (key: string): IRequestOp => ({ request_range: { key: Buffer.from(key) } });

export function auditEntry(
  ctx: EtcdContext,
  changeType: ChangeType,
  description: string,
  fields: AuditFields = {},
  owner = ctx.config.owner,
): AuditEntry {
  return newAuditEntry(changeType, description, fields, owner);
}

/** The put that appends an audit entry, for a Txn that makes the change it records. */
export function auditPut(ctx: EtcdContext, entry: AuditEntry, op = newOpId()): IRequestOp {
  return put(ctx.keys.logKey(ctx.keys.audit, Date.parse(entry.timestamp), op), JSON.stringify(entry));
}

/** Append an audit entry on its own (a change that has no Txn of its own). Logging never fails the change. */
export async function appendAudit(ctx: EtcdContext, entry: AuditEntry): Promise<void> {
  try {
    await ctx.conn.txn({ compare: [], success: [auditPut(ctx, entry)], failure: [] });
  } catch (err) {
    ctx.events.emit('state.log_error', { message: (err as Error).message });
  }
}

export async function appendLockEvent(ctx: EtcdContext, event: LockEvent): Promise<void> {
  try {
    const key = ctx.keys.logKey(ctx.keys.lockLog, Date.parse(event.ts), newOpId());
    await ctx.conn.txn({ compare: [], success: [put(key, JSON.stringify(event))], failure: [] });
  } catch (err) {
    ctx.events.emit('state.log_error', { message: (err as Error).message });
  }
}
