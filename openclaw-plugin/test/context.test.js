// The inbound context, field by field, against what OpenClaw's own Mattermost plugin
// (@openclaw/mattermost 2026.9.5) hands to OpenClaw for the same post. The expected values are
// derived from its dist/.setup/channel.runtime-C074p7wv.mjs:
//   - createMattermostPostHandler: senderName (payload.data.sender_name, else the username,
//     else the id), rawText (trimmed), commandBody (normalizeMention(rawText).trim()),
//     bodyText (normalizeMention(formatMattermostInboundMediaText(onchar-stripped or raw))),
//     BodyForAgent (bodyText || rawText.trim()), textWithId, fromLabel
//     (formatInboundFromLabel), GroupSubject, SenderName, Timestamp, WasMentioned
//     (mentionDecision.effectiveWasMentioned: a mention, an onchar trigger or an implicit
//     mention), CommandAuthorized;
//   - buildMattermostEventPlan: channelDisplay (payload channel_display_name ?? channel name),
//     roomLabel ("#name", else the display name, else "#<id>"), and finalizeContext: From, To,
//     SessionKey, DmScope, ParentSessionKey, AccountId, ChatType, ConversationRouteContextObserved,
//     ConversationRoutePeerId, GroupChannel ("#name" whenever the channel has a name, DMs too),
//     GroupSpace, SenderId, Provider, Surface, ReplyToId, MessageThreadId, NativeChannelId,
//     InboundAccessAuthorized, OriginatingChannel, OriginatingTo;
//   - monitor-helpers normalizeMention / buildMattermostBotMentionPattern (mention stripping);
//   - formatMattermostInboundMediaText + OpenClaw's formatInboundMediaUnavailableText
//     (the notice for attachments that could not be had);
//   - OpenClaw's formatInboundFromLabel (dist/envelope-*.mjs): "<label> id:<id>".
// Body: buildInboundFields gives textWithId; handleInboundMessage wraps it in OpenClaw's envelope
// (envelopeBody, below) as the JS plugin's formatInboundEnvelope call does.
import assert from "node:assert/strict";
import { test } from "node:test";
import { buildInboundFields, conversationLabel, envelopeBody, historyFields, inboundEnvelope, resolveThread, stripBotMention, withUnavailableNotice } from "../src/inbound.js";

const BOT = "openclaw";

/** Our fields for `msg`, with the thread our handler would resolve (replyToMode as given). */
function fieldsFor(msg, { replyToMode = "off", sessionKey = "agent:main:mattermost:x" } = {}) {
  const route = { sessionKey, accountId: "default", dmScope: "per-channel-peer" };
  const kind = { direct: "direct", group: "group", private: "group", open: "channel" }[msg.channelType];
  const thread = resolveThread({ msg, kind, route, replyToMode });
  return buildInboundFields({ msg, accountId: "default", route, thread, botUsername: BOT }).fields;
}

const base = {
  id: "post1",
  rootId: null,
  sender: { id: "alice1", username: "alice" },
  senderName: "@alice",
  mentioned: false,
  onchar: false,
  createAt: 1732400000000,
  files: [],
  catchUp: false,
  authorized: true,
};

/** The fields every post has, whatever its chat type. */
const common = (msg) => ({
  SenderId: "alice1",
  SenderName: "@alice",
  Provider: "mattermost",
  Surface: "mattermost",
  MessageSid: msg.id,
  NativeChannelId: msg.channelId,
  Timestamp: 1732400000000,
  AccountId: "default",
  DmScope: "per-channel-peer",
  ConversationRouteContextObserved: true,
  CommandAuthorized: true,
  InboundAccessAuthorized: true,
  OriginatingChannel: "mattermost",
});

test("a DM: From/To by user, label '<sender> id:<id>', the DM channel's name as GroupChannel, no WasMentioned", () => {
  const msg = { ...base, channelId: "dm1", channelType: "direct", channelName: "alice1__bot1", channelDisplayName: "", teamId: null, text: "hello **bot**" };
  assert.deepEqual(fieldsFor(msg, { sessionKey: "agent:main:mattermost:direct:alice1" }), {
    ...common(msg),
    Body: "hello **bot**\n[mattermost message id: post1 channel: dm1]",
    BodyForAgent: "hello **bot**",
    RawBody: "hello **bot**",
    CommandBody: "hello **bot**",
    BodyForCommands: "hello **bot**",
    From: "mattermost:alice1",
    To: "user:alice1",
    OriginatingTo: "user:alice1",
    SessionKey: "agent:main:mattermost:direct:alice1",
    ChatType: "direct",
    ConversationRoutePeerId: "alice1",
    ConversationLabel: "@alice id:alice1",
    GroupChannel: "#alice1__bot1",
  });
});

test("a DM thread reply: flat with replyToMode off (the DM default), threaded with another mode", () => {
  // resolveMattermostEffectiveReplyToId: `kind === "direct" && replyToMode === "off"` → none.
  const msg = { ...base, id: "post2", rootId: "root1", channelId: "dm1", channelType: "direct", channelName: "alice1__bot1", channelDisplayName: "", teamId: null, text: "more" };
  const flat = fieldsFor(msg, { sessionKey: "agent:main:mattermost:direct:alice1" });
  assert.equal("ReplyToId" in flat, false);
  assert.equal("MessageThreadId" in flat, false);
  assert.equal(flat.SessionKey, "agent:main:mattermost:direct:alice1");
  const f = fieldsFor(msg, { replyToMode: "all", sessionKey: "agent:main:mattermost:direct:alice1" });
  assert.equal(f.ReplyToId, "root1", "the 'Reply target' block");
  assert.equal(f.MessageThreadId, "root1");
  assert.equal(f.SessionKey, "agent:main:mattermost:direct:alice1:thread:root1");
  assert.equal(f.ParentSessionKey, undefined, "the JS plugin gives DM threads no parent session");
});

test("a public channel mention: the mention leaves every body, label '<display> id:<channel id>'", () => {
  const msg = { ...base, channelId: "town1", channelType: "open", channelName: "town-square", channelDisplayName: "Town Square", teamId: "team1", text: "@openclaw what is up", mentioned: true };
  assert.deepEqual(fieldsFor(msg, { sessionKey: "agent:main:mattermost:channel:town1" }), {
    ...common(msg),
    Body: "what is up\n[mattermost message id: post1 channel: town1]",
    BodyForAgent: "what is up",
    RawBody: "what is up",
    CommandBody: "what is up",
    BodyForCommands: "what is up",
    From: "mattermost:channel:town1",
    To: "channel:town1",
    OriginatingTo: "channel:town1",
    SessionKey: "agent:main:mattermost:channel:town1",
    ChatType: "channel",
    ConversationRoutePeerId: "town1",
    ConversationLabel: "Town Square id:town1",
    GroupSubject: "Town Square",
    GroupChannel: "#town-square",
    GroupSpace: "team1",
    WasMentioned: true,
  });
});

test("a private channel is a group: From mattermost:group:<id>, To channel:<id>", () => {
  const msg = { ...base, channelId: "priv1", channelType: "private", channelName: "secret", channelDisplayName: "Secret", teamId: "team1", text: "@openclaw plans?", mentioned: true };
  const f = fieldsFor(msg);
  assert.equal(f.ChatType, "group");
  assert.equal(f.From, "mattermost:group:priv1");
  assert.equal(f.To, "channel:priv1");
  assert.equal(f.ConversationLabel, "Secret id:priv1");
  assert.equal(f.GroupSubject, "Secret");
  assert.equal(f.GroupChannel, "#secret");
  assert.equal(f.GroupSpace, "team1");
  assert.equal(f.BodyForAgent, "plans?");
  assert.equal(f.WasMentioned, true);
});

test("a group DM: no team, its member list as subject and label", () => {
  const msg = { ...base, channelId: "gdm1", channelType: "group", channelName: "0123abcd", channelDisplayName: "alice, bob, openclaw", teamId: null, text: "hi all" };
  const f = fieldsFor(msg);
  assert.equal(f.ChatType, "group");
  assert.equal(f.From, "mattermost:group:gdm1");
  assert.equal(f.To, "channel:gdm1");
  assert.equal(f.ConversationRoutePeerId, "gdm1");
  assert.equal(f.ConversationLabel, "alice, bob, openclaw id:gdm1");
  assert.equal(f.GroupSubject, "alice, bob, openclaw");
  assert.equal(f.GroupChannel, "#0123abcd");
  assert.equal("GroupSpace" in f, false);
  assert.equal(f.WasMentioned, false);
});

test("a channel without a display name is labelled by '#name'; without either by '#<id>'", () => {
  const named = fieldsFor({ ...base, channelId: "c1", channelType: "open", channelName: "ops", channelDisplayName: "", teamId: "t", text: "x" });
  // channelDisplay is the payload's "" (`??` keeps it), so the label falls back to roomLabel.
  assert.equal(named.ConversationLabel, "#ops id:c1");
  assert.equal(named.GroupSubject, "#ops");
  const bare = fieldsFor({ ...base, channelId: "c2", channelType: "open", channelName: "", channelDisplayName: "", teamId: "t", text: "x" });
  assert.equal(bare.ConversationLabel, "#c2 id:c2");
  assert.equal(bare.GroupSubject, "#c2");
  assert.equal("GroupChannel" in bare, false);
});

test("a thread post: ReplyToId/MessageThreadId the root, a thread session under the channel's", () => {
  const msg = { ...base, id: "post2", rootId: "post1", channelId: "town1", channelType: "open", channelName: "town-square", channelDisplayName: "Town Square", teamId: "team1", text: "@openclaw in the thread", mentioned: true };
  const f = fieldsFor(msg, { sessionKey: "agent:main:mattermost:channel:town1" });
  assert.equal(f.ReplyToId, "post1");
  assert.equal(f.MessageThreadId, "post1");
  assert.equal(f.SessionKey, "agent:main:mattermost:channel:town1:thread:post1");
  assert.equal(f.ParentSessionKey, "agent:main:mattermost:channel:town1");
  assert.equal(f.BodyForAgent, "in the thread");
});

test("replyToMode all: a top-level channel post is its own reply target", () => {
  const msg = { ...base, channelId: "town1", channelType: "open", channelName: "town-square", channelDisplayName: "Town Square", teamId: "team1", text: "@openclaw thread this", mentioned: true };
  const f = fieldsFor(msg, { replyToMode: "all", sessionKey: "s" });
  assert.equal(f.ReplyToId, "post1");
  assert.equal(f.MessageThreadId, "post1");
  assert.equal(f.SessionKey, "s:thread:post1");
});

test("onchar: a prefix-triggered post counts as mentioned; a post let in by chatmode onmessage does not", () => {
  const channel = { ...base, channelId: "town1", channelType: "open", channelName: "town-square", channelDisplayName: "Town Square", teamId: "team1" };
  const onchar = fieldsFor({ ...channel, text: "what now", onchar: true });
  assert.equal(onchar.WasMentioned, true, "the JS plugin passes wasMentioned || oncharTriggered");
  assert.equal(onchar.BodyForAgent, "what now");
  const onmessage = fieldsFor({ ...channel, text: "no mention here" });
  assert.equal(onmessage.WasMentioned, false);
  const implicit = fieldsFor({ ...channel, text: "and the budget", implicitMention: "threadParticipation" });
  assert.equal(implicit.WasMentioned, true, "an implicit mention is an effective mention");
});

test("attachments: saved files are media, missing ones a notice in the JS plugin's words", () => {
  const msg = {
    ...base,
    channelId: "dm1",
    channelType: "direct",
    channelName: "alice1__bot1",
    channelDisplayName: "",
    teamId: null,
    text: "see attached",
    files: [
      { id: "f1", name: "notes.txt", size: 9, mimeType: "text/plain", path: "/m/notes.txt" },
      { id: "f2", name: "a.pdf", size: 1, mimeType: "application/pdf", path: null, error: "too large" },
      { id: "f3", name: "b.png", size: 1, mimeType: "image/png", path: null, error: "download failed" },
    ],
  };
  const f = fieldsFor(msg);
  assert.equal(f.BodyForAgent, 'see attached\n\n[mattermost 2 attachments unavailable] "a.pdf, b.png"');
  assert.equal(f.Body, 'see attached\n\n[mattermost 2 attachments unavailable] "a.pdf, b.png"\n[mattermost message id: post1 channel: dm1]');
  assert.equal(f.RawBody, "see attached", "the command body has no notice");
  assert.deepEqual(f.MediaPaths, ["/m/notes.txt"]);
  assert.deepEqual(f.MediaTypes, ["text/plain"]);
  // A post that is only an attachment that could not be had: the notice alone.
  assert.equal(withUnavailableNotice("", [{ name: "x.pdf" }]), '[mattermost attachment unavailable] "x.pdf"');
  assert.equal(withUnavailableNotice("", [{}]), "[mattermost attachment unavailable]");
});

test("the sender: the event's sender_name, else the username, else the id", () => {
  const dm = { ...base, channelId: "dm1", channelType: "direct", channelName: "n", channelDisplayName: "", teamId: null, text: "x" };
  assert.equal(fieldsFor({ ...dm, senderName: "Alice Smith" }).SenderName, "Alice Smith");
  assert.equal(fieldsFor({ ...dm, senderName: "Alice Smith" }).ConversationLabel, "Alice Smith id:alice1");
  assert.equal(fieldsFor({ ...dm, senderName: undefined }).SenderName, "alice");
  assert.equal(fieldsFor({ ...dm, senderName: "", sender: { id: "alice1", username: "" } }).SenderName, "alice1");
  assert.equal(fieldsFor({ ...dm, senderName: "", sender: { id: "alice1", username: "" } }).ConversationLabel, "alice1");
});

test("mention stripping is the JS plugin's normalizeMention", () => {
  const cases = [
    ["@openclaw what is up", "what is up"],
    ["what is up @openclaw", "what is up"],
    ["hey @OpenClaw, do it", "hey , do it"],
    ["@openclaw: do it", ": do it"],
    ["mail me@openclaw.dev", "mail me@openclaw.dev"],
    ["@openclaw.bot is another user", "@openclaw.bot is another user"],
    ["@openclaw-dev is another user", "@openclaw-dev is another user"],
    ["@openclawx hi", "@openclawx hi"],
    ["@openclaw\n# Title\n- item @openclaw", "# Title\n- item"],
    ["line one\n@openclaw\nline three", "line one\n\nline three"],
    ["a  @openclaw  b", "a b"],
  ];
  for (const [text, want] of cases) assert.equal(stripBotMention(text, BOT), want, JSON.stringify(text));
  assert.equal(stripBotMention("  x  ", ""), "x", "no bot name: the text trimmed");
});

test("a post that is only the bot's mention keeps it for the agent (bodyText empty → rawText)", () => {
  const msg = { ...base, channelId: "town1", channelType: "open", channelName: "town-square", channelDisplayName: "Town Square", teamId: "team1", text: "@openclaw", mentioned: true };
  const f = fieldsFor(msg);
  assert.equal(f.BodyForAgent, "@openclaw");
  assert.equal(f.CommandBody, "");
});

test("OpenClaw's formatInboundFromLabel", () => {
  assert.equal(conversationLabel({ isGroup: true, groupLabel: " Town ", groupId: "c1", groupFallback: "#t" }), "Town id:c1");
  assert.equal(conversationLabel({ isGroup: true, groupLabel: "", groupId: "", groupFallback: "" }), "Group");
  assert.equal(conversationLabel({ isGroup: false, directLabel: "@alice", directId: "u1" }), "@alice id:u1");
  assert.equal(conversationLabel({ isGroup: false, directLabel: "u1", directId: "u1" }), "u1");
});

test("Body in OpenClaw's envelope: the JS plugin's formatInboundEnvelope arguments", () => {
  const seen = [];
  const rt = {
    reply: {
      formatAgentEnvelope: (p) => (seen.push(p), `[${p.channel} ${p.from}] ${p.body}`),
      resolveEnvelopeFormatOptions: (cfg) => ({ tz: cfg.tz }),
    },
    session: {
      resolveStorePath: (store, { agentId }) => `${store}/${agentId}`,
      readSessionUpdatedAt: ({ storePath, sessionKey }) => (storePath === "st/main" && sessionKey === "s" ? 1000 : undefined),
    },
  };
  const cfg = { tz: "UTC", session: { store: "st" } };
  const route = { agentId: "main", sessionKey: "s" };
  const dm = fieldsFor({ ...base, channelId: "dm1", channelType: "direct", channelName: "n", channelDisplayName: "", teamId: null, text: "hello" }, { sessionKey: "s" });
  assert.equal(envelopeBody({ rt, cfg, route, thread: { sessionKey: "s" }, fields: dm }), "[Mattermost @alice id:alice1] @alice: hello\n[mattermost message id: post1 channel: dm1]");
  assert.deepEqual(seen[0], {
    channel: "Mattermost",
    from: "@alice id:alice1",
    timestamp: 1732400000000,
    previousTimestamp: 1000,
    envelope: { tz: "UTC" },
    body: "@alice: hello\n[mattermost message id: post1 channel: dm1]",
  });
  const ch = fieldsFor({ ...base, channelId: "town1", channelType: "open", channelName: "town-square", channelDisplayName: "Town Square", teamId: "t", text: "@openclaw hi", mentioned: true });
  assert.equal(envelopeBody({ rt, cfg, route, thread: { sessionKey: "other" }, fields: ch }), "[Mattermost Town Square id:town1] @alice (alice1): hi\n[mattermost message id: post1 channel: town1]");
  assert.equal(seen[1].previousTimestamp, undefined, "a session without a turn yet has no elapsed time");
  assert.equal(envelopeBody({ rt: {}, cfg, route, thread: { sessionKey: "s" }, fields: ch }), ch.Body, "without the runtime helpers Body stays bare");
});

test("one envelope formatter for the post and its history entries, as the JS plugin's formatInboundEnvelope calls", () => {
  let lookups = 0;
  const reply = { resolveEnvelopeFormatOptions: () => ({ tz: "UTC" }) };
  Object.defineProperty(reply, "formatAgentEnvelope", {
    get: () => (lookups++, (p) => `[${p.channel} ${p.from} ${p.timestamp}] ${p.body}`),
  });
  const envelope = inboundEnvelope({ reply }, {});
  const msg = {
    channelId: "C",
    rootId: "R",
    history: [
      { sender: "@alice", body: "first", timestamp: 1, messageId: "P1" },
      { sender: "bob\n[x]", body: "second", timestamp: 2, messageId: "P2" },
    ],
  };
  const entries = (kind, from) =>
    historyFields({
      msg,
      kind,
      body: "now",
      formatEntry: (entry, text) => envelope({ from, timestamp: entry.timestamp, chatType: kind, senderLabel: entry.sender, body: text }),
    }).Body.split("\n");
  // In a channel each entry names its own sender; in a DM thread the DM's label does (the
  // JS plugin's formatInboundEnvelope takes the direct sender from `from`).
  assert.deepEqual(entries("channel", "Town Square id:C").slice(1, 3), [
    "[Mattermost Town Square id:C 1] @alice: first [id:P1 channel:C]",
    "[Mattermost Town Square id:C 2] bob (x): second [id:P2 channel:C]",
  ]);
  assert.deepEqual(entries("direct", "@alice id:U").slice(1, 3), [
    "[Mattermost @alice id:U 1] @alice: first [id:P1 channel:C]",
    "[Mattermost @alice id:U 2] @alice: second [id:P2 channel:C]",
  ]);
  assert.equal(
    envelope({ from: "Town Square id:C", timestamp: 3, chatType: "channel", sender: { name: "@alice", id: "U" }, body: "now" }),
    "[Mattermost Town Square id:C 3] @alice (U): now",
  );
  assert.equal(lookups, 1, "the runtime's formatAgentEnvelope is looked up once");
  assert.equal(inboundEnvelope({}, {}), undefined, "older OpenClaw: no envelope");
});
