// A tiny OpenAI-compatible chat completions server on 127.0.0.1 for the end-to-end script:
// it answers every request with "echo: <last user message text>", streamed (SSE) or not.
// `LONGREPLY:<n>` in the user's text adds n characters of numbered words (to see chunking),
// `TABLEREPLY` a Markdown table (to see table conversion). `TOOLREPLY` makes it a two-step
// turn (to see streaming at tool activity): it first says "checking <tag>" and calls a tool
// the agent offers (`session_status`, else `read` of a missing file), then, given the tool's
// result, answers as usual.
// `TOOLCALL:<action>:[user:]<id>[:<post id>]` makes it call OpenClaw's `message` tool instead
// of answering, with the target `channel:<id>` (or `user:<id>`): `read` the one post before the
// asking one (not the bot's status post, which may or may not be there yet), `react` with
// :thumbsup: on the post, else on the current one, `buttons` send "Deploy now?" with two
// value buttons (Yes, No) as a presentation; once the tool's result is back it answers
// "echo: <tag> (after the message tool)".
// GET /v1/_seen lists what it was asked, what it answered (`reply`: null for a tool call) and
// whether that answer is complete (`done`)
// (the differential suite compares what the agent received through each plugin): for each
// completion, the user messages of its current turn.
// Usage: node echo-llm.mjs → prints {"url": "http://127.0.0.1:PORT/v1"} on stdout.
import { createServer } from "node:http";

export function lastUserText(messages = []) {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role !== "user") continue;
    if (typeof m.content === "string") return m.content;
    if (Array.isArray(m.content)) return m.content.map((p) => p.text ?? "").join("");
  }
  return "";
}

const contentText = (m) => (typeof m.content === "string" ? m.content : (m.content ?? []).map((p) => p.text ?? "").join(""));

/**
 * The text of the user messages after the last assistant message: what this turn brought (a
 * tool's result, after the assistant's tool call, as "tool result: <text>").
 */
export function currentTurn(messages = []) {
  const lastAssistant = messages.findLastIndex((m) => m.role === "assistant");
  return messages
    .slice(lastAssistant + 1)
    .filter((m) => m.role === "user" || m.role === "tool")
    .map((m) => (m.role === "tool" ? `tool result: ${contentText(m)}` : contentText(m)));
}

/**
 * The `message` tool call a `TOOLCALL:` in this turn's user text asks for, or null (none asked,
 * the tool is not offered, or its result is already back: the last message is the tool's).
 * `react` without a post id reacts to the current post (the `message_id` OpenClaw shows the
 * model). OpenClaw offers the tool itself or, with its Tool Search (the default), through
 * `tool_call` (`{ id: "message", args }`).
 */
export function messageToolCallFor(messages = [], tools = []) {
  // (once per asking post: not again after any tool call of the assistant since)
  const asking = messages.findLastIndex((m) => m.role === "user" && /TOOLCALL:/.test(contentText(m)));
  if (asking < 0 || messages.slice(asking + 1).some((m) => m.role === "tool" || m.tool_calls?.length)) return null;
  const turn = contentText(messages[asking]);
  const m = /TOOLCALL:(read|react|buttons):(user:)?([a-z0-9]{26})(?::([a-z0-9]{26}))?/.exec(turn);
  if (!m) return null;
  const args = { action: m[1], channel: "mattermost", target: `${m[2] ?? "channel:"}${m[3]}` };
  if (m[1] === "buttons") {
    // A question with two value buttons: OpenClaw's presentation, which each plugin turns into
    // Mattermost's interactive buttons.
    Object.assign(args, {
      action: "send",
      message: "Deploy now?",
      presentation: { blocks: [{ type: "buttons", buttons: [{ label: "Yes", value: "deploy_yes" }, { label: "No", value: "deploy_no" }] }] },
    });
    return callMessageTool(args, tools);
  }
  // (OpenClaw may put the conversation info in a later user message than the post's)
  const asked = messages.slice(asking).filter((x) => x.role === "user").map(contentText).join("\n");
  const current = [...asked.matchAll(/\\?"message_id\\?":\s*\\?"([a-z0-9]{26})/g)].at(-1)?.[1];
  if (m[1] === "read") Object.assign(args, { before: current, limit: 1 });
  else Object.assign(args, { messageId: m[4] ?? current, emoji: "thumbsup" });
  return callMessageTool(args, tools);
}

/** The call of OpenClaw's `message` tool with `args`: directly or through its Tool Search. */
function callMessageTool(args, tools) {
  const offered = (name) => tools.some((t) => (t.function?.name ?? t.name) === name);
  if (offered("message")) return { name: "message", arguments: JSON.stringify(args) };
  if (offered("tool_call")) return { name: "tool_call", arguments: JSON.stringify({ id: "message", args }) };
  return null;
}

// The agent sees the inbound post inside an envelope, next to internal context blocks; the e2e
// script tags its posts (E2E-...), so answer with the newest tag found in the user messages.
export function replyFor(messages = []) {
  const userText = messages
    .filter((m) => m.role === "user")
    .map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content)))
    .join("\n");
  const tags = userText.match(/E2E-[A-Za-z0-9-]+/g);
  let text = `echo: ${tags ? tags.at(-1) : lastUserText(messages).slice(-200)}`;
  // (OpenClaw may add its context as a later user message than the post's: the whole turn)
  const turn = currentTurn(messages).join("\n");
  const long = /LONGREPLY:(\d{1,6})/.exec(turn);
  if (long) text += `\n\n${words(Number(long[1]))}`;
  if (/TABLEREPLY/.test(turn)) text += "\n\n| name | count |\n|---|---|\n| apples | 3 |\n| pears | 12 |";
  const lastCall = messages.findLast((m) => m.role === "assistant")?.tool_calls?.[0]?.function?.name;
  if (lastCall === "message" || lastCall === "tool_call") text += " (after the message tool)";
  return text;
}

/** The tool call a `TOOLREPLY` turn makes first, or null (already called, or no such tool). */
export function toolReplyCallFor(messages = [], tools = []) {
  const lastUser = messages.findLastIndex((m) => m.role === "user");
  if (messages.slice(lastUser + 1).some((m) => m.role === "tool" || m.tool_calls)) return null;
  if (!/TOOLREPLY/.test(currentTurn(messages).join("\n"))) return null;
  const names = tools.map((t) => t.function?.name ?? t.name);
  if (names.includes("session_status")) return { name: "session_status", arguments: "{}" };
  if (names.includes("read")) return { name: "read", arguments: JSON.stringify({ path: "E2E-missing.txt" }) };
  return null;
}

/** `n` characters of numbered words, a paragraph every 50 words (the same text every time). */
export function words(n) {
  let out = "";
  for (let i = 1; out.length < n; i++) out += `w${i}${i % 50 === 0 ? "\n\n" : " "}`;
  return out.slice(0, n);
}

const requests = [];
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", async () => {
    if (req.method === "GET" && req.url.endsWith("/_seen")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify(
          requests.map((r) => ({ stream: Boolean(r.payload.stream), turn: currentTurn(r.payload.messages), reply: r.reply, done: r.done })),
        ),
      );
      return;
    }
    if (req.method === "GET" && req.url.endsWith("/models")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ object: "list", data: [{ id: "echo-1", object: "model" }] }));
      return;
    }
    let payload = {};
    try {
      payload = JSON.parse(body || "{}");
    } catch {}
    // (a TOOLCALL turn calls the message tool and says nothing; a TOOLREPLY turn says
    // "checking <tag>" and calls a tool)
    const message = messageToolCallFor(payload.messages, payload.tools);
    const toolReply = message ? null : toolReplyCallFor(payload.messages, payload.tools);
    const call = message ?? toolReply;
    const answer = replyFor(payload.messages);
    const text = message ? "" : toolReply ? `checking ${answer.replace(/^echo: /, "")}` : answer;
    const record = { url: req.url, payload, reply: call ? null : text, done: false };
    requests.push(record);
    res.on("close", () => (record.done = true));
    process.stderr.write(
      `echo-llm: ${req.method} ${req.url} stream=${Boolean(payload.stream)} tools=${(payload.tools ?? []).map((t) => t.function?.name ?? t.name).join(",")} -> ${text}${call ? ` + ${JSON.stringify(call)}` : ""}\n`,
    );
    const id = `chatcmpl-${requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    if (payload.stream) {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const chunk = (delta, finish = null) =>
        `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: payload.model ?? "echo-1", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: "assistant", content: "" }));
      if (call && !text) {
        res.write(chunk({ tool_calls: [{ index: 0, id: `call_${requests.length}`, type: "function", function: call }] }));
        res.write(chunk({}, "tool_calls"));
        res.end("data: [DONE]\n\n");
        return;
      }
      // In pieces, a little apart, so a streaming channel sees partial replies.
      // (at most ~40 pieces: a long answer still streams in a few seconds)
      const size = Math.max(8, Math.ceil(text.length / 40));
      const pieces = text.match(new RegExp(`.{1,${size}}`, "gs")) ?? [text];
      for (const piece of pieces) {
        res.write(chunk({ content: piece }));
        await new Promise((r) => setTimeout(r, 150));
      }
      if (call) {
        const toolCall = { index: 0, id: `call_${requests.length}`, type: "function", function: call };
        res.write(chunk({ tool_calls: [toolCall] }));
      }
      res.write(chunk({}, call ? "tool_calls" : "stop"));
      res.write(
        `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: payload.model ?? "echo-1", choices: [], usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 } })}\n\n`,
      );
      res.end("data: [DONE]\n\n");
    } else {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id,
          object: "chat.completion",
          created,
          model: payload.model ?? "echo-1",
          choices: [
            call
              ? {
                  index: 0,
                  message: { role: "assistant", content: text || null, tool_calls: [{ id: `call_${requests.length}`, type: "function", function: call }] },
                  finish_reason: "tool_calls",
                }
              : { index: 0, message: { role: "assistant", content: text }, finish_reason: "stop" },
          ],
          usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 },
        }),
      );
    }
  });
});

if (import.meta.url === `file://${process.argv[1]}`) {
  server.listen(Number(process.env.ECHO_PORT ?? 0), "127.0.0.1", () => {
    console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}/v1` }));
  });
}
