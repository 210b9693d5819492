/** For usernames and room names: no auto-capitalising, autocorrect or spellcheck on phones. */
export const identifierInputProps = {
  autoCapitalize: 'none',
  autoCorrect: 'off',
  spellCheck: false,
} as const;
