/**
 * Makes text from another process safe to print on a terminal. Operation names, progress, messages
 * and command lines come from whoever runs the watched process (or wrote to the fleet's store): a
 * control character in them could retitle the window, rewrite the screen or hide text. Human output
 * shows each such character as a visible escape (`\x1b`, `\u202e`); `--json` output is JSON-encoded
 * already.
 */

// C0 controls, DEL, C1 controls, and the invisible format characters that reorder or hide text:
// soft hyphen, Arabic letter mark, zero-width and bidi marks, line/paragraph separators, bidi
// embeddings/overrides/isolates, word joiners, BOM, interlinear annotation.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

/**
 * `text` with every control or invisible format character replaced by a visible escape.
 * @example
 * ```ts
 * escapeControl('job\x1b]0;pwned\x07'); // 'job\\x1b]0;pwned\\x07'
 * ```
 */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (char) => {
    const code = char.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Like {@link escapeControl}, keeping the line breaks of a message we wrote ourselves. */
export function escapeLines(text: string): string {
  return text.split('\n').map(escapeControl).join('\n');
}
