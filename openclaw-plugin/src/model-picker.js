// The model picker of native slash commands, as @openclaw/mattermost has it (its
// model-picker.ts): `/oc_model` and `/oc_models [provider]` answer with a post of buttons
// (providers, then a provider's models eight a page, then select), each button's context
// carrying the picker's state and signed like any other button (buttons.js). A click shows the
// next view in the same post; a model's click switches the conversation's session with
// OpenClaw's own `/model` command (channel.js runs both). The models and the session's current
// one come from OpenClaw's SDK, loaded lazily: without it the commands stay text commands.
import { createHash } from "node:crypto";

/** The context key that marks a picker's button (the JS plugin's). */
export const PICKER_CONTEXT_KEY = "oc_model_picker";
const PAGE_SIZE = 8;
/** Each action's id prefix; the rest is a digest of the button's state. */
const ACTION_IDS = { providers: "mdlprov", list: "mdllist", select: "mdlsel", back: "mdlback" };

const trimmed = (v) => (typeof v === "string" ? v.trim() || undefined : undefined);
/** OpenClaw's normalizeProviderId: trimmed, lower case. */
export const normalizeProvider = (v) => trimmed(v)?.toLowerCase() ?? "";

/** `provider/model` split at the first slash, or `null`. */
export function splitModelRef(ref) {
  const match = trimmed(ref)?.match(/^([^/]+)\/(.+)$/u);
  if (!match) return null;
  const provider = normalizeProvider(match[1]);
  const model = trimmed(match[2]);
  return provider && model ? { provider, model } : null;
}

/** A page: a finite number, at least 1 (else 1). */
const normalizePage = (value) => (Number.isFinite(value) ? Math.max(1, Math.floor(value)) : 1);

/** A context's number: a finite number or an integer's text. */
const contextNumber = (value) => (typeof value === "string" && /^[+-]?\d+$/.test(value.trim()) ? Number(value.trim()) : value);

function paginate(items, page) {
  const totalPages = Math.max(1, Math.ceil(items.length / PAGE_SIZE));
  const safePage = Math.max(1, Math.min(normalizePage(page), totalPages));
  const start = (safePage - 1) * PAGE_SIZE;
  return { items: items.slice(start, start + PAGE_SIZE), page: safePage, totalPages, hasPrev: safePage > 1, hasNext: safePage < totalPages, totalItems: items.length };
}

/** One button: its state (keys in the JS plugin's order, which its id's digest depends on). */
function button({ action, ownerUserId, provider, page, model, text, style }) {
  const state =
    action === "providers" || action === "back"
      ? { action, ownerUserId }
      : action === "list"
        ? { action, ownerUserId, provider: normalizeProvider(provider), page: normalizePage(page) }
        : { action, ownerUserId, provider: normalizeProvider(provider), page: normalizePage(page), model: trimmed(model) ?? "" };
  const digest = createHash("sha256").update(JSON.stringify(state)).digest("hex").slice(0, 12);
  return { id: `${ACTION_IDS[action]}${digest}`, text, ...(style ? { style } : {}), context: { [PICKER_CONTEXT_KEY]: true, ...state } };
}

const currentLine = (currentModel) => {
  const parsed = splitModelRef(currentModel);
  return parsed ? `Current: ${parsed.provider}/${parsed.model}` : "Current: default";
};

/** What a command's text opens: `/model` the summary, `/models` the providers, `/models <p>`
 * a provider's models; anything else is no picker (`null`). */
export function resolvePickerEntry(commandText) {
  const normalized = String(commandText ?? "").trim().replace(/\s+/g, " ");
  if (/^\/model$/i.test(normalized)) return { kind: "summary" };
  if (/^\/models$/i.test(normalized)) return { kind: "providers" };
  const match = normalized.match(/^\/models\s+(\S+)$/i);
  return match?.[1] ? { kind: "models", provider: normalizeProvider(match[1]) } : null;
}

/** A click's picker state from its (verified) context, or `null` when it is no picker's. */
export function parsePickerContext(context) {
  if (!context || context[PICKER_CONTEXT_KEY] !== true) return null;
  const ownerUserId = trimmed(context.ownerUserId) ?? "";
  const action = trimmed(context.action) ?? "";
  if (!ownerUserId) return null;
  if (action === "providers" || action === "back") return { action, ownerUserId };
  const provider = normalizeProvider(context.provider);
  if (!provider) return null;
  const page = normalizePage(contextNumber(context.page));
  if (action === "list") return { action, ownerUserId, provider, page };
  if (action !== "select") return null;
  const model = trimmed(context.model) ?? "";
  return model ? { action, ownerUserId, provider, page, model } : null;
}

/** `/oc_model`: the current model and a button to browse. */
export function renderSummaryView({ ownerUserId, currentModel }) {
  return {
    text: [
      currentLine(currentModel),
      "",
      "Tap below to browse models, or use:",
      "/oc_model <provider/model> to switch",
      "Browse keeps the current runtime; use /oc_model <provider/model> --runtime <runtime> to switch runtime too",
      "/oc_model status for details",
    ].join("\n"),
    buttons: [[button({ action: "providers", ownerUserId, text: "Browse providers", style: "primary" })]],
  };
}

/** One button per provider, with its count of models; the current one's primary. */
export function renderProvidersView({ ownerUserId, data, currentModel }) {
  const current = splitModelRef(currentModel)?.provider;
  const rows = data.providers.map((provider) => [
    button({ action: "list", ownerUserId, text: `${provider} (${data.byProvider.get(provider)?.size ?? 0})`, provider, page: 1, style: provider === current ? "primary" : "default" }),
  ]);
  return { text: [currentLine(currentModel), "", "Select a provider:"].join("\n"), buttons: rows };
}

/** A provider's models, a page of them, with Prev/Next and a way back. */
export function renderModelsView({ ownerUserId, data, provider: raw, page: requested, currentModel }) {
  const provider = normalizeProvider(raw);
  const models = [...(data.byProvider.get(provider) ?? [])].sort();
  const current = splitModelRef(currentModel);
  const back = [button({ action: "back", ownerUserId, text: "Back to providers" })];
  if (models.length === 0) return { text: [currentLine(currentModel), "", `Unknown provider: ${provider}`].join("\n"), buttons: [back] };
  const page = paginate(models, requested);
  const rows = page.items.map((model) => {
    const isCurrent = current?.provider === provider && current?.model === model;
    return [button({ action: "select", ownerUserId, text: isCurrent ? `${model} [current]` : model, provider, model, page: page.page, style: isCurrent ? "primary" : "default" })];
  });
  const nav = [];
  if (page.hasPrev) nav.push(button({ action: "list", ownerUserId, text: "Prev", provider, page: page.page - 1 }));
  if (page.hasNext) nav.push(button({ action: "list", ownerUserId, text: "Next", provider, page: page.page + 1 }));
  if (nav.length > 0) rows.push(nav);
  rows.push(back);
  return {
    text: [`Models (${provider}) - ${page.totalItems} available`, currentLine(currentModel), `Page ${page.page}/${page.totalPages}`, "Select a model to switch immediately."].join("\n"),
    buttons: rows,
  };
}

/** The view a command opens (`resolvePickerEntry`'s entry). */
export function renderEntryView(entry, { ownerUserId, data, currentModel }) {
  if (entry.kind === "summary") return renderSummaryView({ ownerUserId, currentModel });
  if (entry.kind === "providers") return renderProvidersView({ ownerUserId, data, currentModel });
  return renderModelsView({ ownerUserId, data, provider: entry.provider, page: 1, currentModel });
}

/** Every `provider/model` the picker offers: what a select may switch to. */
export function allowedModelRefs(data) {
  const refs = new Set();
  for (const provider of data.providers) for (const model of data.byProvider.get(provider) ?? []) refs.add(`${provider}/${model}`);
  return refs;
}

/** A select's turn id (`MessageSid`). */
export const selectMessageSid = ({ postId, provider, model }) =>
  `interaction:${postId}:select:${normalizeProvider(provider)}/${trimmed(model)?.toLowerCase() ?? ""}`;

/** A view's text under the model catalog's refresh warning, when it has one. */
export const withRefreshWarning = (data, text) => [data.refreshWarning, text].filter(Boolean).join("\n\n");

/** OpenClaw's model and session helpers (its SDK, next to the gateway), or `null` without them. */
export async function loadModelSdk() {
  try {
    const [models, store, auth] = await Promise.all([
      import("openclaw/plugin-sdk/models-provider-runtime"),
      import("openclaw/plugin-sdk/session-store-runtime"),
      import("openclaw/plugin-sdk/command-auth-native"),
    ]);
    const sdk = {
      buildPreparedModelsProviderData: models.buildPreparedModelsProviderData,
      getSessionEntry: store.getSessionEntry,
      resolveStorePath: store.resolveStorePath,
      resolveStoredModelOverride: auth.resolveStoredModelOverride,
    };
    return Object.values(sdk).every((f) => typeof f === "function") ? sdk : null;
  } catch {
    return null;
  }
}

/** A session's entry reader (`latest`: past OpenClaw's store cache, after a switch). */
function sessionReader(sdk, cfg, agentId, readConsistency) {
  const storePath = sdk.resolveStorePath(cfg.session?.store, { agentId });
  return (sessionKey) => sdk.getSessionEntry({ storePath, sessionKey, ...(readConsistency === "latest" ? { readConsistency } : {}) });
}

/** The models OpenClaw offers the session `{agentId, sessionKey}`: `{providers, byProvider,
 * resolvedDefault, refreshWarning?}`. */
export async function loadModels(sdk, cfg, { agentId, sessionKey }) {
  const sessionEntry = sessionReader(sdk, cfg, agentId, "latest")(sessionKey);
  return sdk.buildPreparedModelsProviderData(cfg, agentId, { sessionEntry });
}

/** The session's model as `provider/model`: its stored override (or its parent's), else the
 * agent's default. */
export function currentModel(sdk, { cfg, session, data, readConsistency }) {
  const fallback = `${data.resolvedDefault.provider}/${data.resolvedDefault.model}`;
  try {
    const read = sessionReader(sdk, cfg, session.agentId, readConsistency);
    const sessionEntry = read(session.sessionKey);
    const override = sdk.resolveStoredModelOverride({
      sessionEntry,
      loadSessionEntry: read,
      sessionKey: session.sessionKey,
      parentSessionKey: sessionEntry?.parentSessionKey,
      defaultProvider: data.resolvedDefault.provider,
    });
    if (!override?.model) return fallback;
    const provider = (override.provider || data.resolvedDefault.provider).trim();
    return provider ? `${provider}/${override.model}` : fallback;
  } catch {
    return fallback;
  }
}
