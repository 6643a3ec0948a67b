// The OpenClaw ChannelPlugin object for `mattermost`, backed by the openclaw-mattermost bridge.
import { createActions } from "./actions.js";
import { BridgeSupervisor } from "./bridge.js";
import {
  bridgeConfig,
  CHANNEL_ID,
  DEFAULT_ACCOUNT_ID,
  defaultAccountPaths,
  resolveAccount,
  resolveBinary,
  resolveReplyToMode,
  resolveStateDir,
  runtimeStore,
} from "./config.js";
import { createInboundDebounce } from "./debounce.js";
import { createDirectory } from "./directory.js";
import { admitUnaddressed, chatKind, conversationFields, handleInboundMessage, handleReaction, judgesUnaddressed, resolveThread } from "./inbound.js";
import {
  buildButtonProps,
  createInteractionAccount,
  hasNavigation,
  interactionCallbackUrl,
  interactionWarnings,
  loadPresentationSdk,
  PRESENTATION_CAPABILITIES,
  resolvePresentation,
} from "./buttons.js";
import {
  allowedModelRefs,
  currentModel,
  loadModels,
  loadModelSdk,
  renderEntryView,
  renderModelsView,
  renderProvidersView,
  resolvePickerEntry,
  selectMessageSid,
  withRefreshWarning,
} from "./model-picker.js";
import { loadOutboundSdk } from "./streaming.js";
import { DEFAULT_TABLE_MODE, textPlan } from "./text.js";
import { defaultMediaRoots, normalizeTarget, parseTarget, payloadMedia, sendThroughBridge } from "./outbound.js";
import { ensurePrivateDir, privateStateDir } from "./safe-path.js";
import { channelBase } from "./base.js";
import { doctor, setupContract, setupWizard } from "./setup.js";
import {
  buildCommandSpecs,
  cleanupCommands,
  commandContext,
  createSlashAccount,
  isSlashEnabled,
  listSkills,
  registerCommands,
  resolveCallbackUrl,
  resolveGatewayPort,
  resolveSlashConfig,
} from "./slash.js";

const APPROVED_TEXT = "OpenClaw access approved. Send a message to start chatting.";

/** Running bridges by account id (outbound sends, probes and pairing approvals use them). */
export const runningAccounts = new Map();

const pendingPairingByAccount = new Map();

/** Slash command state by account id (`createSlashAccount`): what the callback route serves. */
export const slashAccounts = new Map();
/** Button click state by account id (`createInteractionAccount`): what the click route serves. */
export const interactionAccounts = new Map();

export { runtimeStore };

function runningBridge(accountId) {
  const entry = runningAccounts.get(accountId || DEFAULT_ACCOUNT_ID);
  if (!entry) {
    throw new Error(`mattermost: account ${accountId || DEFAULT_ACCOUNT_ID} is not running (is the gateway up?)`);
  }
  return entry;
}

function logger(ctx) {
  const sink = ctx.log ?? {};
  const rt = ctx.runtime ?? {};
  return {
    info: (m) => (sink.info ?? rt.log ?? console.log)(m),
    warn: (m) => (sink.warn ?? rt.error ?? console.warn)(m),
    debug: (m) => (sink.debug ?? (() => {}))(m),
  };
}

/**
 * gateway.startAccount: spawns the bridge for one account and runs until `ctx.abortSignal`
 * fires (then stops the child: stdin closed, SIGTERM, SIGKILL). Crashes are restarted with
 * backoff; a configuration the bridge refuses (exit 2) rejects.
 * The config reaches the bridge through an inherited pipe (`--config-fd 3`), never a file.
 * Unless the account sets them, its state file and media folder are under OpenClaw's state dir
 * (see `defaultAccountPaths`), checked to be private first.
 * `options` (tests): `supervisor` timings, `binary`, `env`, `stateDir`, `system` (OpenClaw's
 * `runtime.system`, for reaction events), `modelSdk` (OpenClaw's model helpers, for the model
 * picker: model-picker.js `loadModelSdk`).
 */
export async function startAccount(ctx, options = {}) {
  const log = logger(ctx);
  const account = ctx.account ?? resolveAccount(ctx.cfg, ctx.accountId);
  const accountId = ctx.accountId ?? account.accountId;
  const rt = ctx.channelRuntime ?? runtimeStore.runtime?.channel;
  if (!rt) throw new Error("mattermost: OpenClaw gave this plugin no channel runtime");
  const env = options.env ?? process.env;
  const binary = options.binary ?? resolveBinary(account.config, env);
  const paths = {};
  if (!account.config.stateFile || !account.config.mediaDir) {
    const stateDir = privateStateDir(options.stateDir ?? resolveStateDir(runtimeStore.runtime, env));
    const defaults = defaultAccountPaths(stateDir, accountId);
    if (!account.config.stateFile) paths.stateFile = defaults.stateFile;
    if (!account.config.mediaDir) paths.mediaDir = ensurePrivateDir(defaults.mediaDir, "mattermost: the media folder");
  }
  const { text: configText, env: childEnv } = bridgeConfig(account, { env, paths, cfg: ctx.cfg });
  const bridge = new BridgeSupervisor({
    binary,
    // With OpenClaw's mention patterns and command detection at hand, the bridge also sends the
    // channel posts that fail only its mention gate: they may be addressed after all.
    args: ["--config-fd", "3", ...(judgesUnaddressed(rt) ? ["--unaddressed"] : [])],
    env: childEnv,
    configText,
    options: options.supervisor,
  });
  const entry = { bridge, account, botUsername: null, accountId, pendingPairing: null };
  // OpenClaw merges each status into the account's runtime snapshot and derives its lifecycle
  // from it (`connected: true` → ready), so only what changed is sent.
  const setStatus = (patch) => ctx.setStatus?.({ accountId, ...patch });
  // Senders waiting for a pairing approval → their DM channel. Kept across restarts of the
  // account (OpenClaw restarts a channel when the config file changes, e.g. after a CLI run).
  const pendingPairing = pendingPairingByAccount.get(accountId) ?? new Map();
  pendingPairingByAccount.set(accountId, pendingPairing);
  entry.pendingPairing = pendingPairing;
  // An agent run may outlive this bridge: OpenClaw restarts the channel when its config file is
  // written (e.g. by `openclaw pairing approve`). Its replies go through the account's current
  // bridge.
  const replyBridge = { request: (...args) => (runningAccounts.get(accountId)?.bridge ?? bridge).request(...args) };
  const system = options.system ?? runtimeStore.runtime?.system;
  // `handed`: conversations whose history went out with an unaddressed post (see inbound.js).
  // (`modelSdk`, tests: OpenClaw's model helpers, else loaded from its SDK when needed)
  const deps = { cfg: ctx.cfg, accountId, account, rt, system, bridge: replyBridge, botUsername: null, log: (m) => log.warn(m), pendingPairing, handed: new Map(), modelSdk: options.modelSdk };

  // Native slash commands (`commands.native: true`): registered once the bridge is ready,
  // callbacks refused (503) until then; the commands this run created are deleted at stop.
  const slashConfig = resolveSlashConfig(account.config.commands);
  const slash = isSlashEnabled(slashConfig)
    ? Object.assign(createSlashAccount({ accountId, bridge: replyBridge, log: (m) => log.warn(m) }), { deps, config: slashConfig })
    : null;
  if (slash) slashAccounts.set(accountId, slash);
  // Button clicks: checked with the interaction key the bridge derives from the token (set
  // once it is ready), from the sources `interactions.allowedSourceIps` allows.
  const interactions = Object.assign(
    createInteractionAccount({
      accountId,
      bridge: replyBridge,
      allowedSourceIps: account.config.interactions?.allowedSourceIps,
      trustedProxies: ctx.cfg?.gateway?.trustedProxies,
      allowRealIpFallback: ctx.cfg?.gateway?.allowRealIpFallback,
      log: (m) => log.warn(m),
    }),
    {
      systemEvent: (click) => clickSystemEvent(deps, click),
      dispatch: (click) => dispatchClick(deps, click),
      modelPicker: (click, state) => modelPickerClick(deps, click, state),
      // An `ask_user` option: answered through OpenClaw's question runtime (its SDK).
      async resolveQuestion({ questionId, optionIndex, senderId, channelId }) {
        const { questionGatewayRuntime } = await import("openclaw/plugin-sdk/question-gateway-runtime");
        return questionGatewayRuntime.resolveOption({
          cfg: ctx.cfg,
          questionId,
          optionIndex,
          senderId,
          clientDisplayName: `Mattermost question (${accountId})`,
          authorize: async () => (await replyBridge.request("authorize", { userId: senderId, channelId })).authorized === true,
        });
      },
    },
  );
  interactionAccounts.set(accountId, interactions);
  const clickUrl = interactionCallbackUrl({
    accountId,
    callbackBaseUrl: account.config.interactions?.callbackBaseUrl,
    gatewayHost: ctx.cfg?.gateway?.customBindHost,
    gatewayPort: resolveGatewayPort(ctx.cfg, env),
  });
  for (const warning of interactionWarnings({ callbackUrl: clickUrl, serverUrl: account.serverUrl, allowedSourceIps: account.config.interactions?.allowedSourceIps })) log.warn(warning);

  // The bridge's stderr (env_logger lines): its warnings and errors are worth the operator's eye.
  bridge.on("log", ({ level, text }) =>
    level !== "debug" || /\b(WARN|ERROR)\b/.test(text) ? log.warn(text) : log.debug(text),
  );
  bridge.on("ready", async (info) => {
    entry.botUsername = info.bot?.username ?? null;
    deps.botUsername = entry.botUsername;
    setStatus({ connected: true, lastConnectedAt: Date.now(), lastError: null, reconnectAttempts: bridge.restarts });
    log.info(`mattermost: bridge ready as @${entry.botUsername} (${info.transport}, server ${info.serverVersion})`);
    if (!interactions.key) {
      bridge
        .request("interactionKey", {})
        .then(({ key }) => (interactions.key = key))
        .catch((err) => log.warn(`mattermost: no interaction key from the bridge, button clicks refused: ${err.message}`));
    }
    if (slash && !slash.started) {
      slash.started = true;
      startSlash(slash, { cfg: ctx.cfg, log, botId: info.bot?.id ?? "", env }).catch((err) =>
        log.warn(`mattermost: slash command registration failed: ${err.message}`),
      );
    }
    // Approvals persisted in OpenClaw's pairing store survive bridge restarts.
    if (account.dmPolicy === "pairing") {
      try {
        const approved = await rt.pairing.readAllowFromStore({ channel: CHANNEL_ID, accountId });
        for (const userId of approved) await bridge.request("allow", { userId: String(userId) });
      } catch (err) {
        log.warn(`mattermost: could not replay pairing approvals: ${err.message}`);
      }
    }
  });
  bridge.on("status", (s) => {
    if (s.state === "connected" || s.state === "polling") setStatus({ connected: true, lastError: null });
    else if (s.state === "reconnecting" || s.state === "unauthorized")
      setStatus({ connected: false, lastError: s.error ?? s.state, lastDisconnect: { at: Date.now(), error: s.error ?? s.state } });
  });
  bridge.on("exit", ({ code, signal, expected }) => {
    if (!expected) {
      const error = `bridge exited (code ${code}, signal ${signal})`;
      setStatus({ connected: false, lastError: error, lastDisconnect: { at: Date.now(), error } });
    }
  });
  // One chain per channel keeps each channel's turns in order without holding others back.
  const lanes = new Map();
  const toLane = (msg) => {
    const key = msg.channelId ?? "";
    const prev = lanes.get(key) ?? Promise.resolve();
    const failed = (err) => log.warn(`mattermost: inbound ${msg.id} failed: ${err?.stack ?? err}`);
    const next = prev
      .then(async () => {
        const result = await handleUnauthorizedOrDispatch(deps, msg);
        result?.done?.catch(failed); // the agent run goes on; the next post may be dispatched
      })
      .catch(failed);
    lanes.set(key, next);
    next.then(() => lanes.get(key) === next && lanes.delete(key));
  };
  // Quick successive posts of one sender in one conversation: one turn (OpenClaw's debounce).
  const debounce = createInboundDebounce({
    rt,
    cfg: ctx.cfg,
    accountId,
    botUsername: () => entry.botUsername,
    deliver: toLane,
    log: (m) => log.warn(m),
  });
  bridge.on("message", (line) => {
    setStatus({ lastMessageAt: Date.now(), lastEventAt: Date.now() });
    // A post the bridge found unaddressed goes on only when OpenClaw's mention patterns or a
    // text command let it through; otherwise it stays history, which the bridge keeps.
    let msg = line;
    try {
      if (line.addressed === false) msg = admitUnaddressed(deps, line);
    } catch (err) {
      log.warn(`mattermost: inbound ${line.id} failed: ${err?.stack ?? err}`);
      return;
    }
    if (!msg) return;
    debounce.enqueue(msg).catch((err) => log.warn(`mattermost: inbound ${msg.id} failed: ${err?.stack ?? err}`));
  });

  bridge.on("reaction", (r) => {
    setStatus({ lastEventAt: Date.now() });
    try {
      const result = handleReaction(deps, r);
      if (result.queued) log.debug(`mattermost: reaction ${r.action} :${r.emoji}: on ${r.postId} → ${result.sessionKey}`);
    } catch (err) {
      log.warn(`mattermost: reaction on ${r.postId} failed: ${err?.stack ?? err}`);
    }
  });

  // `openclaw pairing approve` usually runs in another process (the CLI) and only writes
  // OpenClaw's store: watch the store for senders we challenged, then allow and tell them.
  const approvalWatch = setInterval(async () => {
    if (pendingPairing.size === 0 || !bridge.isReady) return;
    let approved;
    try {
      approved = new Set((await rt.pairing.readAllowFromStore({ channel: CHANNEL_ID, accountId })).map(String));
    } catch {
      return;
    }
    for (const [userId, channelId] of pendingPairing) {
      if (!approved.has(userId)) continue;
      pendingPairing.delete(userId);
      try {
        await bridge.request("allow", { userId });
        await bridge.request("send", { channelId, text: APPROVED_TEXT });
      } catch (err) {
        log.warn(`mattermost: telling ${userId} about the approval failed: ${err.message}`);
      }
    }
  }, options.approvalPollMs ?? 3000);
  approvalWatch.unref?.();

  runningAccounts.set(accountId, entry);
  bridge.start();
  setStatus({ running: true });
  const signal = ctx.abortSignal;
  const onAbort = async () => {
    if (interactionAccounts.get(accountId) === interactions) interactionAccounts.delete(accountId);
    if (slash) {
      if (slashAccounts.get(accountId) === slash) slashAccounts.delete(accountId);
      await cleanupCommands({ bridge, registered: slash.deactivate(), log: (m) => log.warn(m) });
    }
    bridge.stop();
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const fatal = await bridge.done;
    if (fatal) throw fatal;
  } finally {
    clearInterval(approvalWatch);
    signal?.removeEventListener("abort", onAbort);
    if (runningAccounts.get(accountId) === entry) runningAccounts.delete(accountId);
    if (interactionAccounts.get(accountId) === interactions) interactionAccounts.delete(accountId);
    setStatus({ running: false, connected: false });
  }
}

/** Registers the account's commands in every team of the bot and activates the callbacks. */
async function startSlash(slash, { cfg, log, botId, env }) {
  const specs = buildCommandSpecs({
    nativeSkills: slash.config.nativeSkills,
    skills: slash.config.nativeSkills === true ? await listSkills(cfg, (m) => log.warn(m)) : [],
  });
  const callbackUrl = resolveCallbackUrl({
    config: slash.config,
    gatewayHost: cfg?.gateway?.customBindHost,
    gatewayPort: resolveGatewayPort(cfg, env),
  });
  const { registered, failedTeams, teams } = await registerCommands({
    bridge: slash.bridge,
    botId,
    callbackUrl,
    specs,
    log: (m) => log.info(m),
  });
  if (registered.length === 0) {
    log.warn("mattermost: native slash commands enabled but no commands could be registered; keeping slash callbacks inactive");
    return;
  }
  if (failedTeams > 0) log.warn(`mattermost: slash command registration completed with ${failedTeams} team error(s)`);
  const triggerMap = new Map(specs.filter((s) => s.originalName).map((s) => [s.trigger, s.originalName]));
  slash.activate(registered, triggerMap);
  log.info(`mattermost: slash commands registered (${registered.length} commands across ${teams} teams, callback=${callbackUrl})`);
}

/** The pairing reply for a command from a DM sender not approved yet. */
export async function slashPairingReply(slash, call) {
  const { rt, accountId, pendingPairing } = slash.deps;
  pendingPairing?.set(call.user_id, call.channel_id);
  const { code } = await rt.pairing.upsertPairingRequest({
    channel: CHANNEL_ID,
    accountId,
    id: call.user_id,
    meta: { name: call.auth.sender?.username || call.user_name || call.user_id },
  });
  return rt.pairing.buildPairingReply({ channel: CHANNEL_ID, idLine: `Your Mattermost user id: ${call.user_id}`, code });
}

/** Runs an accepted command as a native OpenClaw command; replies go to the channel at the
 * top level (a callback carries no thread). */
export async function dispatchSlash(slash, call) {
  const { cfg, accountId, account, rt, bridge } = slash.deps;
  const kind = call.auth.channelType === "direct" ? "direct" : call.auth.channelType === "open" ? "channel" : "group";
  const route = rt.routing.resolveAgentRoute({
    cfg,
    channel: CHANNEL_ID,
    accountId,
    teamId: call.team_id,
    peer: { kind, id: kind === "direct" ? call.user_id : call.channel_id },
  });
  const picker = resolvePickerEntry(call.commandText);
  if (picker && (await sendModelPicker(slash.deps, { call, route, entry: picker }))) return;
  const finalize = rt.reply?.finalizeInboundContext ?? ((c) => c);
  const ctxPayload = finalize(commandContext({ accountId, route, call }));
  const plan = textPlan(rt, cfg, account);
  const target = { channelId: call.channel_id };
  const deliver = async (payload) => {
    const text = typeof payload?.text === "string" ? payload.text : "";
    const messageIds = [];
    for (const chunk of plan.chunks(text)) {
      const res = await sendThroughBridge(bridge, { target, text: chunk });
      messageIds.push(...(res.postIds ?? []));
    }
    return { messageIds, visibleReplySent: messageIds.length > 0, content: text };
  };
  const typing = { start: () => bridge.request("typing", { channelId: call.channel_id }), onStartError: () => {} };
  return dispatchOwnTurn(slash.deps, { what: "slash", route, sessionKey: route.sessionKey, ctxPayload, deliver, typing });
}

/**
 * `/oc_model`, `/oc_models [provider]`: the picker's first view, posted with its buttons at the
 * channel's top level. `false` where OpenClaw offers no model helpers: the command then runs as
 * a text command.
 */
async function sendModelPicker(deps, { call, route, entry }) {
  const sdk = deps.modelSdk ?? (await loadModelSdk());
  if (!sdk) return false;
  const { cfg, accountId, account, bridge } = deps;
  const session = { agentId: route.agentId, sessionKey: route.sessionKey };
  const data = await loadModels(sdk, cfg, session);
  const target = { channelId: call.channel_id };
  if (data.providers.length === 0) {
    await sendThroughBridge(bridge, { target, text: withRefreshWarning(data, "No models available.") });
    return true;
  }
  const view = renderEntryView(entry, { ownerUserId: call.user_id, data, currentModel: currentModel(sdk, { cfg, session, data }) });
  const props = signedButtonProps({ accountId, account, cfg, channelId: call.channel_id, buttons: view.buttons });
  await sendThroughBridge(bridge, { target, text: withRefreshWarning(data, view.text), attachments: props?.attachments });
  return true;
}

/**
 * A click on the model picker (`state`: parsePickerContext's), answered as the JS plugin
 * answers it: only by whoever opened the picker; a provider, page or back shows that view in
 * the same post (the click's `update`); a model runs OpenClaw's `/model <provider/model>` in
 * the clicked post's session, as an authorized native command, answered at once, and shows the
 * models view with the switch when it ran. The sender was authorized by the click route.
 * Resolves `{ answer, after }`: the click's answer, and what to run once it is sent.
 */
export async function modelPickerClick(deps, click, state) {
  const { payload, post, userName, auth } = click;
  if (state.ownerUserId !== payload.user_id) return { answer: { ephemeral_text: "Only the person who opened this picker can use it." } };
  const sdk = deps.modelSdk ?? (await loadModelSdk());
  if (!sdk) throw new Error("OpenClaw's model helpers are not available");
  const { cfg, accountId, account, log } = deps;
  const plan = clickPlan(deps, click);
  const session = { agentId: plan.route.agentId, sessionKey: plan.thread.sessionKey };
  const data = await loadModels(sdk, cfg, session);
  const show = (text, buttons = []) => ({
    update: {
      message: withRefreshWarning(data, text),
      props: signedButtonProps({ accountId, account, cfg, channelId: payload.channel_id, buttons }) ?? { attachments: [] },
    },
  });
  const view = (readConsistency) => {
    const current = currentModel(sdk, { cfg, session, data, readConsistency });
    const { text, buttons } =
      state.action === "providers" || state.action === "back"
        ? renderProvidersView({ ownerUserId: state.ownerUserId, data, currentModel: current })
        : renderModelsView({ ownerUserId: state.ownerUserId, data, provider: state.provider, page: state.page, currentModel: current });
    return show(text, buttons);
  };
  if (data.providers.length === 0) return { answer: show("No models available.") };
  if (state.action !== "select") return { answer: view() };
  const ref = `${state.provider}/${state.model}`;
  if (!allowedModelRefs(data).has(ref)) return { answer: { ephemeral_text: `That model is no longer available: ${ref}` } };
  const commandText = `/model ${ref}`;
  const roomLabel = auth.channelName ? `#${auth.channelName}` : auth.channelDisplayName || `#${payload.channel_id}`;
  // As the JS plugin: the click is answered at once (`{}`); then the switch runs, and once it
  // ran the post shows the models view with it (the bridge's `edit` with the new buttons). A
  // failed switch leaves the post as it was. (`after` runs once the answer is sent, inside the
  // click's request: OpenClaw admits a turn while the request that started it runs.)
  const after = async () => {
    try {
      await dispatchClickTurn(deps, click, plan, "model picker", {
        Body: commandText,
        BodyForAgent: commandText,
        RawBody: commandText,
        CommandBody: commandText,
        ConversationLabel: plan.kind === "direct" ? `Mattermost DM from ${userName}` : `Mattermost message in ${roomLabel} from ${userName}`,
        GroupSubject: plan.kind !== "direct" ? auth.channelDisplayName || roomLabel : undefined,
        SenderName: userName,
        MessageSid: selectMessageSid({ postId: post.id, provider: state.provider, model: state.model }),
        Timestamp: Date.now(),
        WasMentioned: true,
        CommandAuthorized: true,
        CommandSource: "native",
      });
      const { update } = view("latest");
      await deps.bridge.request("edit", { postId: post.id, text: update.message, attachments: update.props.attachments ?? [] });
    } catch (err) {
      log?.(`mattermost model picker select failed: ${String(err?.message ?? err)}`);
    }
  };
  return { answer: {}, after };
}

/**
 * Hands OpenClaw a turn the plugin made itself (a slash command, a button click), its replies
 * going out through `deliver`: OpenClaw's inbound dispatch where the runtime has it, else its
 * buffered reply dispatcher.
 */
function dispatchOwnTurn({ cfg, accountId, rt, log }, { what, route, sessionKey, ctxPayload, deliver, typing }) {
  const onError = (err, info) => log?.(`mattermost ${what} ${info?.kind ?? "reply"} reply failed: ${String(err)}`);
  if (typeof rt.inbound?.dispatch === "function") {
    return rt.inbound.dispatch({
      cfg,
      channel: CHANNEL_ID,
      accountId: route.accountId ?? accountId,
      route: { agentId: route.agentId, dmScope: route.dmScope, sessionKey },
      ctxPayload,
      delivery: { observeMessageSent: true, deliver, onError },
      ...(typing ? { replyPipeline: { typing } } : {}),
    });
  }
  return rt.reply.dispatchReplyWithBufferedBlockDispatcher({ ctx: ctxPayload, cfg, dispatcherOptions: { deliver, onError } });
}

/** A click's conversation: its route and the thread of the clicked post (as a reaction's). */
function clickPlan({ cfg, accountId, account, rt }, click) {
  const kind = chatKind(click.auth.channelType);
  const userId = click.payload.user_id;
  const route = rt.routing.resolveAgentRoute({
    cfg,
    channel: CHANNEL_ID,
    accountId,
    teamId: click.auth.teamId || undefined,
    peer: { kind, id: kind === "direct" ? userId : click.payload.channel_id },
  });
  const msg = { id: click.post.id, rootId: click.post.root_id };
  return { kind, route, thread: resolveThread({ msg, kind, route, replyToMode: resolveReplyToMode(account, kind) }) };
}

/** The JS plugin's system event for a click, in the clicked post's session. */
export function clickSystemEvent(deps, click) {
  const { system } = deps;
  if (typeof system?.enqueueSystemEvent !== "function") return;
  const { thread } = clickPlan(deps, click);
  const { payload, actionId, post } = click;
  const text = `Mattermost button click: action="${actionId}" by ${payload.user_name ?? payload.user_id} in channel ${payload.channel_id}`;
  system.enqueueSystemEvent(text, { sessionKey: thread.sessionKey, contextKey: `mattermost:interaction:${post.id}:${actionId}` });
}

/** A click as the JS plugin hands it to OpenClaw: `[Button click: user @<user> selected
 * "<label>"]`, not authorized as a command, replies in the clicked post's thread. */
export async function dispatchClick(deps, click) {
  const { payload, post, actionId, label, userName, auth } = click;
  const plan = clickPlan(deps, click);
  const bodyText = `[Button click: user @${userName} selected "${label}"]`;
  return dispatchClickTurn(deps, click, plan, "button-click", {
    Body: bodyText,
    BodyForAgent: bodyText,
    RawBody: bodyText,
    CommandBody: bodyText,
    ConversationLabel: `mattermost:${userName}`,
    GroupSubject: plan.kind !== "direct" ? auth.channelDisplayName || payload.channel_id : undefined,
    SenderName: userName,
    MessageSid: `interaction:${post.id}:${actionId}`,
    WasMentioned: true,
    CommandAuthorized: false,
  });
}

/**
 * Hands OpenClaw a turn a click made: `fields` (the turn's own) over the fields of the JS
 * plugin's event context (`finalizeContext`: no timestamp; the channel's name even for a DM);
 * replies go to the clicked post's thread.
 */
function dispatchClickTurn(deps, click, { kind, route, thread }, what, fields) {
  const { cfg, accountId, account, rt, bridge } = deps;
  const { payload, auth } = click;
  const finalize = rt.reply?.finalizeInboundContext ?? ((c) => c);
  const ctxPayload = finalize({
    ...fields,
    ...conversationFields({ kind, senderId: payload.user_id, channelId: payload.channel_id, accountId, route }),
    SessionKey: thread.sessionKey,
    DmScope: route.dmScope,
    ParentSessionKey: thread.parentSessionKey,
    GroupChannel: auth.channelName ? `#${auth.channelName}` : undefined,
    GroupSpace: payload.team_id || undefined,
    ReplyToId: thread.replyToId,
    MessageThreadId: thread.replyToId,
    NativeChannelId: payload.channel_id,
    InboundAccessAuthorized: true,
  });
  const plan = textPlan(rt, cfg, account);
  const deliver = async (reply) => {
    const text = typeof reply?.text === "string" ? reply.text : "";
    const messageIds = [];
    for (const chunk of plan.chunks(text)) {
      const res = await sendThroughBridge(bridge, { target: { channelId: payload.channel_id }, text: chunk, rootId: thread.replyToId });
      messageIds.push(...(res.postIds ?? []));
    }
    return { messageIds, visibleReplySent: messageIds.length > 0, content: text };
  };
  return dispatchOwnTurn(deps, { what, route, sessionKey: thread.sessionKey, ctxPayload, deliver });
}

/** Pairing: a sender approved since (in OpenClaw's store) is allowed now, then dispatched. */
async function handleUnauthorizedOrDispatch(deps, msg) {
  if (msg.authorized === false && msg.channelType === "direct") {
    const approved = await deps.rt.pairing
      .readAllowFromStore({ channel: CHANNEL_ID, accountId: deps.accountId })
      .catch(() => []);
    if (approved.map(String).includes(String(msg.sender?.id))) {
      await deps.bridge.request("allow", { userId: msg.sender.id });
      return handleInboundMessage(deps, { ...msg, authorized: true });
    }
  }
  return handleInboundMessage(deps, msg);
}

/**
 * What a send answers OpenClaw, as @openclaw/mattermost's: the channel as `target`, OpenClaw's
 * message receipt (a part a post, of `kind` text, media or card) where the SDK is at hand, the
 * last post's id. The agent sees it as the message tool's result.
 */
async function sendResult(res, { kind = "text", replyToId } = {}) {
  const ids = res.postIds ?? [];
  const sdk = await loadOutboundSdk();
  const results = ids.map((messageId) => ({ channel: CHANNEL_ID, messageId, channelId: res.channelId }));
  const receipt = sdk?.createMessageReceiptFromOutboundResults?.({ kind, ...(replyToId ? { replyToId } : {}), results });
  return {
    target: { kind: "channel", id: res.channelId },
    ...(receipt ? { receipt } : {}),
    messageId: ids.at(-1) ?? "",
    channel: CHANNEL_ID,
  };
}

/**
 * The message tool's thread context for a turn (OpenClaw's Mattermost plugin's
 * `buildMattermostThreadingToolContext`): inside an existing thread every send goes to it
 * (`all`), else the chat type's `replyToMode` decides.
 */
export function buildToolContext({ cfg, accountId, context, hasRepliedRef }) {
  const account = resolveAccount(cfg, accountId);
  const chatType = ["direct", "group", "channel"].includes(context.ChatType) ? context.ChatType : "channel";
  const id = (v) => (typeof v === "number" ? String(v) : typeof v === "string" && v.trim() ? v.trim() : undefined);
  const currentThreadTs = id(context.MessageThreadId) ?? id(context.TransportThreadId) ?? id(context.ReplyToId);
  const currentMessageId = id(context.CurrentMessageId);
  const hasExistingThread = Boolean(currentThreadTs) && (!currentMessageId || currentThreadTs !== currentMessageId);
  return {
    currentChannelId: context.To ? normalizeTarget(context.To) : undefined,
    currentThreadTs,
    currentMessageId: context.CurrentMessageId,
    replyToMode: hasExistingThread ? "all" : resolveReplyToMode(account, chatType),
    hasRepliedRef,
    sameChannelThreadRequired: Boolean(currentThreadTs),
  };
}

/** The thread a message-tool send to `to` lands in when the agent names none: the current
 * thread under `all`, and under `first` only until the turn has replied. */
export function resolveAutoThreadId({ to, replyToId, toolContext }) {
  const id = (v) => (typeof v === "number" ? String(v) : typeof v === "string" && v.trim() ? v.trim() : undefined);
  const explicit = id(replyToId);
  const currentThreadId = id(toolContext?.currentThreadTs);
  const currentMessageId = id(toolContext?.currentMessageId);
  const sameTarget = (a, b) => Boolean(a) && Boolean(b) && sameConversation(a, b);
  if (currentThreadId && sameTarget(toolContext?.currentChannelId, to)) {
    if (explicit === currentMessageId) return currentThreadId;
    if (!explicit) {
      const mode = toolContext?.replyToMode;
      return mode === "all" || (mode === "first" && toolContext?.hasRepliedRef?.value !== true) ? currentThreadId : undefined;
    }
  }
  return explicit;
}

function sameConversation(a, b) {
  const norm = (raw) => normalizeTarget(raw);
  return norm(a) !== undefined && norm(a) === norm(b);
}

/** A reply's thread: none in a flat DM (`replyToMode` `off`), else the explicit reply target
 * or the ambient thread (OpenClaw's Mattermost plugin's rule). */
export function resolveReplyTransport({ threadId, replyToId, replyToIsExplicit, replyDelivery }) {
  const ambient = threadId != null ? String(threadId) : undefined;
  const isFlatDirect = replyDelivery?.chatType === "direct" && replyDelivery.replyToMode === "off";
  const resolved = isFlatDirect
    ? undefined
    : replyDelivery
      ? replyToIsExplicit
        ? (replyToId ?? ambient)
        : (ambient ?? replyToId ?? undefined)
      : (ambient ?? replyToId);
  return { replyToId: isFlatDirect ? null : resolved, threadId: resolved ?? null };
}

/** The key an account's buttons are signed with; throws before the bridge gave it. */
function buttonKey(accountId) {
  const key = interactionAccounts.get(accountId)?.key;
  if (!key) throw new Error("mattermost: buttons cannot be signed before the bridge is ready");
  return key;
}

/** `{attachments}` of an account's buttons for a post in `channelId`, signed, calling back to
 * the account's click route (`undefined` without buttons). */
function signedButtonProps({ accountId, account, cfg, channelId, buttons, text }) {
  const callbackUrl = interactionCallbackUrl({
    accountId,
    callbackBaseUrl: account.config.interactions?.callbackBaseUrl,
    gatewayHost: cfg?.gateway?.customBindHost,
    gatewayPort: resolveGatewayPort(cfg),
  });
  return buildButtonProps({ buttons, channelId, callbackUrl, key: buttonKey(accountId), text });
}

/** OpenClaw's channel runtime's text helpers, once the plugin is registered. */
const hostText = () => runtimeStore.runtime?.channel?.text;

export const outbound = {
  // Where the bridge runs (the gateway), a send goes straight to it with all its payload
  // carries (buttons included: the gateway's `send` method takes text and media only);
  // elsewhere (the CLI) through the gateway, which runs the bridge.
  get deliveryMode() {
    return runningAccounts.size > 0 ? "direct" : "gateway";
  },
  // As OpenClaw's Mattermost plugin: OpenClaw splits a message at `textChunkLimit` (default
  // 4000; `streaming.chunkMode: "newline"` by paragraphs first) before it reaches sendText,
  // with its own splitter; the bridge still splits anything above the server's limit.
  textChunkLimit: 4000,
  chunkerMode: "markdown",
  chunker: (text, limit) => hostText()?.chunkText?.(text, limit) ?? [text],
  async sendText({ cfg, to, text, replyToId, threadId, accountId }) {
    const { bridge, account } = runningBridge(accountId);
    const { format } = textPlan({ text: hostText() }, cfg, account);
    const res = await sendThroughBridge(bridge, { target: parseTarget(to), text: format(text), rootId: replyToId ?? threadId });
    return sendResult(res, { replyToId: replyToId ?? threadId });
  },
  async sendMedia({ cfg, to, text, mediaUrl, mediaAccess, mediaLocalRoots, mediaReadFile, replyToId, threadId, accountId }) {
    const { bridge, account } = runningBridge(accountId);
    // OpenClaw's media access policy: its reader when given, else its roots, else ours.
    const readFile = mediaReadFile ?? mediaAccess?.readFile;
    const roots = mediaLocalRoots ?? mediaAccess?.localRoots ?? defaultMediaRoots(cfg);
    const { format } = textPlan({ text: hostText() }, cfg, account);
    const res = await sendThroughBridge(bridge, {
      target: parseTarget(to),
      text: format(text),
      media: payloadMedia({ mediaUrl }),
      rootId: replyToId ?? threadId,
      maxBytes: (Number(account.config.mediaMaxMb) || 20) * 1024 * 1024,
      readFile,
      roots,
    });
    return sendResult(res, { kind: "media", replyToId: replyToId ?? threadId });
  },
  // Buttons, as @openclaw/mattermost renders them: question options and value buttons become
  // signed Mattermost buttons on the first post; other actions stay in the text.
  presentationCapabilities: PRESENTATION_CAPABILITIES,
  async renderPresentation({ payload, presentation }) {
    if (payload.mediaUrls && payload.mediaUrls.length > 1) return null;
    const sdk = await loadPresentationSdk();
    if (!sdk) return null;
    const { text, buttons } = resolvePresentation(sdk, { text: payload.text, presentation, channelData: payload.channelData });
    if (!buttons.length && !hasNavigation(sdk, presentation)) return null;
    if (!buttons.length) return { ...payload, text };
    const mattermost = { ...payload.channelData?.mattermost, presentationButtons: buttons };
    return { ...payload, text, channelData: { ...payload.channelData, mattermost } };
  },
  async sendPayload(ctx) {
    const data = ctx.payload?.channelData?.mattermost;
    const buttons = Array.isArray(data?.presentationButtons) ? data.presentationButtons : undefined;
    const attachmentText = typeof data?.attachmentText === "string" ? data.attachmentText : undefined;
    const text = ctx.payload?.text ?? ctx.text ?? "";
    const mediaUrls = [...(ctx.payload?.mediaUrls ?? []), ctx.payload?.mediaUrl ?? ctx.mediaUrl].map((u) => (typeof u === "string" ? u.trim() : "")).filter(Boolean);
    if (!buttons?.length && attachmentText === undefined) {
      // Anything else: the text with the first file, then the other files.
      if (mediaUrls.length === 0) return outbound.sendText({ ...ctx, text });
      let result;
      for (const [i, mediaUrl] of [...new Set(mediaUrls)].entries()) result = await outbound.sendMedia({ ...ctx, text: i === 0 ? text : "", mediaUrl });
      return result;
    }
    const { bridge, account, accountId } = runningBridge(ctx.accountId);
    buttonKey(accountId);
    const target = parseTarget(ctx.to);
    // The channel is signed into each button: a user's DM is looked up first.
    const channelId = target.channelId ?? (await bridge.request("read", { ...target, limit: 1 })).channelId;
    const props = signedButtonProps({ accountId, account, cfg: ctx.cfg, channelId, buttons: buttons ?? [], text: attachmentText });
    const { format } = textPlan({ text: hostText() }, ctx.cfg, account);
    const res = await sendThroughBridge(bridge, {
      target: { channelId },
      text: format(text),
      media: payloadMedia({ mediaUrl: mediaUrls[0] }),
      rootId: ctx.replyToId ?? ctx.threadId,
      attachments: props?.attachments,
      maxBytes: (Number(account.config.mediaMaxMb) || 20) * 1024 * 1024,
      readFile: ctx.mediaReadFile ?? ctx.mediaAccess?.readFile,
      roots: ctx.mediaLocalRoots ?? ctx.mediaAccess?.localRoots ?? defaultMediaRoots(ctx.cfg),
    });
    // (as the JS plugin's: a post with files is media, else one with buttons a card)
    return sendResult(res, { kind: mediaUrls.length ? "media" : "card", replyToId: ctx.replyToId ?? ctx.threadId });
  },
};

export const actions = createActions(
  (accountId) => runningBridge(accountId).bridge,
  () => runningAccounts.size > 0,
);

export const mattermostPlugin = {
  ...channelBase,
  // OpenClaw's block streaming (mode `off` with `streaming.block.enabled`) joins blocks to at
  // least this much text or this long a pause, unless `streaming.block.coalesce` says otherwise
  // (OpenClaw reads that key itself): the JS plugin's defaults.
  streaming: { blockStreamingCoalesceDefaults: { minChars: 1500, idleMs: 1000 } },
  setupContract,
  setupWizard,
  doctor,
  directory: createDirectory((accountId) => runningAccounts.get(accountId)?.bridge),
  security: {
    resolveDmPolicy: ({ account }) => ({
      policy: account.dmPolicy,
      allowFrom: account.allowFrom,
      policyPath: "channels.mattermost.dmPolicy",
      allowFromPath: "channels.mattermost.allowFrom",
      approveHint: "openclaw pairing approve mattermost <code>",
    }),
  },
  pairing: {
    idLabel: "mattermostUserId",
    normalizeAllowEntry: (entry) => String(entry).trim().replace(/^(mattermost|user):/i, ""),
    async notifyApproval({ id, accountId, meta }) {
      // Runs where the approval happens; when that is the gateway, tell the bridge at once.
      // Elsewhere the next DM from this user finds the approval in the store (see inbound).
      const entry = runningAccounts.get(accountId || DEFAULT_ACCOUNT_ID);
      if (!entry) return;
      entry.pendingPairing?.delete(String(id));
      await entry.bridge.request("allow", { userId: String(id) });
      await entry.bridge.request("send", { userId: String(id), text: meta?.message ?? APPROVED_TEXT });
    },
  },
  messaging: {
    // OpenClaw's resolveMarkdownTableMode reads this when markdown.tables is unset.
    defaultMarkdownTableMode: DEFAULT_TABLE_MODE,
    normalizeTarget,
    inferTargetChatType: ({ to }) => {
      let t;
      try {
        t = parseTarget(to);
      } catch {
        return undefined;
      }
      if (t.peerId) return undefined; // a user's or a channel's: the bridge finds out
      return t.userId || t.username ? "direct" : "channel";
    },
    targetResolver: {
      // @openclaw/mattermost's test (looksLikeMattermostTargetId)
      looksLikeId: (raw) => {
        const s = String(raw ?? "").trim();
        return /^(user|channel|group|mattermost):/i.test(s) || s.startsWith("@") || /^[a-z0-9]{26}(__[a-z0-9]{26})?$/i.test(s);
      },
      hint: "<channelId|user:ID|channel:ID>",
    },
  },
  threading: {
    buildToolContext,
    // OpenClaw asks for the mode of the chat type when it threads the message tool's sends.
    scopedAccountReplyToMode: {
      resolveAccount: (cfg, accountId) => resolveAccount(cfg, accountId),
      resolveReplyToMode: (account, chatType) =>
        resolveReplyToMode(account, chatType === "direct" || chatType === "group" ? chatType : "channel"),
    },
    resolveAutoThreadId,
    resolveReplyTransport,
  },
  outbound,
  actions,
  status: {
    defaultRuntime: { accountId: DEFAULT_ACCOUNT_ID, running: false, connected: false, lastError: null },
    async probeAccount({ account }) {
      const entry = runningAccounts.get(account.accountId);
      if (!entry) return { ok: false, error: "bridge not running" };
      try {
        return { ok: true, ...(await entry.bridge.request("status", {}, { timeoutMs: 5000 })) };
      } catch (err) {
        return { ok: false, error: err.message };
      }
    },
  },
  gateway: { startAccount: (ctx) => startAccount(ctx) },
};
