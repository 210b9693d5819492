import type { ReactionChip } from '../messages/reactions.js';

interface ReactionChipsProps {
  chips: ReactionChip[];
  /** A click adds the reader's reaction, or takes it back when it is theirs. */
  onToggle: (emoji: string, add: boolean) => void;
  /** Own reactions not confirmed yet show as pending. */
  pending: ReadonlySet<string>;
}

/** Reactions under a message: emoji and count, the reader's own highlighted, who reacted on hover and to screen readers. */
export function ReactionChips({ chips, onToggle, pending }: ReactionChipsProps) {
  if (chips.length === 0) return null;
  return (
    <ul className="reactions" aria-label="Reactions">
      {chips.map(({ emoji, count, mine, who }) => (
        <li key={emoji}>
          <button
            type="button"
            className={`reaction${mine ? ' reaction--mine' : ''}${pending.has(emoji) ? ' reaction--pending' : ''}`}
            data-testid="reaction"
            aria-pressed={mine}
            aria-label={`${emoji} ${count}: ${who}. ${mine ? 'Remove your reaction' : 'React with it too'}`}
            title={`${who} reacted with ${emoji}`}
            onClick={() => onToggle(emoji, !mine)}
          >
            <span aria-hidden="true">{emoji}</span>
            <span className="reaction__count" aria-hidden="true">
              {count}
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
