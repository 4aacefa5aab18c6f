/**
 * Control characters from the input (NUL, ESC, DEL, C1, a bare CR…) written to a terminal can
 * corrupt or forge its output: messages show them as \u001b. Tabs stay; a newline is escaped too,
 * since a message is one line.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g;

export function escapeControl(text: string): string {
  return text.replace(CONTROL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_OR_COLOUR = /\u001b\[[0-9;]*m|[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * escapeControl for text that may carry vitictl's own colours (a table cell a renderer styled): SGR
 * colour sequences stay, every other control character is escaped. A colour in the input stays a
 * colour; it cannot move the cursor, retitle the terminal or forge a line.
 */
export function escapeControlKeepColour(text: string): string {
  return text.replace(CONTROL_OR_COLOUR, (match) =>
    match.length > 1 ? match : `\\u${match.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
