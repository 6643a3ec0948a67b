//! Keeps the bot token out of every log line and error message.
//!
//! The token is registered once, as soon as the config is read; from then on `redact` replaces it
//! wherever it appears. The logger runs every line through it, so even a dependency's debug log
//! that echoed a header could not leak it.

use std::borrow::Cow;
use std::io::Write;
use std::sync::OnceLock;

static SECRET: OnceLock<String> = OnceLock::new();
const MASK: &str = "[redacted]";

/// Registers the token; only the first call counts. Tokens shorter than 4 characters are not
/// masked (they would mangle ordinary text and are rejected by config validation anyway).
pub fn register_secret(token: &str) {
    if token.len() >= 4 {
        let _ = SECRET.set(token.to_string());
    }
}

/// The text with every occurrence of the registered token masked.
pub fn redact(text: &str) -> Cow<'_, str> {
    match SECRET.get() {
        Some(secret) if text.contains(secret.as_str()) => {
            Cow::Owned(text.replace(secret.as_str(), MASK))
        }
        _ => Cow::Borrowed(text),
    }
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
}
