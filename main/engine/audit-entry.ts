// One audit entry as both backends write it: when, which process on which
// host, for whom, what kind of change, on what, and a sentence saying it.
import type { AuditEntry, ChangeType } from '../../shared/model.ts';
import { HOST } from './identity.ts';

export type AuditFields = Partial<Omit<AuditEntry, 'change_type' | 'description'>>;

export function newAuditEntry(changeType: ChangeType, description: string, fields: AuditFields, owner: string): AuditEntry {
  return {
    timestamp: new Date().toISOString(),
    process_id: process.pid,
    host: HOST,
    owner,
    change_type: changeType,
    ...fields,
    description,
  };
}
