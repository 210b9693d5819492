import { SEARCH_LIMIT_MAX, type Message } from '@chat/contracts';
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { ApiError } from '../api/http.js';
import { searchMessages } from '../api/search.js';
import { useReader } from '../files/file-access.js';
import { listTime } from '../format.js';
import { groupSearchResults, type SearchHit } from '../search/search-results.js';
import { Dialog } from './Dialog.js';
import { SwitcherField } from './SwitcherField.js';
import { useCombobox } from './use-combobox.js';
import './search.css';

interface SearchDialogProps {
  /** The room's name as the sidebar shows it ("general", "Ada Lovelace"). */
  roomTitle: (roomId: string) => string;
  initialQuery?: string;
  onPick: (message: Message) => void;
  onClose: () => void;
}

/** Wait this long after the last key before asking the server. */
const DEBOUNCE_MS = 250;
const MIN_CHARS = 2;

type Results =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'failed'; error: string }
  | { status: 'done'; query: string; messages: Message[]; partial: boolean };

/**
 * Ctrl/Cmd-Shift-F: search the messages of every room the user is in. Results are grouped by
 * room, the match marked in each; ↑/↓ choose, Enter opens the message in its room. The same
 * combobox + grouped listbox pattern as the quick switcher.
 */
export function SearchDialog({ roomTitle, initialQuery = '', onPick, onClose }: SearchDialogProps) {
  const id = useId();
  const reader = useReader();
  const inputRef = useRef<HTMLInputElement>(null);
  const [query, setQuery] = useState(initialQuery);
  const [results, setResults] = useState<Results>({ status: 'idle' });
  const trimmed = query.trim();

  const groups = useMemo(
    () => (results.status === 'done' ? groupSearchResults(results.messages, results.query) : []),
    [results],
  );
  const hits = groups.flatMap((g) => g.hits);
  const combobox = useCombobox(
    id,
    hits,
    (hit: SearchHit) => hit.message.id,
    (hit) => onPick(hit.message),
  );
  const { current } = combobox;

  useEffect(() => {
    if (trimmed.length < MIN_CHARS || !reader) {
      setResults({ status: 'idle' });
      return;
    }
    const abort = new AbortController();
    const timer = setTimeout(() => {
      setResults({ status: 'loading' });
      searchMessages(reader.token(), trimmed, { limit: SEARCH_LIMIT_MAX, signal: abort.signal }).then(
        (res) => {
          setResults({ status: 'done', query: trimmed, messages: res.messages, partial: res.partial });
          combobox.resetActive();
        },
        (err: unknown) => {
          if (abort.signal.aborted) return;
          if (err instanceof ApiError && err.code === 'UNAUTHORIZED') reader.onUnauthorized();
          setResults({ status: 'failed', error: err instanceof ApiError ? err.message : 'Search failed.' });
        },
      );
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [trimmed, reader]);

  useEffect(() => {
    if (current) document.getElementById(combobox.optionId(current))?.scrollIntoView({ block: 'nearest' });
  });

  return (
    <Dialog
      labelledBy={`${id}-label`}
      className="dialog--switcher dialog--search"
      onCancel={onClose}
      initialFocus={inputRef}
    >
      <div className="switcher">
        <SwitcherField
          id={id}
          label="Search messages"
          inputRef={inputRef}
          {...combobox.inputProps}
          aria-expanded={hits.length > 0}
          placeholder="Search messages…"
          maxLength={100}
          value={query}
          data-testid="search-input"
          onChange={(e) => setQuery(e.target.value)}
        >
          {results.status === 'loading' && <span className="spinner" aria-hidden="true" />}
        </SwitcherField>
        <div {...combobox.listboxProps} aria-label="Messages found" className="switcher__results">
          {groups.map((group) => (
            <div key={group.roomId} role="group" aria-labelledby={`${id}-room-${group.roomId}`}>
              <div
                id={`${id}-room-${group.roomId}`}
                role="presentation"
                className="room-section__title switcher__section"
              >
                {roomTitle(group.roomId)}
              </div>
              {group.hits.map((hit) => (
                <div
                  key={hit.message.id}
                  {...combobox.optionProps(hit)}
                  className="switcher__option search-hit"
                  data-testid="search-result"
                >
                  <span className="search-hit__head">
                    <span className="search-hit__sender">{hit.message.senderName}</span>
                    <time className="search-hit__time" dateTime={hit.message.createdAt}>
                      {listTime(hit.message.createdAt)}
                    </time>
                  </span>
                  <span className="search-hit__text">
                    {hit.excerpt.map((run, i) => (run.match ? <mark key={i}>{run.text}</mark> : run.text))}
                  </span>
                </div>
              ))}
            </div>
          ))}
        </div>
        <SearchStatus results={results} trimmed={trimmed} />
        <p className="switcher__hint" aria-hidden="true">
          <span>
            <kbd>↑</kbd> <kbd>↓</kbd> to choose · <kbd>Enter</kbd> to open · <kbd>Esc</kbd> to close
          </span>
        </p>
      </div>
    </Dialog>
  );
}

function SearchStatus({ results, trimmed }: { results: Results; trimmed: string }) {
  const text =
    results.status === 'failed'
      ? results.error
      : results.status === 'done' && results.messages.length === 0
        ? `No messages contain “${results.query}”.`
        : results.status === 'done' && results.partial
          ? 'Showing what was found in time; the search stopped early. Try more specific words.'
          : results.status === 'done'
            ? `${results.messages.length} message${results.messages.length === 1 ? '' : 's'} found.`
            : trimmed.length > 0 && trimmed.length < MIN_CHARS
              ? 'Type at least 2 characters.'
              : results.status === 'idle'
                ? 'Search the messages of every room you are in.'
                : 'Searching…';
  return (
    <p className={`switcher__empty${results.status === 'failed' ? ' search__error' : ''}`} role="status">
      {text}
    </p>
  );
}
