// The File › Open Recent list: state folders and etcd clusters opened
// before, newest first. Stored as JSON: a folder is its path (the format of
// earlier versions), a cluster is {etcd: [urls], namespace, tls?, user?,
// encryptedPassword?}. A password is never written in plain text: only what
// the OS encrypted (password-vault.ts), or nothing.
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../engine/fsx.ts';
import type { EtcdPlace, FolderPlace, Place } from './place.ts';

const MAX_RECENT = 10;

/** A cluster as remembered: everything but the password, which is kept encrypted if at all. */
export type RecentCluster = Omit<EtcdPlace, 'password'> & { encryptedPassword?: string };
export type RecentEntry = FolderPlace | RecentCluster;

const storedCluster = z.object({
  etcd: z.array(z.string()).min(1),
  namespace: z.string(),
  tls: z.object({ ca: z.string().optional(), cert: z.string().optional(), key: z.string().optional() }).optional(),
  user: z.string().optional(),
  encryptedPassword: z.string().optional(),
});
type StoredEntry = string | z.infer<typeof storedCluster>;

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

/** What Open Recent keeps of a place that opened: the password only as `encryptedPassword` (undefined: not kept). */
export function recentEntryOf(place: Place, encryptedPassword?: string): RecentEntry {
  if (place.kind === 'folder') return place;
  const { password: _password, ...kept } = place;
  return encryptedPassword === undefined ? kept : { ...kept, encryptedPassword };
}

/**
 * One key per place: the same cluster given with its endpoints in another
 * order is one entry; another user of it is another entry.
 */
export function recentKey(entry: Place | RecentEntry): string {
  if (entry.kind === 'folder') return `folder:${entry.root}`;
  return `etcd:${[...entry.endpoints].sort().join(',')}#${entry.namespace}${entry.username ? `@${entry.username}` : ''}`;
}

/** The menu label: the folder's path, or the cluster's namespace and endpoints (and the user). */
export function recentLabel(entry: Place | RecentEntry): string {
  if (entry.kind === 'folder') return entry.root;
  return `etcd: ${entry.namespace} on ${entry.endpoints.join(', ')}${entry.username ? ` as ${entry.username}` : ''}`;
}

function toStored(entry: RecentEntry): StoredEntry {
  if (entry.kind === 'folder') return entry.root;
  return {
    etcd: entry.endpoints,
    namespace: entry.namespace,
    ...(entry.tls && { tls: entry.tls }),
    ...(entry.username !== undefined && { user: entry.username }),
    ...(entry.encryptedPassword !== undefined && { encryptedPassword: entry.encryptedPassword }),
  };
}

function fromStored(item: unknown): RecentEntry | null {
  if (typeof item === 'string') return { kind: 'folder', root: item };
  const parsed = storedCluster.safeParse(item);
  if (!parsed.success) return null;
  const { etcd, namespace, tls, user, encryptedPassword } = parsed.data;
  return {
    kind: 'etcd',
    endpoints: etcd,
    namespace,
    ...(tls && { tls }),
    ...(user !== undefined && { username: user }),
    ...(encryptedPassword !== undefined && { encryptedPassword }),
  };
}
