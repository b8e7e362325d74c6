// Spare inodes for tickets. Creating and deleting a file per lock costs a
// block allocation and a block free each time (measured here: 50 µs for
// create + write + unlink against 17 µs for link + unlink of an existing
// file, on ext4 mounted with `discard`). So each store keeps, per folder, one
// spare file that it writes a ticket's content into and then links under the
// ticket's unique name; releasing the ticket unlinks that name and the inode
// lives on in the spare for the next ticket.
//
// The spare is created with O_EXCL|O_NOFOLLOW and only ever written through
// the descriptor we keep, never by path, so a symlink planted at its name
// cannot make us write elsewhere; after linking, the ticket's inode is
// compared with ours, so a file swapped in at the spare's name is never
// published as our ticket. Left-overs of a crash are ordinary temp files,
// which gc removes.
import { closeSync, constants, fstatSync, ftruncateSync, linkSync, lstatSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { spareTempName, unlinkQuiet } from '../fsx.ts';
import { mtimeSlackFor } from './ticket.ts';

interface Spare {
  path: string;
  fd: number;
  ino: number;
  /** The mtime slack of its filesystem (ticket.ts mtimeSlackFor). */
  slackMs: number;
}

const MAX_SPARES = 16;

export class TicketSpares {
  private static live = new Set<TicketSpares>();
  private static exitHookInstalled = false;
  private readonly spares = new Map<string, Spare>();

  constructor() {
    TicketSpares.live.add(this);
    if (!TicketSpares.exitHookInstalled) {
      TicketSpares.exitHookInstalled = true;
      process.once('exit', () => TicketSpares.live.forEach((s) => s.drop()));
    }
  }

  /**
   * Publish `content` as a new file at `dir/name`, which must not exist.
   * Returns the folder's mtime slack once published, or null when no spare
   * could serve (one of our tickets still uses it, or its name was tampered
   * with): the caller then creates the file itself.
   */
  publish(dir: string, name: string, content: Buffer): number | null {
    const spare = this.spareFor(dir);
    if (!spare) return null;
    const st = fstatSync(spare.fd);
    if (st.nlink === 0) {
      this.forget(dir); // its name was removed or replaced: never write through whatever is there now
      return null;
    }
    if (st.nlink !== 1) return null; // still linked as one of our tickets
    // The write itself sets the mtime, which starts the ticket's lease.
    writeFully(spare.fd, content);
    if (st.size > content.length) ftruncateSync(spare.fd, content.length);
    const target = join(dir, name);
    try {
      linkSync(spare.path, target);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        this.forget(dir); // the spare's name was removed (gc of an old temp): make a new one next time
        return null;
      }
      throw err;
    }
    let published: boolean;
    try {
      published = lstatSync(target).ino === spare.ino;
    } catch {
      published = false;
    }
    if (!published) {
      unlinkQuiet(target); // our unique name, holding someone else's file: never publish it
      this.forget(dir);
    }
    return published ? spare.slackMs : null;
  }

  private spareFor(dir: string): Spare | null {
    const known = this.spares.get(dir);
    if (known) {
      this.spares.delete(dir);
      this.spares.set(dir, known); // most recently used last
      return known;
    }
    if (this.spares.size >= MAX_SPARES) this.forget(this.spares.keys().next().value as string);
    const path = join(dir, spareTempName('lockrec'));
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
    } catch {
      return null;
    }
    const spare = { path, fd, ino: fstatSync(fd).ino, slackMs: mtimeSlackFor(fd) };
    this.spares.set(dir, spare);
    return spare;
  }

  private forget(dir: string): void {
    const spare = this.spares.get(dir);
    if (!spare) return;
    this.spares.delete(dir);
    closeSync(spare.fd);
    unlinkQuiet(spare.path);
  }

  /** Remove every spare (the store is closing, or the process exits). */
  drop(): void {
    for (const dir of [...this.spares.keys()]) this.forget(dir);
    TicketSpares.live.delete(this);
  }
}

function writeFully(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) {
    const n = writeSync(fd, buf, off, buf.length - off, off);
    if (n <= 0) throw Object.assign(new Error('short write to a spare lock record'), { code: 'EIO' });
    off += n;
  }
}
