// The gateway-auth bypass for slash command callbacks, as @openclaw/mattermost ships it
// (`dist/gateway-auth-api.js`). The gateway enforces its own auth on every plugin route under
// `/api/channels`, whatever the route's `auth: "plugin"` says, unless the channel names the
// path here: OpenClaw loads this file by its name from the plugin's folder. Mattermost cannot
// send the gateway's token, so the callback paths under `/api/channels/mattermost/` are
// listed (the channel's and each account's); the route checks the command token itself.
// No imports: the gateway may load this file without the plugin's other modules.
const DEFAULT_CALLBACK_PATH = "/api/channels/mattermost/command";

function normalizeCallbackPath(value) {
  const trimmed = typeof value === "string" ? value.trim() : "";
  if (!trimmed) return DEFAULT_CALLBACK_PATH;
  return trimmed.startsWith("/") ? trimmed : `/${trimmed}`;
}

function pathsOf(commands) {
  const raw = commands && typeof commands === "object" && !Array.isArray(commands) ? commands : undefined;
  const paths = [normalizeCallbackPath(raw?.callbackPath)];
  const url = typeof raw?.callbackUrl === "string" ? raw.callbackUrl.trim() : "";
  if (url) {
    try {
      const { pathname } = new URL(url);
      if (pathname) paths.push(pathname);
    } catch {}
  }
  return paths;
}

const isBypassPath = (path) => path === DEFAULT_CALLBACK_PATH || path.startsWith("/api/channels/mattermost/");

/** The callback paths that skip gateway auth: only those under `/api/channels/mattermost/`. */
export function resolveGatewayAuthBypassPaths({ cfg } = {}) {
  const section = cfg?.channels?.mattermost;
  const base = section && typeof section === "object" ? section : undefined;
  const paths = new Set(pathsOf(base?.commands).filter(isBypassPath));
  for (const account of Object.values(base?.accounts ?? {})) {
    const entry = account && typeof account === "object" && !Array.isArray(account) ? account : undefined;
    for (const path of pathsOf(entry?.commands)) if (isBypassPath(path)) paths.add(path);
  }
  return [...paths];
}
