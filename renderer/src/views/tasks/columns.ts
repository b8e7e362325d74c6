// Column layout of the tasks table: one grid template shared by the header
// and every row, so they line up without measuring.
import type { SortKey } from '../../lib/route.ts';

export interface Column {
  key: string;
  label: string;
  sort: SortKey | null;
  align?: 'end';
}

export const TASK_COLUMNS: readonly Column[] = [
  { key: 'id', label: 'Task', sort: 'id' },
  { key: 'status', label: 'Status', sort: 'status' },
  { key: 'version', label: 'Version', sort: 'version', align: 'end' },
  { key: 'updated', label: 'Updated', sort: 'updated', align: 'end' },
  { key: 'owner', label: 'Last writer', sort: null },
  { key: 'session', label: 'Session', sort: 'session' },
  { key: 'lock', label: 'Lock', sort: 'lock' },
];

export const ROW_HEIGHT = 30;
