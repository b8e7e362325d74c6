// The lock timeline: time runs left to right, one lane per task (most
// contended first) or per owner. Holds are bars in the owner's colour (solid
// for write, lighter for read), waits are hatched from request to grant, an
// ✕ marks a time-out and a diamond a broken lock. Wheel or +/− zooms, drag
// or ←/→ pans, Space pauses; hovering a bar tells who, which pid, how long
// it waited and held.
import { useEffect, useMemo, useRef, useState, useSyncExternalStore, type KeyboardEvent, type PointerEvent } from 'react';
import type { LockEvent } from '../../../../../shared/model.ts';
import { useMirror, useNavigate } from '../../../app/services.ts';
import { useNow } from '../../../lib/clock.ts';
import { duration, fullTime, plural } from '../../../lib/format.ts';
import { buildLanes, ownerColours, type LaneGrouping } from './lanes.ts';
import { FETCH_LIMIT, useLockWindow } from './lock-events.ts';
import { RangePicker } from '../RangePicker.tsx';
import { rangeLabel, type PickedRange } from '../range.ts';
import { Segmented } from '../Segmented.tsx';
import { AXIS, buildNextTile, GUTTER, hitTest, LANE_HEIGHT, paint, timeAt, type Frame, type Theme, type Viewport } from './paint.ts';
import { buildSpans, liveWaits, spansOf, type Hold, type Mark } from './spans.ts';
import './timeline.css';

export const TIMELINE_WINDOWS = { '5m': 5 * 60_000, '1h': 3600_000, '24h': 24 * 3600_000 } as const;
type TimelineWindow = keyof typeof TIMELINE_WINDOWS;
const WINDOW_LABELS: Record<TimelineWindow, string> = { '5m': '5 min', '1h': '1 h', '24h': '24 h' };
const WINDOW_CHOICES = (Object.keys(TIMELINE_WINDOWS) as TimelineWindow[]).map((w) => ({ value: w, label: WINDOW_LABELS[w] }));
const GROUPINGS = [
  { value: 'task', label: 'By task' },
  { value: 'owner', label: 'By owner' },
] as const;
const MIN_SPAN_MS = 20;
const LIVE_REPAINT_MS = 100;
const LANES_SHOWN = 24;
/** Idle time a tile is built in (it costs a few ms), and how long one waits for that before it is built anyway. */
const TILE_IDLE_MS = 6;
const TILE_OVERDUE_MS = 1000;

interface View {
  span: number;
  /** Right edge; null while live (follows now). */
  end: number | null;
}

export function LockTimeline({ taskId, title = 'Lock timeline' }: { taskId?: string; title?: string }) {
  const [win, setWin] = useState<TimelineWindow>('5m');
  const [grouping, setGrouping] = useState<LaneGrouping>(taskId ? 'owner' : 'task');
  const [view, setView] = useState<View>({ span: TIMELINE_WINDOWS['5m'], end: null });
  const [allLanes, setAllLanes] = useState(false);
  const feed = useLockWindow(TIMELINE_WINDOWS[win]);
  const navigate = useNavigate();
  // Paused, the picture holds still: new lines are kept, not drawn, until live again.
  const [frozen, setFrozen] = useState<readonly LockEvent[] | null>(null);
  // A picked range (Custom…) shows that range, still; choosing a window goes back to live.
  const range = feed.range;
  const [shownRange, setShownRange] = useState<PickedRange | null>(null);
  if (range !== shownRange) {
    setShownRange(range);
    setFrozen(null);
    setView(range ? { span: range.to - range.from, end: range.to } : { span: TIMELINE_WINDOWS[win], end: null });
  }
  /** The longest span the view can show, and where it must stay. */
  const bounds = (now: number) => (range ? { span: range.to - range.from, to: range.to } : { span: TIMELINE_WINDOWS[win], to: now });
  const live = view.end === null;

  // "Pause live updates" in the title bar holds the timeline still too (the mirror buffers, this feed keeps).
  const globallyPaused = useMirror((s) => s.live.paused);
  const [heldByTitleBar, setHeldByTitleBar] = useState<readonly LockEvent[] | null>(null);
  if (globallyPaused && heldByTitleBar === null) setHeldByTitleBar(feed.events);
  if (!globallyPaused && heldByTitleBar !== null) setHeldByTitleBar(null);
  // A picked range does not change: its lines are shown as they came.
  const events = heldByTitleBar ?? (range || live || frozen === null ? feed.events : frozen);
  const logged = useMemo(() => (taskId ? buildSpans(events.filter((e) => e.task_id === taskId)) : spansOf(events)), [events, taskId]);
  // Waits still going on are not in the log yet: the live lock model has them.
  const locks = useMirror((s) => s.locks);
  const frozenLocks = useMemo(() => (live ? locks : null), [live, locks]);
  const spans = useMemo(() => {
    const waiting = liveWaits(frozenLocks?.values() ?? [], taskId);
    return waiting.length ? { holds: logged.holds, marks: [...logged.marks, ...waiting] } : logged;
  }, [logged, frozenLocks, taskId]);
  const colours = useMemo(() => ownerColours(spans), [spans]);
  const lanes = useMemo(() => buildLanes(spans, grouping), [spans, grouping]);
  // The same array while nothing changed: a new one would repaint every bar and drop the tiles.
  const shown = useMemo(() => lanes.slice(0, allLanes ? 200 : LANES_SHOWN), [lanes, allLanes]);

  /** Show another range; any range but the live edge holds the picture still. */
  const show = (next: View) => {
    if (next.end !== null) setFrozen((f) => f ?? feed.events);
    else setFrozen(null);
    setView(next);
  };
  // Live shows the whole window again, following now.
  const goLive = () => (range ? chooseWindow(win) : show({ span: TIMELINE_WINDOWS[win], end: null }));
  const pauseHere = () => show({ ...view, end: Date.now() });
  const chooseWindow = (w: TimelineWindow) => {
    if (range) navigate({ from: null, to: null });
    setWin(w);
    setFrozen(null);
    setView({ span: TIMELINE_WINDOWS[w], end: null });
  };

  const canvasRef = useRef<HTMLCanvasElement>(null);
  const wrapRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  // What the pointer is over: its own store, so a hover renders the tooltip and repaints the canvas, not this whole view.
  const [hover] = useState(() => new HoverStore());
  const height = AXIS + Math.max(1, shown.length) * LANE_HEIGHT + 4;

  useEffect(() => {
    const el = wrapRef.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(Math.max(300, el.clientWidth)));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const viewport = (now: number): Viewport => viewportOf(view, width, height, now);

  // The view being painted. A drag moves it here, painted once per animation frame without a React
  // render; React's state catches up when the drag ends (a render per pointer move cost more than the paint).
  const painted = useRef(view);
  const requestPaint = useRef<() => void>(() => {});
  const dragging = useRef(false);

  // Paint on every change, and while live ten times a second (time moves on). A still view's bars
  // are copied from tiles, built in idle time between frames (tiles.ts).
  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx) return;
    const dpr = window.devicePixelRatio || 1;
    // Assigning a canvas's size reallocates (and clears) it: only when it changed.
    if (canvas.width !== Math.round(width * dpr)) canvas.width = Math.round(width * dpr);
    if (canvas.height !== Math.round(height * dpr)) canvas.height = Math.round(height * dpr);
    const theme = readTheme(canvas);
    const frameNow = (): Frame => {
      const v = painted.current;
      return { ctx, colours, v: viewportOf(v, width, height, Date.now()), theme, dpr, live: v.end === null };
    };
    let frame = 0;
    let idle = 0;
    let committed = performance.now();
    const buildTiles = (deadline: IdleDeadline) => {
      idle = 0;
      // A tile costs a few milliseconds: built only in an idle period long enough, or once overdue.
      if (deadline.timeRemaining() < TILE_IDLE_MS && !deadline.didTimeout) idle = requestIdle(buildTiles);
      else if (buildNextTile(frameNow(), shown)) idle = requestIdle(buildTiles);
    };
    const draw = () => {
      frame = 0;
      const started = performance.now();
      const kind = paint(frameNow(), shown, hover.item());
      if (!idle && painted.current.end !== null) idle = requestIdle(buildTiles);
      // npm run bench:ui collects [input handled, paint start, paint end, how] here (the array exists only while it measures).
      const bench = globalThis as { __lockTimelinePaints?: [number, number, number, string][] };
      bench.__lockTimelinePaints?.push([committed, started, performance.now(), kind]);
    };
    requestPaint.current = () => {
      committed = performance.now();
      frame ||= requestAnimationFrame(draw);
    };
    frame = requestAnimationFrame(draw);
    const timer = live ? setInterval(() => (frame ||= requestAnimationFrame(draw)), LIVE_REPAINT_MS) : null;
    const unhover = hover.subscribe(() => requestPaint.current());
    return () => {
      cancelAnimationFrame(frame);
      cancelIdle(idle);
      if (timer) clearInterval(timer);
      unhover();
    };
  }, [shown, colours, width, height, live, hover]);

  // A new view (zoom, keys, the end of a drag) is painted; during a drag the painted view leads.
  useEffect(() => {
    if (dragging.current) return;
    painted.current = view;
    requestPaint.current();
  }, [view]);

  // Zoom around the pointer (live keeps its right edge on now); pan by dragging.
  /** A right edge kept inside the window: never past now, never before the window's start. */
  const clampEnd = (end: number, span: number) => {
    const b = bounds(Date.now());
    return Math.min(b.to, Math.max(b.to - b.span + span, end));
  };
  const zoom = (factor: number, anchorX: number | null) => {
    const v = view;
    const vp = viewport(Date.now());
    const span = Math.min(bounds(vp.now).span, Math.max(MIN_SPAN_MS, v.span * factor));
    const anchor = anchorX === null ? vp.to : timeAt(anchorX, vp);
    const ratio = (vp.to - anchor) / (vp.to - vp.from);
    // Zooming at the live edge stays live; anywhere else it holds the picture still.
    if (v.end === null && ratio < 0.02) show({ span, end: null });
    else show({ span, end: clampEnd(anchor + span * ratio, span) });
  };
  const pan = (ms: number) => {
    const v = view;
    show({ span: v.span, end: clampEnd((v.end ?? Date.now()) + ms, v.span) });
  };

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const onWheel = (e: WheelEvent) => {
      e.preventDefault();
      const rect = canvas.getBoundingClientRect();
      if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) pan(((e.shiftKey ? e.deltaY : e.deltaX) / rect.width) * view.span);
      else zoom(Math.pow(1.0015, e.deltaY), e.clientX - rect.left);
    };
    canvas.addEventListener('wheel', onWheel, { passive: false });
    return () => canvas.removeEventListener('wheel', onWheel);
  });

  const drag = useRef<{ x: number; end: number; span: number } | null>(null);
  const onPointerDown = (e: PointerEvent<HTMLCanvasElement>) => {
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { x: e.clientX, end: view.end ?? Date.now(), span: view.span };
    // Pressed, the tooltip goes: it would hide the bars being dragged, and removing it mid-drag would restyle the page in a drag frame.
    hover.set(null);
  };
  const onPointerMove = (e: PointerEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const d = drag.current;
    if (d && (dragging.current || Math.abs(e.clientX - d.x) > 2)) {
      const ms = ((d.x - e.clientX) / (rect.width - GUTTER)) * d.span;
      const next = { span: d.span, end: clampEnd(d.end + ms, d.span) };
      painted.current = next;
      if (!dragging.current && live) {
        // The first move leaves the live edge (a render, once): the picture holds still while dragged.
        show(next);
      }
      dragging.current = true;
      requestPaint.current();
      return;
    }
    if (d) return;
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    const item = hitTest(shown, viewport(Date.now()), x, y);
    hover.set(item ? { item, clientX: e.clientX, clientY: e.clientY } : null);
  };
  const onPointerUp = () => {
    drag.current = null;
    if (dragging.current) {
      dragging.current = false;
      show(painted.current);
    }
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const keys: Record<string, () => void> = {
      ArrowLeft: () => pan(-view.span / 5),
      ArrowRight: () => pan(view.span / 5),
      '+': () => zoom(1 / 1.5, null),
      '=': () => zoom(1 / 1.5, null),
      '-': () => zoom(1.5, null),
      '0': () => chooseWindow(win),
      ' ': () => (live ? pauseHere() : goLive()),
    };
    const act = keys[e.key];
    if (act) {
      e.preventDefault();
      act();
    }
  };

  const owners = [...colours.entries()];
  const holdCount = spans.holds.length;
  return (
    <section className="panel panel-flush lock-timeline" aria-labelledby={`${taskId ?? 'all'}-timeline-title`}>
      <header className="panel-head">
        <h2 id={`${taskId ?? 'all'}-timeline-title`} className="panel-title">
          {title}
        </h2>
        <span className="muted small num">
          {plural(holdCount, 'hold')} · {plural(spans.marks.filter((m) => m.kind === 'timeout').length, 'time-out')}
          {feed.truncated ? ` · showing the newest ${FETCH_LIMIT.toLocaleString('en')} lines` : ''}
        </span>
        <span className="toolbar-spacer" />
        {taskId ? null : <Segmented label="Lanes" choices={GROUPINGS} value={grouping} onChange={setGrouping} />}
        <Segmented label="Timeline window" choices={WINDOW_CHOICES} value={range ? null : win} onChange={chooseWindow}>
          <RangePicker range={range} onPick={(r) => navigate({ from: r.from, to: r.to })} />
        </Segmented>
        <button type="button" className="btn btn-small" aria-pressed={!live} onClick={() => (live ? pauseHere() : goLive())}>
          {live ? 'Pause' : 'Live'}
        </button>
      </header>
      <div ref={wrapRef} className="lock-timeline-canvas">
        <canvas
          ref={canvasRef}
          tabIndex={0}
          role="img"
          aria-label={`${title}: ${plural(holdCount, 'hold')} by ${plural(owners.length, 'owner')} in ${plural(lanes.length, 'lane')}, ${live ? 'live' : 'paused'}. Arrow keys pan, plus and minus zoom, 0 resets, Space pauses.`}
          data-holds={holdCount}
          data-live={live}
          data-from={view.end === null ? undefined : view.end - view.span}
          data-to={view.end ?? undefined}
          data-lanes={shown.map((l) => l.key).join('\n')}
          style={{ width, height }}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerUp}
          onPointerLeave={() => hover.set(null)}
          onKeyDown={onKeyDown}
        />
        <HoverTooltip hover={hover} />
        {holdCount === 0 && spans.marks.length === 0 ? (
          <p className="lock-timeline-empty muted">
            {range ? `No lock activity from ${rangeLabel(range)}.` : `No lock activity in the last ${WINDOW_LABELS[win]}.`}
          </p>
        ) : null}
      </div>
      <footer className="lock-timeline-foot">
        <ul className="lock-legend" aria-label="Owners">
          {owners.slice(0, 16).map(([owner, colour]) => (
            <li key={owner}>
              <span className="lock-swatch" style={{ background: colour }} aria-hidden="true" />
              {owner}
            </li>
          ))}
          {owners.length > 16 ? <li className="muted">+{owners.length - 16} more</li> : null}
        </ul>
        <span className="muted small">solid: write · light: read · hatched: waiting · ✕ time-out · ◆ broken</span>
        {lanes.length > LANES_SHOWN ? (
          <button type="button" className="btn btn-small" onClick={() => setAllLanes((a) => !a)}>
            {allLanes ? `Show ${LANES_SHOWN} lanes` : `Show all ${Math.min(200, lanes.length)} lanes`}
          </button>
        ) : null}
      </footer>
    </section>
  );
}

interface Hovered {
  item: Hold | Mark;
  clientX: number;
  clientY: number;
}

/** The hold or mark under the pointer, for the tooltip (which subscribes) and the painter (which outlines it). */
class HoverStore {
  private current: Hovered | null = null;
  private readonly listeners = new Set<() => void>();
  get = (): Hovered | null => this.current;
  item = (): Hold | Mark | null => this.current?.item ?? null;
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };
  set(next: Hovered | null): void {
    const same = next?.item === this.current?.item && next?.clientX === this.current?.clientX && next?.clientY === this.current?.clientY;
    if (same || (next === null && this.current === null)) return;
    this.current = next;
    this.listeners.forEach((l) => l());
  }
}

function HoverTooltip({ hover }: { hover: HoverStore }) {
  const h = useSyncExternalStore(hover.subscribe, hover.get);
  return h ? <Tooltip item={h.item} x={h.clientX} y={h.clientY} /> : null;
}

/** Placed in the viewport (position: fixed), so no panel edge clips it; it flips to stay on screen. */
function Tooltip({ item, x, y }: { item: Hold | Mark; x: number; y: number }) {
  const now = useNow();
  const left = x + 290 > window.innerWidth ? x - 290 : x + 14;
  const top = y + 190 > window.innerHeight ? y - 190 : y + 16;
  const rows: [string, string][] = [
    ['Owner', item.owner],
    ['PID', `${item.pid}${item.host ? ` on ${item.host}` : ''}`],
    ['Task', `${item.task} (${item.mode})`],
  ];
  if ('granted' in item) {
    rows.push(['Waited', duration(item.granted - item.requested)]);
    rows.push(['Held', item.released === null ? `${duration(now - item.granted)}, still held` : duration(item.released - item.granted)]);
    rows.push(['Granted', fullTime(new Date(item.granted).toISOString())]);
    if (item.end === 'lost' || item.end === 'broken')
      rows.push(['Ended', item.end === 'lost' ? 'taken over while stopped' : 'broken as stale']);
  } else if (item.kind === 'waiting') {
    rows.push(['Waiting', `${duration(now - item.at)}, still waiting`]);
    rows.push(['Since', fullTime(new Date(item.at).toISOString())]);
  } else if (item.kind === 'timeout') {
    rows.push(['Timed out', `after waiting ${duration(item.wait)}`]);
    rows.push(['At', fullTime(new Date(item.at).toISOString())]);
  } else {
    rows.push(['Broken', item.reason ?? 'stale']);
    rows.push(['At', fullTime(new Date(item.at).toISOString())]);
  }
  return (
    <div className="lock-tooltip" role="tooltip" style={{ left: Math.max(4, left), top: Math.max(4, top) }}>
      <dl>
        {rows.map(([k, v]) => (
          <div key={k}>
            <dt>{k}</dt>
            <dd>{v}</dd>
          </div>
        ))}
      </dl>
    </div>
  );
}

/** Idle callbacks where the browser has them (a timer elsewhere): tiles are built between frames. */
function requestIdle(callback: (deadline: IdleDeadline) => void): number {
  if (typeof requestIdleCallback === 'function') return requestIdleCallback(callback, { timeout: TILE_OVERDUE_MS });
  return window.setTimeout(() => callback({ didTimeout: true, timeRemaining: () => 0 }), 50);
}

function cancelIdle(handle: number): void {
  if (typeof cancelIdleCallback === 'function') cancelIdleCallback(handle);
  else clearTimeout(handle);
}

function viewportOf(view: View, width: number, height: number, now: number): Viewport {
  const end = view.end ?? now;
  return { from: end - view.span, to: end, width, height, now };
}

function readTheme(el: HTMLElement): Theme {
  const css = getComputedStyle(el);
  const v = (name: string, fallback: string) => css.getPropertyValue(name).trim() || fallback;
  return {
    text: v('--text', '#171a1f'),
    muted: v('--muted', '#6a7280'),
    grid: v('--border', '#e2e5ea'),
    danger: v('--danger', '#c02d26'),
    panel: v('--panel', '#fff'),
  };
}
