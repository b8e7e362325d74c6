// Deadlocks, flagged the moment the lock model shows one: agents that each
// hold a task's lock while waiting for the next one's. The cycle is drawn
// as a ring (who waits for whom, on which task), since a list of five
// agents waiting in a circle is hard to picture.
import { useMemo } from 'react';
import { describeDeadlock, findDeadlocks, queuesOf } from '../../../../shared/deadlocks.ts';
import type { Deadlock } from '../../../../shared/model.ts';
import { useMirror } from '../../app/services.ts';
import { useNow } from '../../lib/clock.ts';
import './timeline/timeline.css';

export function useDeadlocks(): Deadlock[] {
  const locks = useMirror((s) => s.locks);
  const now = useNow();
  // Liveness and expiry change with time alone: recomputed each second, as the holders table is.
  return useMemo(() => findDeadlocks(queuesOf([...locks.values()], now)), [locks, now]);
}

export function DeadlockBanner() {
  const deadlocks = useDeadlocks();
  if (deadlocks.length === 0) return null;
  return (
    <div className="banner banner-danger deadlock-banner" role="alert">
      <strong>
        {deadlocks.length === 1 ? 'Deadlock' : `${deadlocks.length} deadlocks`}: these agents wait for each other, and none can proceed
        until one times out.
      </strong>
      {deadlocks.map((cycle) => (
        <figure key={describeDeadlock(cycle)} className="deadlock-figure">
          <CycleRing cycle={cycle} />
          <figcaption className="small">{describeDeadlock(cycle)}</figcaption>
        </figure>
      ))}
    </div>
  );
}

const NODE_W = 132;
const NODE_H = 34;

/** Members on a circle (two side by side), an arrow from each to the next labelled with the task it waits for. */
function CycleRing({ cycle }: { cycle: Deadlock }) {
  const n = cycle.length;
  const rx = n === 2 ? 120 : 80 + n * 14;
  const ry = n === 2 ? 0 : 46 + n * 8;
  const width = 2 * rx + NODE_W + 16;
  const height = 2 * ry + NODE_H + (n === 2 ? 64 : 24);
  const at = (i: number) => {
    const a = n === 2 ? (i === 0 ? Math.PI : 0) : -Math.PI / 2 + (2 * Math.PI * i) / n;
    return { x: width / 2 + rx * Math.cos(a), y: height / 2 + ry * Math.sin(a) };
  };
  return (
    <svg
      className="deadlock-ring"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={describeDeadlock(cycle)}
    >
      <defs>
        <marker id="deadlock-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
          <path d="M0,0 L10,5 L0,10 z" fill="currentColor" />
        </marker>
      </defs>
      {cycle.map((m, i) => {
        const a = at(i);
        const b = at((i + 1) % n);
        // Shorten the arrow to the node boxes' edges, and bend it so a 2-cycle's two arrows do not overlap.
        const dx = b.x - a.x;
        const dyy = b.y - a.y;
        const len = Math.hypot(dx, dyy) || 1;
        const trim = (t: number) => ({ x: a.x + dx * t, y: a.y + dyy * t });
        const pad = Math.min(0.45, (Math.abs(dx) > Math.abs(dyy) ? NODE_W / 2 + 6 : NODE_H / 2 + 6) / len);
        const s = trim(pad);
        const e = trim(1 - pad);
        const bend = n === 2 ? 30 : 18;
        const cx = (s.x + e.x) / 2 + (dyy / len) * bend;
        const cy = (s.y + e.y) / 2 - (dx / len) * bend;
        return (
          <g key={`edge-${m.pid}-${m.waits_for}`} className="deadlock-edge">
            <path
              d={`M${s.x},${s.y} Q${cx},${cy} ${e.x},${e.y}`}
              fill="none"
              stroke="currentColor"
              strokeWidth="1.5"
              markerEnd="url(#deadlock-arrow)"
            />
            <text
              x={(s.x + 2 * cx + e.x) / 4}
              y={(s.y + 2 * cy + e.y) / 4 + (n === 2 ? Math.sign(cy - s.y) * 9 : 0)}
              textAnchor="middle"
              dominantBaseline="middle"
              className="deadlock-task"
            >
              waits for {m.waits_for}
            </text>
          </g>
        );
      })}
      {cycle.map((m, i) => {
        const p = at(i);
        return (
          <g key={`node-${m.host}-${m.pid}`} className="deadlock-node">
            <rect x={p.x - NODE_W / 2} y={p.y - NODE_H / 2} width={NODE_W} height={NODE_H} rx="6" />
            <text x={p.x} y={p.y - 6} textAnchor="middle" dominantBaseline="middle" className="deadlock-owner">
              {m.owner.length > 16 ? `${m.owner.slice(0, 15)}…` : m.owner}
            </text>
            <text x={p.x} y={p.y + 8} textAnchor="middle" dominantBaseline="middle" className="deadlock-holds">
              pid {m.pid} · holds {m.holds.length > 10 ? `${m.holds.slice(0, 9)}…` : m.holds}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
