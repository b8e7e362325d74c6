// Text cut in the middle when it does not fit: the head shrinks with an
// ellipsis, the tail (e.g. task folder and file name) stays whole. The full
// text is in the tooltip, and copying the element copies all of it.
import { splitForMiddleEllipsis, type TailOptions } from '../lib/middle-ellipsis.ts';

export function MiddleEllipsis({ text, className, ...tailOptions }: { text: string; className?: string } & TailOptions) {
  const { head, tail } = splitForMiddleEllipsis(text, tailOptions);
  return (
    <span className={`mid-ellipsis${className ? ` ${className}` : ''}`} title={text}>
      {head ? <span className="mid-ellipsis-head">{head}</span> : null}
      <span className="mid-ellipsis-tail">{tail}</span>
    </span>
  );
}
