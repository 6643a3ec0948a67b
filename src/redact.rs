//! Keeps the bot token (and a proxy's password) out of every log line and error message.
//!
//! Secrets are registered as soon as they are known (the token when the config is read, proxy
//! credentials when the proxy is chosen); from then on `redact` replaces them wherever they
//! appear. The logger runs every line through it, so even a dependency's debug log
//! that echoed a header could not leak it.

use std::borrow::Cow;
use std::io::Write;
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

/// Sets up env_logger on stderr (`RUST_LOG`, default `info`) with every line redacted.
pub fn init_logging() {
    let env = env_logger::Env::default().default_filter_or("info");
    env_logger::Builder::from_env(env)
        .target(env_logger::Target::Stderr)
        .format(|buf, record| {
            let message = record.args().to_string();
            writeln!(
                buf,
                "{} {:<5} {}: {}",
                buf.timestamp_millis(),
                record.level(),
                record.target(),
                redact(&message)
            )
        })
        .init();
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
