//! The log on stderr: which records `RUST_LOG` lets through, and how a line looks.
//!
//! `RUST_LOG` reads as env_logger read it (this replaces that crate, 16 KB of the static
//! binary): comma-separated directives, each `level` (every target), `target=level` or a bare
//! `target` (all of its levels); a target matches the targets it prefixes and the longest match
//! decides; an optional `/text` after the directives keeps only lines containing `text`. Unset,
//! it is `info`; a spec with no valid directive logs errors only; invalid parts are reported on
//! stderr and ignored. A line is `<UTC time> <LEVEL> <target>: <message>`, the message
//! through `redact`; the network crates stop at debug whatever `RUST_LOG` says (`redact.rs`).

use crate::redact::{allowed, redact};
use log::{LevelFilter, Log, Metadata, Record};
use std::io::Write;

/// What `RUST_LOG` lets through.
#[derive(Debug, PartialEq)]
struct Filter {
    /// `(target prefix, most verbose level)`, shortest prefix first; `""` is every target.
    directives: Vec<(String, LevelFilter)>,
    /// Only lines whose message contains this.
    containing: Option<String>,
}

impl Filter {
    /// The filter of a `RUST_LOG` value, and the parts of it that were ignored, with why.
    fn parse(spec: &str) -> (Filter, Vec<String>) {
        let mut errors = Vec::new();
        let mut directives: Vec<(String, LevelFilter)> = Vec::new();
        let mut parts = spec.split('/');
        let targets = parts.next().unwrap_or("");
        let containing = parts.next().map(str::to_string);
        if parts.next().is_some() {
            errors.push(format!("invalid logging spec '{spec}' (too many '/'s)"));
            return (Filter::errors_only(), errors);
        }
        for part in targets.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let mut halves = part.split('=');
            let directive = match (halves.next(), halves.next().map(str::trim), halves.next()) {
                (Some(level), None, None) => match level.parse() {
                    Ok(level) => (String::new(), level),
                    Err(_) => (level.to_string(), LevelFilter::max()),
                },
                (Some(target), Some(""), None) => (target.to_string(), LevelFilter::max()),
                (Some(target), Some(level), None) => match level.parse() {
                    Ok(level) => (target.to_string(), level),
                    Err(_) => {
                        errors.push(format!("invalid logging spec '{level}'"));
                        continue;
                    }
                },
                _ => {
                    errors.push(format!("invalid logging spec '{part}'"));
                    continue;
                }
            };
            // A target named twice: the later directive replaces the earlier. Kept shortest
            // first by inserting in place (no sort: a sort routine costs kilobytes).
            directives.retain(|(target, _)| *target != directive.0);
            let at = directives
                .iter()
                .position(|(t, _)| t.len() > directive.0.len());
            directives.insert(at.unwrap_or(directives.len()), directive);
        }
        if directives.is_empty() {
            directives = Filter::errors_only().directives;
        }
        (
            Filter {
                directives,
                containing,
            },
            errors,
        )
    }

    fn errors_only() -> Filter {
        Filter {
            directives: vec![(String::new(), LevelFilter::Error)],
            containing: None,
        }
    }

    /// The level of the longest directive that prefixes `target` (none: off).
    fn level_for(&self, target: &str) -> LevelFilter {
        let matching = self.directives.iter().rev();
        let mut matching = matching.filter(|(prefix, _)| target.starts_with(prefix.as_str()));
        matching
            .next()
            .map_or(LevelFilter::Off, |(_, level)| *level)
    }

    fn most_verbose(&self) -> LevelFilter {
        let levels = self.directives.iter().map(|(_, level)| *level);
        levels.max().unwrap_or(LevelFilter::Off)
    }
}

/// For the fuzz target: parses `spec` and panics if the filter breaks its invariants (targets
/// unique and shortest first, every target's level within the most verbose, a non-empty list).
#[doc(hidden)]
pub fn check(spec: &str) {
    let (filter, _) = Filter::parse(spec);
    let targets: Vec<&str> = filter.directives.iter().map(|(t, _)| t.as_str()).collect();
    assert!(!targets.is_empty(), "{spec:?}: no directive");
    for pair in targets.windows(2) {
        assert!(pair[0].len() <= pair[1].len(), "{spec:?}: {targets:?}");
    }
    for (i, t) in targets.iter().enumerate() {
        assert!(!targets[i + 1..].contains(t), "{spec:?}: {t:?} twice");
        let level = filter.level_for(&format!("{t}::x"));
        assert!(level <= filter.most_verbose(), "{spec:?}: {t:?}");
    }
}

struct Logger(Filter);

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata) -> bool {
        allowed(metadata) && metadata.level() <= self.0.level_for(metadata.target())
    }

    fn log(&self, record: &Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let message = record.args().to_string();
        if let Some(text) = &self.0.containing {
            if !message.contains(text.as_str()) {
                return;
            }
        }
        let line = format!(
            "{} {:<5} {}: {}\n",
            UtcMillis(std::time::SystemTime::now()),
            record.level(),
            record.target(),
            redact(&message)
        );
        // One write per line, so that lines of different threads never interleave.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    fn flush(&self) {}
}

/// Sets up the log on stderr from `RUST_LOG` (default `info`).
pub fn init() {
    let spec = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".to_string());
    let (filter, errors) = Filter::parse(&spec);
    for error in errors {
        eprintln!("warning: {error}, ignoring it");
    }
    let max_level = filter.most_verbose();
    if log::set_logger(Box::leak(Box::new(Logger(filter)))).is_ok() {
        log::set_max_level(max_level);
    }
}

/// A log line's time, RFC 3339 in UTC with milliseconds (`2026-11-30T18:29:33.116Z`): written
/// here because a date library (env_logger's `humantime` pulls jiff) costs about 40 KB of the
/// static binary for this one field.
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

#[cfg(test)]
mod tests {
    use super::*;
    use log::Level;

    #[test]
    fn log_times_are_rfc_3339_utc_with_milliseconds() {
        use std::time::{Duration, UNIX_EPOCH};
        let at = |ms: u64| UtcMillis(UNIX_EPOCH + Duration::from_millis(ms)).to_string();
        assert_eq!(at(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(at(1_796_063_373_116), "2026-11-30T18:29:33.116Z");
        assert_eq!(at(4_107_542_399_999), "2100-02-28T23:59:59.999Z");
        assert_eq!(at(4_107_542_400_000), "2100-03-01T00:00:00.000Z");
    }

    fn levels(spec: &str, targets: &[&str]) -> Vec<LevelFilter> {
        let (filter, _) = Filter::parse(spec);
        targets.iter().map(|t| filter.level_for(t)).collect()
    }

    /// The cases env_logger's own parser documents, with the same outcome.
    #[test]
    fn rust_log_reads_as_env_logger_read_it() {
        use LevelFilter::*;
        let ours = "openclaw_mattermost::bridge";
        assert_eq!(levels("info", &[ours, "ureq"]), [Info, Info]);
        assert_eq!(
            levels("openclaw_mattermost=debug", &[ours, "ureq"]),
            [Debug, Off],
            "a target alone does not open the others"
        );
        assert_eq!(
            levels(
                "warn,openclaw_mattermost::bridge=trace",
                &[ours, "openclaw_mattermost::config"]
            ),
            [Trace, Warn],
            "the longest prefix decides"
        );
        assert_eq!(
            levels("openclaw_mattermost", &[ours]),
            [Trace],
            "a bare target: all levels"
        );
        assert_eq!(levels("openclaw_mattermost=", &[ours]), [Trace]);
        assert_eq!(
            levels("ureq=debug", &["ureq_proto::util"]),
            [Debug],
            "a plain prefix"
        );
        assert_eq!(levels("DEBUG, ours=off", &["ours", "x"]), [Off, Debug]);
        assert_eq!(
            levels("info,x=warn,x=trace", &["x"]),
            [Trace],
            "the later one replaces"
        );
        assert_eq!(levels("", &["x"]), [Error], "nothing valid: errors only");
        assert_eq!(levels("a/b/c", &["x"]), [Error]);
    }

    #[test]
    fn invalid_parts_are_reported_and_the_rest_applies() {
        let (filter, errors) = Filter::parse("x=loud,a=b=c,debug");
        assert_eq!(
            errors,
            [
                "invalid logging spec 'loud'",
                "invalid logging spec 'a=b=c'"
            ]
        );
        assert_eq!(filter.level_for("x"), LevelFilter::Debug);
        let (_, errors) = Filter::parse("a/b/c");
        assert_eq!(errors, ["invalid logging spec 'a/b/c' (too many '/'s)"]);
    }

    #[test]
    fn the_max_level_is_the_most_verbose_directive() {
        assert_eq!(
            Filter::parse("warn,x=trace").0.most_verbose(),
            LevelFilter::Trace
        );
        assert_eq!(Filter::parse("off").0.most_verbose(), LevelFilter::Off);
    }

    #[test]
    fn text_after_a_slash_keeps_only_lines_containing_it() {
        let (filter, errors) = Filter::parse("debug/post 42");
        assert!(errors.is_empty());
        assert_eq!(filter.containing.as_deref(), Some("post 42"));
        assert_eq!(filter.level_for("x"), LevelFilter::Debug);
    }

    #[test]
    fn the_network_crates_stay_capped() {
        let logger = Logger(Filter::parse("trace").0);
        let at = |target, level| Metadata::builder().target(target).level(level).build();
        assert!(!logger.enabled(&at("ureq_proto::util", Level::Trace)));
        assert!(logger.enabled(&at("ureq_proto::util", Level::Debug)));
        assert!(logger.enabled(&at("openclaw_mattermost", Level::Trace)));
    }
}
