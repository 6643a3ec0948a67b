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
use std::sync::{PoisonError, RwLock};

static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());
const MASK: &str = "[redacted]";

/// Registers a secret (registering one twice is harmless). Secrets shorter than 4 characters
/// are not masked (they would mangle ordinary text; a token that short is rejected by config
/// validation anyway).
pub fn register_secret(secret: &str) {
    if secret.len() < 4 {
        return;
    }
    let mut secrets = SECRETS.write().unwrap_or_else(PoisonError::into_inner);
    if !secrets.iter().any(|s| s == secret) {
        secrets.push(secret.to_string());
    }
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
