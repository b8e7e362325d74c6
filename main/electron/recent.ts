// The File › Open Recent list: state folders and etcd clusters opened
// before, newest first. Stored as JSON: a folder is its path (the format of
// earlier versions), a cluster is {etcd: [urls], namespace}.
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../engine/fsx.ts';

const MAX_RECENT = 10;

export type RecentEntry = { kind: 'folder'; root: string } | { kind: 'etcd'; endpoints: string[]; namespace: string };

type StoredEntry = string | { etcd: string[]; namespace: string };

export function loadRecent(file: string): RecentEntry[] {
  try {
    const list = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (!Array.isArray(list)) return [];
    return list
      .flatMap((item): RecentEntry[] => {
        const entry = fromStored(item);
        // A folder deleted since is dropped; a cluster cannot be checked without connecting.
        return entry && (entry.kind === 'etcd' || existsSync(entry.root)) ? [entry] : [];
      })
      .slice(0, MAX_RECENT);
  } catch {
    return [];
  }
}

export function addRecent(file: string, list: RecentEntry[], entry: RecentEntry): RecentEntry[] {
  const next = [entry, ...list.filter((e) => recentKey(e) !== recentKey(entry))].slice(0, MAX_RECENT);
  try {
    writeFileAtomic(file, JSON.stringify(next.map(toStored)), false);
  } catch {
    /* the list is a convenience */
  }
  return next;
}

/** One key per place: the same cluster given with its endpoints in another order is one entry. */
export function recentKey(entry: RecentEntry): string {
  return entry.kind === 'folder' ? `folder:${entry.root}` : `etcd:${[...entry.endpoints].sort().join(',')}#${entry.namespace}`;
}

/** The menu label: the folder's path, or the cluster's namespace and endpoints. */
export function recentLabel(entry: RecentEntry): string {
  return entry.kind === 'folder' ? entry.root : `etcd: ${entry.namespace} on ${entry.endpoints.join(', ')}`;
}

function toStored(entry: RecentEntry): StoredEntry {
  return entry.kind === 'folder' ? entry.root : { etcd: entry.endpoints, namespace: entry.namespace };
}

function fromStored(item: unknown): RecentEntry | null {
  if (typeof item === 'string') return { kind: 'folder', root: item };
  if (item === null || typeof item !== 'object') return null;
  const { etcd, namespace } = item as Record<string, unknown>;
  if (!Array.isArray(etcd) || etcd.length === 0 || !etcd.every((u) => typeof u === 'string') || typeof namespace !== 'string') return null;
  return { kind: 'etcd', endpoints: etcd as string[], namespace };
}
