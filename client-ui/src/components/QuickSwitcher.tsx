import { useId, useMemo, useRef, useState } from 'react';
import type { RoomEntry } from '../rooms/room-list-store.js';
import { Dialog } from './Dialog.js';
import { Avatar } from './Avatar.js';
import { HashIcon, SearchIcon } from './icons.js';
import { SwitcherField } from './SwitcherField.js';
import { roomResults, searchResults, type SwitcherAction, type SwitcherItem } from './switcher-results.js';
import { useCombobox } from './use-combobox.js';

interface QuickSwitcherProps {
  rooms: readonly RoomEntry[];
  unreadOf: (roomId: string) => number;
  onAction: (action: SwitcherAction) => void;
  onClose: () => void;
}

/**
 * Ctrl/Cmd-K: type to find a room or person, ↑/↓ to choose, Enter to go. A combobox with a
 * grouped listbox (WAI-ARIA combobox pattern); each source of results is one group.
 */
export function QuickSwitcher({ rooms, unreadOf, onAction, onClose }: QuickSwitcherProps) {
  const id = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [query, setQuery] = useState('');
  const sections = useMemo(() => [roomResults(query, rooms, unreadOf), searchResults(query)], [query, rooms, unreadOf]);
  const items = sections.flatMap((s) => s.items);
  const combobox = useCombobox(
    id,
    items,
    (item: SwitcherItem) => item.key,
    (item) => onAction(item.action),
  );

  return (
    <Dialog labelledBy={`${id}-label`} className="dialog--switcher" onCancel={onClose} initialFocus={inputRef}>
      <div className="switcher">
        <SwitcherField
          id={id}
          label="Jump to a room or person"
          inputRef={inputRef}
          {...combobox.inputProps}
          aria-expanded="true"
          placeholder="Jump to a room or person…"
          autoCapitalize="none"
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            combobox.resetActive();
          }}
        />
        <div {...combobox.listboxProps} aria-label="Results" className="switcher__results">
          {sections.map(
            (section) =>
              section.items.length > 0 && (
                <div key={section.id} role="group" aria-labelledby={`${id}-${section.id}`}>
                  <div id={`${id}-${section.id}`} role="presentation" className="room-section__title switcher__section">
                    {section.title}
                  </div>
                  {section.items.map((item) => (
                    <div
                      key={item.key}
                      {...combobox.optionProps(item)}
                      className="switcher__option"
                      data-testid="switcher-option"
                    >
                      {item.avatar ? (
                        <Avatar name={item.avatar.name} seed={item.avatar.seed} size="sm" />
                      ) : item.action.kind === 'search' ? (
                        <span className="room-item__hash" aria-hidden="true">
                          <SearchIcon />
                        </span>
                      ) : (
                        <span className="room-item__hash" aria-hidden="true">
                          <HashIcon />
                        </span>
                      )}
                      <span className="switcher__label">{item.label}</span>
                      {item.detail && <span className="switcher__detail">{item.detail}</span>}
                      {item.unread ? (
                        <span className="badge" aria-label={`${item.unread} unread`}>
                          {item.unread > 99 ? '99+' : item.unread}
                        </span>
                      ) : null}
                    </div>
                  ))}
                </div>
              ),
          )}
        </div>
        {/* The message-search item is no match of a room or person. */}
        {sections[0]!.items.length === 0 && (
          <p className="switcher__empty" role="status">
            {query.trim()
              ? `No rooms or people match “${query.trim()}”.`
              : 'No conversations yet. Type a room name to join it.'}
          </p>
        )}
        <p className="switcher__hint" aria-hidden="true">
          <span>
            <kbd>↑</kbd> <kbd>↓</kbd> to choose · <kbd>Enter</kbd> to open · <kbd>Esc</kbd> to close
          </span>
          <span>
            <kbd>Alt</kbd> + <kbd>↑</kbd>/<kbd>↓</kbd> next room
          </span>
        </p>
      </div>
    </Dialog>
  );
}
