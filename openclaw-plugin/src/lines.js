// Splits a child's output stream into lines, with a cap: a line longer than `maxBytes` (a
// child writing without newlines) is dropped as it streams in, so memory stays bounded.
const NL = 0x0a;

/**
 * Calls `onLine(text)` for each complete line of `stream` (UTF-8, without the newline), and
 * `onOverflow()` once for each line dropped because it grew past `maxBytes` (when it does:
 * the rest of that line is skipped as it arrives).
 */
export function splitLines(stream, { maxBytes, onLine, onOverflow = () => {} }) {
  let parts = [];
  let size = 0;
  let dropping = false; // inside a line already reported as too long
  stream.on("data", (chunk) => {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NL, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (!dropping && size + piece.length > maxBytes) {
        dropping = true;
        parts = [];
        size = 0;
        onOverflow();
      } else if (!dropping && piece.length) {
        parts.push(piece);
        size += piece.length;
      }
      if (nl === -1) break;
      if (!dropping) onLine(Buffer.concat(parts, size).toString("utf8"));
      parts = [];
      size = 0;
      dropping = false;
      start = nl + 1;
    }
  });
  stream.on("end", () => {
    if (!dropping && size) onLine(Buffer.concat(parts, size).toString("utf8"));
  });
}
