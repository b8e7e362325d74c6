// j/k move the selection, Enter opens it, `/` jumps to search — unless the
// user is typing somewhere or a dialog is open.
import { useEffect, useEffectEvent } from 'react';

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

export interface TableKeys {
  ids: readonly string[];
  selectedIndex: number;
  onSelect: (id: string) => void;
  onOpen: (id: string) => void;
  onSearchKey?: () => void;
}

export function useTableKeys({ ids, selectedIndex, onSelect, onOpen, onSearchKey }: TableKeys): void {
  const onKey = useEffectEvent((event: KeyboardEvent) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    if (isTyping(event.target) || document.querySelector('dialog[open]')) return;
    const move = (delta: number) => {
      if (ids.length === 0) return;
      const next = selectedIndex < 0 ? (delta > 0 ? 0 : ids.length - 1) : Math.min(ids.length - 1, Math.max(0, selectedIndex + delta));
      const id = ids[next];
      if (id !== undefined) onSelect(id);
    };
    switch (event.key) {
      case 'j':
      case 'ArrowDown':
        event.preventDefault();
        move(1);
        break;
      case 'k':
      case 'ArrowUp':
        event.preventDefault();
        move(-1);
        break;
      case 'Enter': {
        const id = ids[selectedIndex];
        if (id !== undefined && !(event.target instanceof HTMLButtonElement || event.target instanceof HTMLAnchorElement)) {
          event.preventDefault();
          onOpen(id);
        }
        break;
      }
      case '/':
        if (onSearchKey) {
          event.preventDefault();
          onSearchKey();
        }
        break;
    }
  });
  useEffect(() => {
    const listener = (event: KeyboardEvent) => onKey(event);
    document.addEventListener('keydown', listener);
    return () => document.removeEventListener('keydown', listener);
  }, []);
}
