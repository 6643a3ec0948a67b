// Outbound text as OpenClaw's Mattermost plugin shapes it, with OpenClaw's own helpers (the
// channel runtime's `text`): Markdown tables converted per `markdown.tables` (default `off`,
// declared as the channel's `defaultMarkdownTableMode`), then split at `textChunkLimit`
// (default 4000) by `streaming.chunkMode` (`length`, or `newline`: paragraphs first).
import { CHANNEL_ID } from "./config.js";

/** The channel's table mode when the config sets none (OpenClaw's Mattermost plugin's). */
export const DEFAULT_TABLE_MODE = "off";

/**
 * `{ limit, tableMode, chunkMode, format(text), chunks(text) }` for an account. `format`
 * converts tables; `chunks` formats, then splits. A host without the text helpers (older
 * OpenClaw) gets the text as written in one piece: the bridge still splits it at
 * `textChunkLimit`, by length.
 */
export function textPlan(rt, cfg, account) {
  const text = rt?.text;
  const accountId = account.accountId;
  const fallbackLimit = account.textChunkLimit ?? 4000;
  if (typeof text?.chunkMarkdownTextWithMode !== "function" || typeof text.convertMarkdownTables !== "function") {
    return { limit: fallbackLimit, tableMode: "off", chunkMode: "length", format: (s) => s, chunks: (s) => (s ? [s] : []) };
  }
  const limit = text.resolveTextChunkLimit(cfg, CHANNEL_ID, accountId, { fallbackLimit });
  const tableMode = text.resolveMarkdownTableMode({ cfg, channel: CHANNEL_ID, accountId });
  const chunkMode = text.resolveChunkMode(cfg, CHANNEL_ID, accountId);
  const format = (s) => text.convertMarkdownTables(s ?? "", tableMode);
  return {
    limit,
    tableMode,
    chunkMode,
    format,
    chunks: (s) => {
      const formatted = format(s);
      const list = text.chunkMarkdownTextWithMode(formatted, limit, chunkMode).filter(Boolean);
      return list.length || !formatted ? list : [formatted];
    },
  };
}
