//! Keeps the bot token (and a proxy's password) out of every log line and error message.
//!
//! Secrets are registered as soon as they are known (the token when the config is read, proxy
//! credentials when the proxy is chosen); from then on `redact` replaces them wherever they
//! appear. The logger runs every line through it, so even a dependency's debug log
//! that echoed a header could not leak it. That is the second line of defence: the first is
//! that the network crates' trace output, which dumps raw request bytes (hex included, where
//! no text match can find the token), is dropped unformatted whatever `RUST_LOG` says.

use log::{Level, Metadata};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::{PoisonError, RwLock};

/// The config's secrets (kept for the process's life), then the server's slash command tokens
/// (the newest `MAX_SERVER_SECRETS`).
static SECRETS: RwLock<Secrets> = RwLock::new(Secrets {
    config: Vec::new(),
    server: VecDeque::new(),
});
const MASK: &str = "[redacted]";
/// Slash command tokens masked at once: the bot's own commands in every team it may serve
/// (9 each, at most 100 teams), with room to spare. A server that hands out new tokens at each
/// listing cannot grow the set, or the work each log line costs, past it.
pub const MAX_SERVER_SECRETS: usize = 1024;

struct Secrets {
    config: Vec<String>,
    server: VecDeque<String>,
}

impl Secrets {
    fn iter(&self) -> impl Iterator<Item = &String> {
        self.config.iter().chain(self.server.iter())
    }
}

/// Registers a secret of the config: the bot token, a proxy's password (registering one twice
/// is harmless). Secrets shorter than 4 characters are not masked (they would mangle ordinary
/// text; a token that short is rejected by config validation anyway).
pub fn register_secret(secret: &str) {
    register(secret, false);
}

/// Registers a secret the server handed out (a slash command's token): the oldest is forgotten
/// once `MAX_SERVER_SECRETS` are kept; the config's secrets never are.
pub fn register_server_secret(secret: &str) {
    register(secret, true);
}

fn register(secret: &str, from_server: bool) {
    if secret.len() < 4 {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(PoisonError::into_inner);
    if secrets.iter().any(|s| s == secret) {
        return;
    }
    if !from_server {
        secrets.config.push(secret.to_string());
        return;
    }
    if secrets.server.len() == MAX_SERVER_SECRETS {
        secrets.server.pop_front();
    }
    secrets.server.push_back(secret.to_string());
}

/// The text with every occurrence of every registered secret masked.
pub fn redact(text: &str) -> Cow<'_, str> {
    let secrets = SECRETS.read().unwrap_or_else(PoisonError::into_inner);
    let mut text = Cow::Borrowed(text);
    for secret in secrets.iter() {
        if text.contains(secret.as_str()) {
            text = Cow::Owned(text.replace(secret.as_str(), MASK));
        }
    }
    text
}

/// Crates whose trace output holds raw wire bytes: ureq-proto hex-dumps every request,
/// `Authorization` header included; tungstenite prints the upgrade request and frame payloads;
/// rustls and webpki handle key material. Their lines stop at `CAPPED_AT`.
const NOISY_CRATES: &[&str] = &["ureq", "ureq_proto", "tungstenite", "rustls", "webpki"];
const CAPPED_AT: Level = Level::Debug;

/// Whether a record may be logged at all: the noisy crates stop at `CAPPED_AT`, so their
/// records above it are refused in `enabled` (`log_enabled!` guards skip building dumps) and
/// never formatted. Unlike a `RUST_LOG` directive, no setting can lift the cap.
pub(crate) fn allowed(metadata: &Metadata) -> bool {
    let krate = metadata.target().split("::").next().unwrap_or("");
    metadata.level() <= CAPPED_AT || !NOISY_CRATES.contains(&krate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_occurrence() {
        register_secret("s3cr3t-token-value");
        assert_eq!(
            redact("Bearer s3cr3t-token-value and s3cr3t-token-value"),
            "Bearer [redacted] and [redacted]"
        );
        assert!(matches!(redact("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn noisy_crates_stop_at_debug_and_ours_do_not() {
        let allowed_at = |target: &str, level: Level| {
            allowed(&Metadata::builder().target(target).level(level).build())
        };
        for noisy in [
            "ureq_proto::util",
            "ureq::run",
            "tungstenite::protocol",
            "rustls",
        ] {
            assert!(!allowed_at(noisy, Level::Trace), "{noisy}");
            assert!(allowed_at(noisy, Level::Debug), "{noisy}");
        }
        assert!(allowed_at("openclaw_mattermost::bridge", Level::Trace));
        assert!(
            allowed_at("ureqx", Level::Trace),
            "a crate name, not a prefix"
        );
    }

    #[test]
    fn server_secrets_are_bounded_and_never_push_out_the_config_ones() {
        register_secret("the-bot-token-for-bounds");
        for n in 0..MAX_SERVER_SECRETS + 10 {
            register_server_secret(&format!("cmdtoken{n:05}"));
        }
        let kept = SECRETS.read().unwrap().server.len();
        assert_eq!(kept, MAX_SERVER_SECRETS);
        assert_eq!(
            redact("cmdtoken00000"),
            "cmdtoken00000",
            "the oldest is forgotten"
        );
        let newest = format!("cmdtoken{:05}", MAX_SERVER_SECRETS + 9);
        assert_eq!(redact(&newest), "[redacted]");
        assert_eq!(redact("the-bot-token-for-bounds"), "[redacted]");
    }

    #[test]
    fn every_registered_secret_is_masked() {
        register_secret("first-secret-1234");
        register_secret("proxy-password-5678");
        register_secret("first-secret-1234");
        assert_eq!(
            redact("a first-secret-1234 b proxy-password-5678 c"),
            "a [redacted] b [redacted] c"
        );
    }
}
