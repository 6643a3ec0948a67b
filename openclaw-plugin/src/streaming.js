// Streaming (`streaming.mode` partial, block, progress), as OpenClaw's Mattermost plugin draws
// it (its monitor-turn.ts and draft-stream.ts), on the bridge's `send`, `edit` and `delete`:
// a draft post that grows with the answer, sealed into its own post at each switch between
// reasoning, text and tool activity in `block` mode, a status post in `progress` mode, tool
// lines, and the handover to the final answer. The status text and tool lines come from
// OpenClaw's own progress compositor (`openclaw/plugin-sdk/channel-outbound`, the module the
// JS plugin imports it from); without it (an OpenClaw that does not offer it) there is no
// status post and no tool line, the rest works the same.
import { CHANNEL_ID } from "./config.js";

/** The least time between two updates of a preview post (OpenClaw's Mattermost plugin's). */
export const PREVIEW_THROTTLE_MS = 1200;

/** The most a preview post shows (OpenClaw's Mattermost plugin's draft limit), whatever
 * `textChunkLimit` says: that limit splits the answer, the preview is one post edited in place
 * (the bridge lets an edit hold what the server takes in one post). */
export const PREVIEW_MAX_CHARS = 4000;

/** The SDK module whose progress helpers the JS plugin uses. */
export const OUTBOUND_SDK = "openclaw/plugin-sdk/channel-outbound";
/** Where the JS plugin gets OpenClaw's hook runner. */
export const RUNTIME_SDK = "openclaw/plugin-sdk/plugin-runtime";

let sdkLoad;
/**
 * OpenClaw's channel-outbound SDK module (its progress compositor and streaming config
 * readers), loaded once, plus `hooksReplies()`: whether another plugin hooks
 * `reply_payload_sending` or `message_sending` (the JS plugin then shows no preview; read
 * through the SDK's `plugin-runtime` hook runner). null when this process cannot import it (no
 * OpenClaw: tests, an old host). Inside the gateway OpenClaw resolves `openclaw/plugin-sdk/*`
 * for plugins, as for our secret contract.
 */
export function loadOutboundSdk() {
  sdkLoad ??= Promise.all([import(OUTBOUND_SDK).catch(() => null), import(RUNTIME_SDK).catch(() => null)]).then(
    ([outbound, runtime]) => {
      if (typeof outbound?.createChannelProgressDraftCompositor !== "function") return null;
      const hookRunner = () => runtime?.getGlobalHookRunner?.();
      return {
        ...outbound,
        hooksReplies: () =>
          Boolean(hookRunner()?.hasHooks?.("reply_payload_sending") || hookRunner()?.hasHooks?.("message_sending")),
      };
    },
  );
  return sdkLoad;
}

/** A preview's text: trimmed, and cut with `...` above `max` characters (`PREVIEW_MAX_CHARS`). */
export function previewText(text, max = PREVIEW_MAX_CHARS) {
  const trimmed = text.trim();
  if (trimmed.length <= max) return trimmed;
  let cut = Math.max(0, max - 3);
  const code = trimmed.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut -= 1; // never half a surrogate pair
  return `${trimmed.slice(0, cut).trimEnd()}...`;
}

/**
 * The response prefix OpenClaw puts before each reply of this turn (`responsePrefix` of the
 * account, else the channel, else `messages.responsePrefix`; `"auto"` is the agent's name),
 * as OpenClaw's runtime resolves it, for the first preview. OpenClaw adds it to the final
 * replies itself. A prefix with template variables (`{model}`…) is filled by OpenClaw only
 * once the model is chosen, which this plugin cannot see: the preview then goes without it.
 */
export function previewPrefix(rt, cfg, agentId, accountId) {
  const resolve = rt.reply?.resolveEffectiveMessagesConfig;
  if (typeof resolve !== "function") return undefined;
  const prefix = resolve(cfg, agentId, { channel: CHANNEL_ID, accountId })?.responsePrefix;
  if (typeof prefix !== "string" || !prefix || /\{[a-zA-Z][a-zA-Z0-9.]*\}/.test(prefix)) return undefined;
  return prefix;
}

/**
 * The draft post(s) of one turn. `update(text)` shows a status text (`Thinking…`, the progress
 * compositor's), `updateAssistantText(text)` the answer so far: the first update posts
 * (`send`), later ones edit that post (`edit`), at most one request in flight and one update
 * per `throttleMs`, the newest text wins. `forceNewMessage()` seals the current post (its text
 * split into posts by `plan.chunks` when long) and the next update starts a new one;
 * `resolveFinalText(text)` says what of a final answer the sealed posts do not show yet.
 * `finish(text)` edits the current post into the final answer; `clear()` deletes it (the answer
 * went out on its own); `deleteCurrentMessage()` deletes it and lets the next update post anew.
 */
export function createDraftStream({ bridge, target, rootId, plan, log, throttleMs = PREVIEW_THROTTLE_MS }) {
  const maxChars = PREVIEW_MAX_CHARS;
  const generation = () => ({ postId: null, shown: "", source: "", assistant: undefined });
  let current = generation();
  let wanted = "";
  let chain = Promise.resolve();
  let queued = false;
  let dead = false; // a request failed: the preview is given up, the answer still goes out
  let stopped = false; // finished, cleared or sealed for the final answer
  let lastSentAt = 0;
  let timer = null;
  const sealedTexts = [];
  const published = [];
  const stopTimer = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  const enqueue = (work) => {
    chain = chain.then(work).catch((err) => log?.(`mattermost: preview update failed: ${err.message}`));
    return chain;
  };
  const post = async (text) => {
    const params = { ...target, text };
    if (rootId) params.rootId = rootId;
    const res = await bridge.request("send", params);
    return res.postIds?.[0] ?? null;
  };
  // The next update waits until `throttleMs` after the last one.
  const schedule = () => {
    if (timer || dead || stopped) return;
    timer = setTimeout(
      () => {
        timer = null;
        flush();
      },
      Math.max(0, lastSentAt + throttleMs - Date.now()),
    );
    timer.unref?.();
  };
  const flush = () => {
    if (queued || dead) return chain;
    queued = true;
    return enqueue(async () => {
      queued = false;
      const gen = current;
      const text = wanted;
      if (!text || text === gen.shown || dead || stopped) return;
      if (Date.now() - lastSentAt < throttleMs) return schedule(); // an update just went out
      try {
        // The bridge splits a `send` above `textChunkLimit`: a longer first preview is posted
        // cut to it, and the next update edits it to the whole text.
        const shown = !gen.postId && text.length > plan.limit ? previewText(text, plan.limit) : text;
        if (!gen.postId) gen.postId = await post(shown);
        else await bridge.request("edit", { postId: gen.postId, text });
        gen.shown = shown;
        lastSentAt = Date.now();
        if (shown !== text) schedule();
      } catch (err) {
        dead = true;
        log?.(`mattermost: preview update failed: ${err.message}`);
      }
    });
  };
  const show = (text) => {
    const normalized = previewText(text, maxChars);
    if (!normalized || stopped || dead) return;
    wanted = normalized;
    if (!timer && Date.now() - lastSentAt >= throttleMs) flush();
    else schedule();
  };
  // The current post is left alone from now on; the next update starts a new one.
  const retire = () => {
    stopTimer();
    const gen = current;
    current = generation();
    wanted = "";
    lastSentAt = 0;
    return gen;
  };
  return {
    get postId() {
      return current.postId;
    },
    update(text) {
      current.source = text;
      current.assistant = undefined;
      show(text);
    },
    updateAssistantText(text) {
      current.source = text;
      current.assistant = text;
      show(text);
    },
    /** Block mode: the current post keeps its whole text (more posts when long). */
    forceNewMessage() {
      if (dead || stopped) return chain;
      const gen = retire();
      return enqueue(async () => {
        const chunks = plan.chunks(gen.source.trim()).map((c) => c.trim()).filter(Boolean);
        if (chunks.length === 0 || dead) return;
        const ids = [];
        if (gen.postId) {
          if (chunks[0] !== gen.shown) await bridge.request("edit", { postId: gen.postId, text: chunks[0] });
          ids.push(gen.postId);
        } else {
          ids.push(await post(chunks[0]));
        }
        for (const chunk of chunks.slice(1)) ids.push(await post(chunk));
        // (a sealed status text, such as tool lines, is not part of the answer)
        if (!gen.assistant?.trim()) return;
        published.push(...ids.filter(Boolean));
        sealedTexts.push(gen.assistant.trim());
      });
    },
    /** Removes the current post (the progress compositor's retraction); updates go on. */
    deleteCurrentMessage() {
      const gen = retire();
      return enqueue(async () => {
        if (gen.postId && !dead) await bridge.request("delete", { postId: gen.postId });
      });
    },
    /** Waits for sealed posts and updates under way. */
    settle() {
      return chain;
    },
    /** Post ids the sealed blocks were published in. */
    get publishedIds() {
      return [...published];
    },
    /**
     * What a final `text` still has to show once the sealed blocks are taken off its start:
     * `{ kind: "full" | "remaining", text }` or `{ kind: "already-delivered" }` (as the JS
     * plugin's draft stream resolves it).
     */
    resolveFinalText(text) {
      if (sealedTexts.length === 0) return { kind: "full", text };
      let remaining = text.trim();
      for (const sealed of sealedTexts) {
        if (!remaining.startsWith(sealed)) return { kind: "full", text };
        const suffix = remaining.slice(sealed.length);
        if (suffix && !/^\r?\n/.test(suffix)) return { kind: "full", text };
        remaining = suffix.replace(/^(?:\r?\n)+/, "");
      }
      const currentText = current.assistant?.trim() ?? "";
      remaining = remaining.trim();
      if (currentText && !remaining.startsWith(currentText)) return { kind: "full", text };
      return remaining ? { kind: "remaining", text: remaining } : { kind: "already-delivered" };
    },
    /** true when the current post now shows `text` (nothing else needs to be sent). */
    async finish(text) {
      stopTimer();
      await chain;
      const gen = current;
      if (!gen.postId || dead || stopped) return false;
      stopped = true;
      if (text !== gen.shown) {
        try {
          await bridge.request("edit", { postId: gen.postId, text });
        } catch (err) {
          log?.(`mattermost: preview final edit failed; sending normally (${err.message})`);
          stopped = false;
          return false;
        }
      }
      gen.shown = text;
      return true;
    },
    /** Stops updates (an update waiting for its turn is dropped); the post stays until `clear`. */
    stop() {
      stopTimer();
      stopped = true;
    },
    /** Stops updates and removes the current post (the answer went out on its own), once. */
    async clear() {
      stopTimer();
      await chain;
      const id = current.postId;
      const wasDead = dead;
      stopped = true;
      dead = true;
      current.postId = null;
      if (!id || wasDead) return;
      try {
        await bridge.request("delete", { postId: id });
      } catch (err) {
        log?.(`mattermost: removing the preview failed: ${err.message}`);
      }
    },
  };
}

/**
 * The streaming side of one turn, as the JS plugin's monitor-turn.ts wires it: `replyOptions`
 * for OpenClaw's dispatch and `deliverFinal(payload, send)` for the final answer. `mode` is
 * `partial`, `block` or `progress`; `entry` the account's config (its `streaming` object);
 * `sdk` OpenClaw's channel-outbound module or null; `seed` the progress label's seed.
 */
export function createStreamingTurn({ mode, entry, sdk, draft, plan, prefix, seed, log }) {
  const toolProgress =
    sdk?.resolveChannelStreamingPreviewToolProgress?.(entry, mode !== "progress", mode) ?? false;
  const progressEnabled = Boolean(sdk) && (mode === "progress" || toolProgress);
  const progress = sdk
    ? sdk.createChannelProgressDraftCompositor({
        entry,
        mode,
        active: true,
        seed,
        shouldStartNow: (line) => typeof line === "object" && line.kind === "item",
        update: async (text, options) => {
          draft.update(text);
          if (options?.flush) await draft.settle();
        },
        deleteCurrent: () => draft.deleteCurrentMessage(),
      })
    : null;
  let lastPartial = "";
  let usePrefix;
  let activity = "none";
  let messagePending = false;
  let hasStreamed = false;
  // Block mode: a switch between reasoning, text and tool activity seals the current post.
  const enter = (next) => {
    if (mode !== "block") return undefined;
    const continues =
      (next === "tool" && activity === "tool") ||
      (next === "text" && activity === "text" && !messagePending) ||
      (next === "reasoning" && activity === "reasoning");
    const boundary = !continues && activity !== "reasoning" && hasStreamed;
    if (!continues && activity !== "reasoning") usePrefix = usePrefix === undefined ? undefined : false;
    if (!continues) progress?.resetActivity();
    activity = next;
    messagePending = false;
    if (next === "tool") lastPartial = "";
    if (!boundary) return undefined;
    hasStreamed = false;
    return draft.forceNewMessage();
  };
  const onPartial = (text) => {
    const cleaned = typeof text === "string" ? text.trim() : "";
    if (!cleaned || cleaned === lastPartial) return undefined;
    if (lastPartial && lastPartial.startsWith(cleaned) && cleaned.length < lastPartial.length) return undefined;
    const boundary = enter("text");
    progress?.resetActivity({ suppressed: true });
    lastPartial = cleaned;
    if (usePrefix === undefined) usePrefix = Boolean(prefix);
    draft.updateAssistantText(usePrefix && prefix && !cleaned.startsWith(prefix) ? `${prefix} ${cleaned}` : cleaned);
    hasStreamed = true;
    return boundary;
  };
  const toolActivity = async (push) => {
    if (!progressEnabled) return false;
    const boundary = enter("tool");
    const shown = push();
    hasStreamed = true;
    const [, visible] = await Promise.all([boundary, shown]);
    return visible;
  };
  const replyOptions = {
    disableBlockStreaming: true,
    ...(progressEnabled ? { allowProgressCallbacksWhenSourceDeliverySuppressed: true } : {}),
    preserveProgressCallbackStartOrder: true,
    ...(progressEnabled ? { onObservedReplyDelivery: () => draft.clear() } : {}),
    suppressDefaultToolProgressMessages: true,
    onPartialReply: (payload) => (mode === "progress" ? false : onPartial(payload?.text)),
    onAssistantMessageStart: () => {
      lastPartial = "";
      progress?.beginAssistantMessage();
      if (mode === "block") messagePending = true;
      return false;
    },
    onReasoningEnd: () => {
      lastPartial = "";
      progress?.resetReasoningProgress();
      return false;
    },
    onReasoningStream: async (payload) => {
      if (mode === "progress") {
        return progress
          ? await progress.pushReasoningProgress(payload?.text || "Thinking…", { snapshot: payload?.isReasoningSnapshot === true })
          : false;
      }
      if (!lastPartial) {
        const boundary = enter("reasoning");
        draft.update("Thinking…");
        hasStreamed = true;
        await boundary;
      }
      return false;
    },
    onPlanUpdate: async (payload) => {
      if (payload?.phase !== "update") return false;
      return toolActivity(() =>
        progress.pushPlanProgress(payload.steps, { explanation: payload.explanation, explanationFormat: payload.explanationFormat }),
      );
    },
    onToolStart: async (payload) =>
      toolActivity(() =>
        progress.pushToolProgress(
          sdk.buildChannelProgressDraftLineForEntry(
            entry,
            { event: "tool", itemId: payload?.itemId, toolCallId: payload?.toolCallId, name: payload?.name, phase: payload?.phase, args: payload?.args },
            payload?.detailMode ? { detailMode: payload.detailMode } : undefined,
          ),
          { startImmediately: true },
        ),
      ),
    onItemEvent: async (payload) => toolActivity(() => progress.pushItemEvent(payload)),
  };
  return {
    replyOptions,
    progress,
    /**
     * The final answer: `{ edited: true, messageIds }` when the current draft post now shows
     * it, else `{ text, publishedIds }` with the text still to send (empty when the sealed
     * blocks already show all of it). Call `done(sentNormally)` after sending.
     */
    async beginFinal(text, { isError = false, hasMedia = false } = {}) {
      await enter("text");
      await draft.settle();
      progress?.markFinalReplyStarted();
      const resolution = draft.resolveFinalText(text);
      const rest = resolution.kind === "already-delivered" ? "" : resolution.text;
      const chunks = plan.chunks(rest);
      const only = chunks.length === 1 ? chunks[0].trim() : "";
      const shorter = only && lastPartial.startsWith(only) && only.length < lastPartial.length;
      if (!isError && !hasMedia && only && !shorter && (await draft.finish(only))) {
        return { edited: true, messageIds: [...draft.publishedIds, draft.postId] };
      }
      // As the JS plugin's: the answer goes out in posts of its own; the preview takes no more
      // updates meanwhile (one waiting for the throttle would otherwise land while they post)
      // and is removed once they are out.
      draft.stop();
      return { edited: false, text: isError ? text : rest, publishedIds: draft.publishedIds, alreadyDelivered: resolution.kind === "already-delivered" };
    },
    finalDelivered() {
      progress?.markFinalReplyDelivered();
    },
  };
}
