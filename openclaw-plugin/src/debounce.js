// Inbound debounce: quick successive posts of one sender in one conversation become one turn,
// through OpenClaw's own debouncer (`runtime.channel.debounce`), with the keys, rules and
// merge of OpenClaw's Mattermost plugin 2026.9.5 (channel.runtime-*.mjs, the
// `createInboundDebouncer` call of its monitor). The wait is OpenClaw's
// `messages.inbound.byChannel.mattermost`, else `messages.inbound.debounceMs`, else 0 (off).
import { CHANNEL_ID } from "./config.js";
import { stripBotMention } from "./inbound.js";

/** The conversation and sender a message is merged by: channel, thread (or none), sender. */
export function debounceKey(accountId, msg) {
  const senderId = msg.sender?.id;
  if (!msg.channelId || !senderId) return null;
  const where = msg.rootId ? `thread:${msg.rootId}` : "channel";
  return `${CHANNEL_ID}:${accountId}:${msg.channelId}:${where}:${senderId}`;
}

/**
 * Whether a message may wait for more: text only, with text, and not one of OpenClaw's control
 * commands (`/new`, `/status`, `stop`…), which go at once.
 */
export function mayWait(rt, cfg, msg, botUsername) {
  if (Array.isArray(msg.files) && msg.files.length > 0) return false;
  const text = typeof msg.text === "string" ? msg.text.trim() : "";
  if (!text) return false;
  const isCommand = rt.commands?.isControlCommandMessage;
  return !(typeof isCommand === "function" && isCommand(stripBotMention(text, botUsername), cfg));
}

/**
 * Messages of one key as one: the last one, with the texts joined by newlines, no files, the
 * ids of all (`messageIds`), the history each brought (minus the merged posts), and addressed
 * when any of them was.
 */
export function mergeMessages(msgs) {
  const last = msgs.at(-1);
  if (msgs.length === 1) return last;
  const ids = msgs.map((m) => m.id);
  const history = msgs.flatMap((m) => (Array.isArray(m.history) ? m.history : [])).filter((e) => !ids.includes(e.messageId));
  return {
    ...last,
    text: msgs
      .map((m) => (typeof m.text === "string" ? m.text.trim() : ""))
      .filter(Boolean)
      .join("\n"),
    files: [],
    history,
    messageIds: ids,
    mentioned: msgs.some((m) => m.mentioned),
    onchar: msgs.some((m) => m.onchar),
    implicitMention: msgs.find((m) => m.implicitMention)?.implicitMention ?? last.implicitMention,
  };
}

/**
 * `{ enqueue(msg) }`: hands each message (merged when several were debounced) to `deliver`.
 * Without OpenClaw's debouncer (an older runtime) every message goes at once.
 */
export function createInboundDebounce({ rt, cfg, accountId, botUsername, deliver, log }) {
  const create = rt.debounce?.createInboundDebouncer;
  if (typeof create !== "function") return { enqueue: async (msg) => deliver(msg) };
  const resolveDebounceMs = () => rt.debounce.resolveInboundDebounceMs?.({ cfg, channel: CHANNEL_ID }) ?? 0;
  const debouncer = create({
    debounceMs: resolveDebounceMs(),
    resolveDebounceMs,
    buildKey: (msg) => debounceKey(accountId, msg),
    shouldDebounce: (msg) => mayWait(rt, cfg, msg, botUsername()),
    onFlush: (msgs, createFlush) => createFlush({ dispatch: async () => deliver(mergeMessages(msgs)) }),
    onError: (err) => log?.(`mattermost debounce flush failed: ${String(err)}`),
  });
  return { enqueue: (msg) => debouncer.enqueue(msg) };
}
