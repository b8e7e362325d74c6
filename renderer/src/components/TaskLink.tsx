// A link that opens a task's detail drawer on top of the current view.
import type { ReactNode } from 'react';
import { useServices } from '../app/services.ts';
import { useStore } from 'zustand';
import { formatHash } from '../lib/route.ts';

export function TaskLink({ taskId, children }: { taskId: string; children?: ReactNode }) {
  const { route } = useServices();
  const href = useStore(route, (s) => formatHash({ ...s.route, task: taskId, compare: null }));
  return (
    <a className="tasklink mono" href={href}>
      {children ?? taskId}
    </a>
  );
}
