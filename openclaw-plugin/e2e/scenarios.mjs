// The differential suite's table (issue 15): each scenario is run once with OpenClaw's own
// plugin @openclaw/mattermost and once with ours, on the same channel config, against a fresh
// fake Mattermost each time; diff.mjs records what the agent received and what was posted.
//
// A scenario: `name`; `phase` (the channel config it runs under, PHASES below; one gateway
// start per phase and plugin); `expect` ("reply": wait for something to happen, "none": watch
// for a while, nothing should); `run(ctx)` (posts as users through the fake, or sends with
// the `openclaw message send` CLI).
//
// DIFFERENCES lists the rows where ours may differ from the JS plugin, each with its reason:
// `deliberate` (we differ on purpose; also in docs/switching.md) or `until` (a feature not
// landed yet: the row is expected to differ until it does, and the report says when it stops
// differing so that the entry can go). Any other difference fails the suite.

/** The channel config of each phase, on top of the base (diff.mjs `channelConfig`). */
export const PHASES = {
  // The JS plugin's defaults: chatmode oncall, dmPolicy pairing, groupPolicy allowlist (its
  // groupAllowFrom falls back to allowFrom), replyToMode off, streaming partial.
  base: {},
  onmessage: { chatmode: "onmessage", textChunkLimit: 1500 },
  onchar: { chatmode: "onchar", contextVisibility: "allowlist", streaming: { mode: "off" } },
  // Features other work is landing (DIFFERENCES says which rows wait on which).
  groups: {
    groupPolicy: "open",
    groups: { offtopic000000000000000001: { requireMention: false } },
    streaming: { mode: "progress", progress: { label: "Working", toolProgress: true } },
  },
  // (capabilities: read by OpenClaw, shown in the agent's runtime line; groupAllowFrom by the
  // senders' names under dangerouslyAllowNameMatching)
  replies: {
    replyToMode: "all",
    markdown: { tables: "code" },
    responsePrefix: "[bot]",
    streaming: { mode: "block" },
    capabilities: ["inlineButtons"],
    dangerouslyAllowNameMatching: true,
    groupAllowFrom: ["alice", "@Bob"],
  },
};
};
// (phases appended below the table's first five keep their own lines: helpers add them at once)
// The history keys' fallbacks (set outside channels.mattermost, PHASE_OPENCLAW).
PHASES.fallbacks = {};

/** OpenClaw's own keys of a phase, beside `channels.mattermost` (both sides get the same). */
export const PHASE_OPENCLAW = {
  // Inbound debounce: quick successive posts of one sender become one turn.
  replies: { messages: { inbound: { debounceMs: 1500 } } },
  fallbacks: {
    messages: { groupChat: { historyLimit: 1 } },
    channels: { defaults: { contextVisibility: "allowlist_quote" } },
  },
};

const tag = (name) => `E2E-${name}`;

export const SCENARIOS = [
  {
    name: "dm",
    phase: "base",
    expect: "reply",
    run: ({ post, ids }) => post("alice", ids.dmAlice, `hello ${tag("dm")}`),
  },
  {
    name: "channel mention",
    phase: "base",
    expect: "reply",
    run: ({ post, ids }) => post("alice", ids.townSquare, `@openclaw what is up ${tag("mention")}`),
  },
  {
    name: "channel, no mention (oncall)",
    phase: "base",
    expect: "none",
    run: ({ post, ids }) => post("alice", ids.townSquare, `just chatting ${tag("nomention")}`),
  },
  {
    name: "thread reply",
    phase: "base",
    expect: "reply",
    run: async ({ post, ids }) => {
      const root = await post("alice", ids.townSquare, "a thread root");
      await post("alice", ids.townSquare, `@openclaw in the thread ${tag("thread")}`, { rootId: root });
    },
  },
  {
    name: "pairing (dmPolicy pairing, unknown sender)",
    phase: "base",
    expect: "reply",
    run: ({ post, ids }) => post("bob", ids.dmBob, `hi, I am bob ${tag("pairing")}`),
  },
  {
    name: "allowlist refusal (channel mention by a stranger)",
    phase: "base",
    expect: "none",
    run: ({ post, ids }) => post("bob", ids.townSquare, `@openclaw let me in ${tag("refused")}`),
  },
  {
    name: "long reply (default chunk limit)",
    phase: "base",
    expect: "reply",
    run: ({ post, ids }) => post("alice", ids.dmAlice, `${tag("long")} LONGREPLY:9000`),
  },
  {
    name: "send to channel:<id>",
    phase: "base",
    expect: "reply",
    run: ({ send, ids }) => send(`channel:${ids.offTopic}`, tag("out-channel")),
  },
  {
    name: "send to user:<id>",
    phase: "base",
    expect: "reply",
    run: ({ send, ids }) => send(`user:${ids.aliceId}`, tag("out-user")),
  },
  {
    name: "send to @username",
    phase: "base",
    expect: "reply",
    run: ({ send }) => send("@alice", tag("out-username")),
  },
  {
    name: "chatmode onmessage, no mention",
    phase: "onmessage",
    expect: "reply",
    run: ({ post, ids }) => post("alice", ids.townSquare, `no mention here ${tag("onmessage")}`),
  },
  {
    name: "long reply (textChunkLimit 1500)",
    phase: "onmessage",
    expect: "reply",
    run: ({ post, ids }) => post("alice", ids.dmAlice, `${tag("long-limit")} LONGREPLY:4000`),
  },
  {
    name: "chatmode onchar, > prefix",
    phase: "onchar",
    expect: "reply",
    run: ({ post, ids }) => post("alice", ids.townSquare, `>what now ${tag("onchar")}`),
  },
  {
    name: "chatmode onchar, mention",
    phase: "onchar",
    expect: "reply",
    run: ({ post, ids }) => post("alice", ids.offTopic, `@openclaw hello ${tag("onchar-mention")}`),
  },
  {
    name: "chatmode onchar, no prefix",
    phase: "onchar",
    expect: "none",
    run: ({ post, ids }) => post("alice", ids.townSquare, `plain words ${tag("onchar-plain")}`),
  },
  {
    name: "groupPolicy open: a stranger's mention",
    phase: "groups",
    expect: "reply",
    run: ({ post, ids }) => post("bob", ids.townSquare, `@openclaw I am new ${tag("open")}`),
  },
  {
    name: "groups.<id>.requireMention false: no mention there",
    phase: "groups",
    expect: "reply",
    run: ({ post, ids }) => post("alice", ids.offTopic, `anyone? ${tag("no-mention-needed")}`),
  },
  {
    name: "implicit mention: follow-up in a thread the bot answered",
    phase: "groups",
    expect: "reply",
    run: async ({ post, ids, settle }) => {
      const root = await post("alice", ids.townSquare, "a new topic");
      await post("alice", ids.townSquare, `@openclaw your view? ${tag("participation-1")}`, { rootId: root });
      await settle();
      await post("alice", ids.townSquare, `and one more thing ${tag("participation-2")}`, { rootId: root });
    },
  },
  {
    name: "history: a mention after un-addressed posts",
    phase: "groups",
    expect: "reply",
    run: async ({ post, ids, settle }) => {
      await post("alice", ids.townSquare, "first, some context nobody answers");
      await post("bob", ids.townSquare, "and a second voice");
      await settle("none");
      await post("alice", ids.townSquare, `@openclaw what did we say? ${tag("history")}`);
    },
  },
  {
    name: "replyToMode all: a top-level mention",
    phase: "replies",
    expect: "reply",
    run: ({ post, ids }) => post("alice", ids.townSquare, `@openclaw thread this ${tag("reply-all")}`),
  },
  {
    name: "markdown.tables code + responsePrefix",
    phase: "replies",
    expect: "reply",
    run: ({ post, ids }) => post("alice", ids.dmAlice, `${tag("table")} TABLEREPLY`),
  },
  {
    name: "capabilities: what the agent is told",
    phase: "replies",
    expect: "reply",
    // (OpenClaw shows the agent the channel's capabilities in its runtime line)
    run: ({ post, ids }) => post("alice", ids.dmAlice, `what can you do here? ${tag("capabilities")}`),
  },
  {
    name: "dangerouslyAllowNameMatching: groupAllowFrom by name",
    phase: "replies",
    expect: "reply",
    run: ({ post, ids }) => post("bob", ids.offTopic, `@openclaw bob by name ${tag("by-name")}`),
  },
  {
    name: "inbound debounce: two quick DMs are one turn",
    phase: "replies",
    expect: "reply",
    run: async ({ post, ids }) => {
      await post("alice", ids.dmAlice, "first half of a thought");
      await post("alice", ids.dmAlice, `and the second half ${tag("debounce")}`);
    },
  },
  // Streaming, one row per mode (the phase sets the mode): a turn of two assistant messages
  // with a tool call between them (the echo model's TOOLREPLY), so that block sealing, tool
  // lines and the status post show. `edits`: the table also says which posts were edited.
  {
    name: "streaming partial: a tool call between two messages",
    phase: "base",
    expect: "reply",
    edits: true,
    run: ({ post, ids }) => post("alice", ids.dmAlice, `${tag("stream-partial")} TOOLREPLY`),
  },
  {
    name: "streaming off: a tool call between two messages",
    phase: "onchar",
    expect: "reply",
    edits: true,
    run: ({ post, ids }) => post("alice", ids.dmAlice, `${tag("stream-off")} TOOLREPLY`),
  },
  {
    name: "streaming progress: a status post with the tool line",
    phase: "groups",
    expect: "reply",
    edits: true,
    run: ({ post, ids }) => post("alice", ids.dmAlice, `${tag("stream-progress")} TOOLREPLY`),
  },
  {
    name: "streaming block: a post sealed at the tool call",
    phase: "replies",
    expect: "reply",
    edits: true,
    run: ({ post, ids }) => post("alice", ids.dmAlice, `${tag("stream-block")} TOOLREPLY`),
  },
  {
    name: "history: a stranger's post is context (contextVisibility all, the default)",
    phase: "base",
    expect: "reply",
    run: async ({ post, ids, settle }) => {
      await post("bob", ids.townSquare, "a stranger's aside");
      await settle("none");
      await post("alice", ids.townSquare, `@openclaw anything new? ${tag("visibility-all")}`);
    },
  },
  {
    name: "history: contextVisibility allowlist leaves a stranger's post out",
    phase: "onchar",
    expect: "reply",
    run: async ({ post, ids, settle }) => {
      await post("bob", ids.townSquare, "a stranger's aside, not for the agent");
      await settle("none");
      await post("alice", ids.townSquare, `>what was said? ${tag("visibility-allowlist")}`);
    },
  },
  {
    name: "history: messages.groupChat.historyLimit and channels.defaults.contextVisibility (allowlist_quote)",
    phase: "fallbacks",
    expect: "reply",
    run: async ({ post, ids, settle }) => {
      await post("alice", ids.townSquare, "one");
      await post("alice", ids.townSquare, "two");
      await post("bob", ids.townSquare, "three, from a stranger");
      await settle("none");
      // historyLimit 1 keeps the last recorded post; the stranger's is not recorded: "two".
      await post("alice", ids.townSquare, `@openclaw the last word? ${tag("fallbacks")}`);
    },
  },
];

/**
 * Keys only one side's `channels.mattermost` gets, each with the reason: everything else of
 * the block is the same for both. `value(info)` reads the fake's fixture.
 */
export const CONFIG_DIFFERENCES = [];

/** Rows where ours may differ, with the reason (see the top of this file). */
export const DIFFERENCES = {
  "history: messages.groupChat.historyLimit and channels.defaults.contextVisibility (allowlist_quote)": {
    until:
      "a run with the schema fixed: it declared contextVisibility with default \"all\", which OpenClaw filled in, so channels.defaults.contextVisibility never applied (the 09:55 run: messages.groupChat.historyLimit 1 applied, the stranger's post kept); the default is gone since, not run yet",
  },
  // The gateway restarts for this phase: ours catches up what was posted in the channel while
  // it was down (the JS plugin has no catch-up), and the un-addressed "plain words" post of the
  // onchar phase is history for the next mention there (the echo model then answers its tag).
  "groupPolicy open: a stranger's mention": {
    deliberate:
      "ours catches up posts made before the gateway restarted (the JS plugin has no catch-up), so an un-addressed one from the previous phase reaches the agent as history",
  },
  // Seen in the run of 2026-12-01 09:10: the JS plugin answered each post in its own turn.
  "inbound debounce: two quick DMs are one turn": {
    deliberate:
      "ours joins a sender's quick posts into one turn as OpenClaw's debounce is meant to (messages.inbound.debounceMs); the JS plugin hands its debouncer one post at a time from its durable ingress queue, each after the previous turn was taken up, so posts arriving on the socket are never joined (read in its code: waitForDeliveryIdleBeforeRepump)",
  },
};
