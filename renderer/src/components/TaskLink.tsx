// A link that opens a task's detail drawer on top of the current view.
import type { ReactNode } from 'react';
import { useServices } from '../app/services.ts';
import { useStore } from 'zustand';
import { formatHash } from '../lib/route.ts';

/**
 * `onOpen` runs as the link is followed: a link inside a dialog closes the
 * dialog with it, so the drawer never opens on top of another dialog.
 */
export function TaskLink({ taskId, children, onOpen }: { taskId: string; children?: ReactNode; onOpen?: () => void }) {
  const { route } = useServices();
  const href = useStore(route, (s) => formatHash({ ...s.route, task: taskId, compare: null }));
  return (
    <a className="tasklink mono" href={href} onClick={onOpen}>
      {children ?? taskId}
    </a>
  );
}
