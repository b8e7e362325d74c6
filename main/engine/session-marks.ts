// Whether a session is alive, on the file backend: a store that creates or
// updates a session leaves a mark naming its process (host, pid, start
// token) in its folder of marks (layout.ts), and the session is alive while a marked
// process runs (identity.ts decides, as for lock holders; a process on
// another host cannot be checked and counts as running) and has not closed
// that store. Marks of dead processes are removed when found. The etcd
// backend keeps the same marks on its process lease (etcd/sessions.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { safeReaddir, unlinkQuiet } from './fsx.ts';
import { HOST, processLiveness, SELF_START } from './identity.ts';
import type { StateLayout } from './paths.ts';

/** Stores opened by this process so far: each one's marks carry its own number. */
let opened = 0;

export class SessionMarks {
  private readonly layout: StateLayout;
  /** `<host>~<pid>~<start>~<store>`: the process, and which of its stores. */
  private readonly name = `${encodeURIComponent(HOST)}~${process.pid}~${SELF_START ?? ''}~${++opened}`;
  private readonly marked = new Set<string>();

  constructor(layout: StateLayout) {
    this.layout = layout;
  }

  private dir(id: string): string {
    return this.layout.sessionMarksDir(id);
  }

  /** Mark session `id` as worked on by this store (once). Best effort: liveness never fails a change. */
  mark(id: string): void {
    if (this.marked.has(id)) return;
    try {
      mkdirSync(this.dir(id), { recursive: true });
      writeFileSync(join(this.dir(id), this.name), '');
      this.marked.add(id);
    } catch {
      /* a read-only or full disk: the session then shows as not alive */
    }
  }

  /** True while a store that marked session `id` is open in a running process. */
  alive(id: string): boolean {
    let alive = false;
    for (const name of safeReaddir(this.dir(id))) {
      const [host, pid, start] = name.split('~');
      if (host === undefined || pid === undefined || start === undefined) continue;
      let liveness;
      try {
        liveness = processLiveness(Number(pid), decodeURIComponent(host), start || null);
      } catch {
        continue; // not a mark (a malformed name)
      }
      if (liveness === 'dead') unlinkQuiet(join(this.dir(id), name));
      else alive = true;
    }
    return alive;
  }

  /** The store closes: its sessions stop being alive (unless another store works on them). */
  close(): void {
    for (const id of this.marked) unlinkQuiet(join(this.dir(id), this.name));
    this.marked.clear();
  }
}
