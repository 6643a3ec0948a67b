// A tiny OpenAI-compatible chat completions server on 127.0.0.1 for the end-to-end script:
// it answers every request with "echo: <last user message text>", streamed (SSE) or not.
// `LONGREPLY:<n>` in the user's text adds n characters of numbered words (to see chunking),
// `TABLEREPLY` a Markdown table (to see table conversion). `TOOLREPLY` makes it a two-step
// turn (to see streaming at tool activity): it first says "checking <tag>" and calls a tool
// the agent offers (`session_status`, else `read` of a missing file), then, given the tool's
// result, answers as usual.
// GET /v1/_seen lists what it was asked
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

/** The text of the user messages after the last assistant message: what this turn brought. */
export function currentTurn(messages = []) {
  const text = (m) => (typeof m.content === "string" ? m.content : (m.content ?? []).map((p) => p.text ?? "").join(""));
  const lastAssistant = messages.findLastIndex((m) => m.role === "assistant");
  return messages
    .slice(lastAssistant + 1)
    .filter((m) => m.role === "user")
    .map(text);
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
  return text;
}

/** The tool call a `TOOLREPLY` turn makes first, or null (already called, or no such tool). */
export function toolCallFor(messages = [], tools = []) {
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
      res.end(JSON.stringify(requests.map((r) => ({ stream: Boolean(r.payload.stream), turn: currentTurn(r.payload.messages) }))));
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
    requests.push({ url: req.url, payload });
    const call = toolCallFor(payload.messages, payload.tools);
    const reply = replyFor(payload.messages);
    const text = call ? `checking ${reply.replace(/^echo: /, "")}` : reply;
    process.stderr.write(`echo-llm: ${req.method} ${req.url} stream=${Boolean(payload.stream)} -> ${text}${call ? ` + ${call.name}` : ""}\n`);
    const id = `chatcmpl-${requests.length}`;
    const created = Math.floor(Date.now() / 1000);
    if (payload.stream) {
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      const chunk = (delta, finish = null) =>
        `data: ${JSON.stringify({ id, object: "chat.completion.chunk", created, model: payload.model ?? "echo-1", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(chunk({ role: "assistant", content: "" }));
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
                  message: { role: "assistant", content: text, tool_calls: [{ id: `call_${requests.length}`, type: "function", function: call }] },
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
