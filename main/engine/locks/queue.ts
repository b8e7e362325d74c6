// The queue of one lock: every ticket in its folder, in order.
//
// Order is (seq, name). A newcomer takes seq = highest present + 1, then
// scans again and withdraws (and retries higher) if any ticket now sorts
// after it. So a ticket that sorts before ours was created before our
// validating scan, which is the property exclusion rests on:
//
//   Say W (write) and X both hold. The one created later, say X, scanned
//   after creating its ticket and saw W's (W holds, so it was present), and
//   kept its ticket only because W's sorts first; W's is still present when
//   X decides, so X cannot hold. The other case is symmetric, since a
//   writer defers to every earlier ticket and a reader to earlier writers.
//
// Sequence numbers restart once the queue empties; nothing depends on them
// growing forever.
import { readdirSync, type Dirent } from 'node:fs';
import type { LockMode } from '../../../shared/model.ts';
import { isLegacyName } from './legacy.ts';
import { parseTicketName, type TicketName } from './ticket.ts';

export interface QueueScan {
  /** Every entry of the folder, for the fence (fsx.fenceHeldTemps) and for legacy files. */
  names: string[];
  /** Tickets in queue order. */
  tickets: TicketName[];
  /** Names at the legacy lock names (<base>, <base>.r-…): see legacy.ts. */
  legacy: string[];
}

export function compareTickets(a: TicketName, b: TicketName): number {
  return a.seq - b.seq || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}

export function scanQueue(dir: string, base: string): QueueScan {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    entries = [];
  }
  const names: string[] = [];
  const tickets: TicketName[] = [];
  const legacy: string[] = [];
  for (const entry of entries) {
    const name = entry.name;
    names.push(name);
    if (!name.startsWith(base)) continue;
    const ticket = parseTicketName(base, name);
    // Only a file is a ticket: a folder, FIFO or symlink under a ticket's name is an odd file, reported
    // and cleared like those at the old names. (A filesystem that does not say what an entry is, is trusted.)
    if (ticket && !isOddEntry(entry)) tickets.push(ticket);
    else if (ticket || isLegacyName(base, name)) legacy.push(name);
  }
  tickets.sort(compareTickets);
  return { names, tickets, legacy };
}

function isOddEntry(entry: Dirent): boolean {
  return (
    entry.isDirectory() ||
    entry.isSymbolicLink() ||
    entry.isFIFO() ||
    entry.isSocket() ||
    entry.isBlockDevice() ||
    entry.isCharacterDevice()
  );
}

export function nextSeq(scan: QueueScan): number {
  return (scan.tickets[scan.tickets.length - 1]?.seq ?? 0) + 1;
}

/** Whether some ticket sorts after ours: our number may be stale, so we withdraw and retry. */
export function overtaken(scan: QueueScan, ours: TicketName): boolean {
  const last = scan.tickets[scan.tickets.length - 1];
  return last !== undefined && compareTickets(last, ours) > 0;
}

/** Tickets ahead of ours that keep us waiting: all of them for a writer, writers for a reader. */
export function blockersOf(scan: QueueScan, ours: TicketName): TicketName[] {
  const out: TicketName[] = [];
  for (const t of scan.tickets) {
    if (compareTickets(t, ours) >= 0) break;
    if (ours.mode === 'write' || t.mode === 'write') out.push(t);
  }
  return out;
}

/** Who holds and who waits, from the order alone: a writer at the head, or the readers before the first writer. */
export function roleOf(scan: QueueScan, index: number): 'holder' | 'waiter' {
  const t = scan.tickets[index]!;
  if (index === 0) return 'holder';
  if (t.mode === 'write') return 'waiter';
  return scan.tickets.slice(0, index).every((o) => o.mode === 'read') ? 'holder' : 'waiter';
}

export function modeLetter(mode: LockMode): 'r' | 'w' {
  return mode === 'write' ? 'w' : 'r';
}
