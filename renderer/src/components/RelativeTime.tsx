import { useNow } from '../lib/clock.ts';
import { clockTime, fullTime, relativeTime } from '../lib/format.ts';

/** A live "12s ago"; hover shows the full timestamp. */
export function RelativeTime({ iso, clock = false }: { iso: string; clock?: boolean }) {
  const now = useNow();
  return (
    <time dateTime={iso} title={fullTime(iso)} className="reltime">
      {clock ? clockTime(iso, now) : relativeTime(iso, now)}
    </time>
  );
}
