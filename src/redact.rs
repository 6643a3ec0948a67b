//! Keeps the bot token (and a proxy's password) out of every log line and error message.
//!
//! Secrets are registered as soon as they are known (the token when the config is read, proxy
//! credentials when the proxy is chosen); from then on `redact` replaces them wherever they
//! appear. The logger runs every line through it, so even a dependency's debug log
//! that echoed a header could not leak it. That is the second line of defence: the first is
//! that the network crates' trace output, which dumps raw request bytes (hex included, where
//! no text match can find the token), is dropped unformatted whatever `RUST_LOG` says.

use log::{Level, Log, Metadata, Record};
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

/// Crates whose trace output holds raw wire bytes: ureq-proto hex-dumps every request,
/// `Authorization` header included; tungstenite prints the upgrade request and frame payloads;
/// rustls and webpki handle key material. Their lines stop at `CAPPED_AT`.
const NOISY_CRATES: &[&str] = &["ureq", "ureq_proto", "tungstenite", "rustls", "webpki"];
const CAPPED_AT: Level = Level::Debug;

/// Sets up env_logger on stderr (`RUST_LOG`, default `info`) with every line redacted and the
/// noisy crates capped.
pub fn init_logging() {
    let env = env_logger::Env::default().default_filter_or("info");
    let logger = env_logger::Builder::from_env(env)
        .target(env_logger::Target::Stderr)
        .format(|buf, record| {
            let message = record.args().to_string();
            writeln!(
                buf,
                "{} {:<5} {}: {}",
                UtcMillis(std::time::SystemTime::now()),
                record.level(),
                record.target(),
                redact(&message)
            )
        })
        .build();
    let max_level = logger.filter();
    if log::set_boxed_logger(Box::new(Capped(logger))).is_ok() {
        log::set_max_level(max_level);
    }
}

/// A log line's time, RFC 3339 in UTC with milliseconds (`2026-11-30T18:29:33.116Z`), as
/// env_logger printed it: written here because its `humantime` feature links a whole date
/// library (jiff) for this one line, about 40 KB of the static binary.
struct UtcMillis(std::time::SystemTime);

impl std::fmt::Display for UtcMillis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let since = self
            .0
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let secs = since.as_secs();
        let (days, day_secs) = (secs / 86_400, secs % 86_400);
        let (year, month, day) = civil_from_days(days);
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
            day_secs / 3600,
            day_secs / 60 % 60,
            day_secs % 60,
            since.subsec_millis()
        )
    }
}

/// Days since 1970-01-01 as a proleptic Gregorian (year, month, day): Howard Hinnant's
/// `civil_from_days`, for days on or after the epoch.
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// The logger with the noisy crates capped: their records above `CAPPED_AT` are refused in
/// `enabled` (so `log_enabled!` guards skip building dumps) and dropped in `log` before their
/// arguments are formatted. Unlike a `RUST_LOG` directive, no setting can lift the cap.
struct Capped<L>(L);

impl<L: Log> Log for Capped<L> {
    fn enabled(&self, metadata: &Metadata) -> bool {
        allowed(metadata) && self.0.enabled(metadata)
    }

    fn log(&self, record: &Record) {
        if allowed(record.metadata()) {
            self.0.log(record);
        }
    }

    fn flush(&self) {
        self.0.flush();
    }
}

fn allowed(metadata: &Metadata) -> bool {
    let krate = metadata.target().split("::").next().unwrap_or("");
    metadata.level() <= CAPPED_AT || !NOISY_CRATES.contains(&krate)
}

#[cfg(test)]
mod tests {
    #[test]
    fn log_times_are_rfc_3339_utc_with_milliseconds() {
        use std::time::{Duration, UNIX_EPOCH};
        let at = |ms: u64| super::UtcMillis(UNIX_EPOCH + Duration::from_millis(ms)).to_string();
        assert_eq!(at(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(at(1_796_063_373_116), "2026-11-30T18:29:33.116Z");
        assert_eq!(at(4_107_542_399_999), "2100-02-28T23:59:59.999Z");
        assert_eq!(at(4_107_542_400_000), "2100-03-01T00:00:00.000Z");
    }

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

    /// Records refused by the cap never reach the inner logger, so they are never formatted.
    #[test]
    fn capped_records_are_not_formatted() {
        struct Counting(std::sync::atomic::AtomicUsize);
        impl Log for Counting {
            fn enabled(&self, _: &Metadata) -> bool {
                true
            }
            fn log(&self, record: &Record) {
                let _ = record.args().to_string();
                self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            fn flush(&self) {}
        }
        let capped = Capped(Counting(Default::default()));
        let record = |target, level| {
            Record::builder()
                .target(target)
                .level(level)
                .args(format_args!("dump"))
                .build()
        };
        capped.log(&record("ureq_proto::util", Level::Trace));
        assert!(!capped.enabled(record("ureq_proto::util", Level::Trace).metadata()));
        assert_eq!(capped.0 .0.load(std::sync::atomic::Ordering::Relaxed), 0);
        capped.log(&record("ureq_proto::util", Level::Debug));
        assert_eq!(capped.0 .0.load(std::sync::atomic::Ordering::Relaxed), 1);
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
