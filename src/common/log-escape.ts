/**
 * The one escape for text that reaches the job log as plain lines. The runner reads any line
 * that starts (after blanks) with `::` as a workflow command (`::add-mask::`, `::error::`,
 * `::stop-commands::`) and `##[` as a legacy one; a value holding a line break followed by one
 * would forge it. Each such line is shown with a leading backslash instead, so it reads the same
 * and commands nothing. `%` needs nothing here: plain lines are not decoded, and the payloads of
 * the commands we issue ourselves are escaped by `@actions/core` (`%25`, `%0A`).
 */
const COMMAND_START = /^(\s*)(::|##\[)/;

/** `text` with every line that the runner would take for a command neutralised. */
export function escapeLogText(text: string): string {
  return text
    .split(/\r\n|\r|\n|\u2028|\u2029/)
    .map((line) => line.replace(COMMAND_START, '$1\\$2'))
    .join('\n');
}
