/** Jira wiki markup (REST API v2) for the comments issue-sync posts. */

/**
 * The body of a comment quoting what a tracker user wrote, as Sentry posts it:
 * `"<authorName> wrote:\n\n{quote}<text>{quote}"`.
 *
 * User text cannot break out of the quote or open another macro: every `{` and `}` in it is escaped with a
 * backslash (`\{quote\}` renders as the literal `{quote}`), and a backslash that would otherwise sit right before
 * one of those escapes or before the closing `{quote}` is followed by a zero-width space, so that no `\\` pair can
 * form and swallow an escape. Other wiki markup (`*bold*`, links) still renders inside the quote. The name gets the
 * same brace escaping and has line breaks folded to spaces, so it stays one line.
 */
export function jiraWikiQuote(authorName: string, text: string): string {
  const name = escapeWikiBraces(authorName.replace(/[\r\n]+/g, ' '));
  return `${name} wrote:\n\n{quote}${escapeWikiBraces(text)}{quote}`;
}

const ZERO_WIDTH_SPACE = '\u200b';

function escapeWikiBraces(text: string): string {
  return text.replace(/\\(?=[{}]|$)/g, `\\${ZERO_WIDTH_SPACE}`).replace(/[{}]/g, (brace) => `\\${brace}`);
}
