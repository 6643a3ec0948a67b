//! openclaw-mattermost: a Mattermost channel for OpenClaw, as a child process speaking
//! JSON-RPC lines on stdio. `main` handles the command line and config, then hands over to
//! `bridge::run`.
//!
//! The crate is a library with a thin binary so that fuzz targets and benchmarks can reach the
//! parsers that face untrusted input (`protocol` for stdin, `mattermost::event` for the
//! server's frames, and through `fuzzing` the DNS answers and the JSON5 config); everything
//! else stays private.

mod backoff;
mod bridge;
mod check;
mod chunk;
mod cli;
mod config;
mod dedup;
mod fsutil;
mod history;
mod json5;
mod keepalive;
mod logging;
pub mod mattermost;
mod media;
mod mention;
mod policy;
pub mod protocol;
mod random;
mod redact;
mod resolve;
mod server_url;
mod session;
mod signals;
mod stack_guard;
mod stats;
mod stop;
mod sync;

use std::process::exit;

/// Entry points for the fuzz targets in `fuzz/`, for parsers that are otherwise private. Not an
/// API: each runs one parser on arbitrary input and discards the result.
#[doc(hidden)]
pub mod fuzzing {
    /// `packet` as the answer to a query for `mattermost.example` (A when the id is even, AAAA
    /// when odd), with the id the packet itself carries so the fuzzer gets past the id check.
    pub fn dns_answer(packet: &[u8]) {
        let id = match packet {
            [a, b, ..] => u16::from_be_bytes([*a, *b]),
            _ => 0,
        };
        let qtype = match id % 2 {
            0 => crate::resolve::dns::TYPE_A,
            _ => crate::resolve::dns::TYPE_AAAA,
        };
        let _ = crate::resolve::dns::parse_response(packet, id, "mattermost.example", qtype);
    }

    /// `text` as an OpenClaw config file: JSON5, then the `channels.mattermost` section.
    pub fn config_text(text: &str) {
        let _ = crate::config::parse_section(text, "the fuzzed config");
    }

    /// `body` as the server's listing of a team's slash commands (`listCommands`).
    pub fn command_listing(body: &[u8]) {
        if let Ok(answer) = serde_json::from_slice(body) {
            let _ = crate::bridge::commands::listed(&answer, "team", "bot");
        }
    }

    /// `spec` as `RUST_LOG`; the filter's invariants are checked (see `logging::check`).
    pub fn rust_log(spec: &str) {
        crate::logging::check(spec);
    }
}

/// The program: exits with 0 (clean stop), 1 (runtime failure) or 2 (bad config or usage).
pub fn main() {
    limit_malloc_arenas();
    // Before any thread exists, so every thread inherits the blocked mask.
    let signal_set = signals::block();
    let command = cli::parse(std::env::args_os().skip(1)).unwrap_or_else(|message| {
        eprintln!("openclaw-mattermost: {message} (see --help)");
        exit(2)
    });
    let config_path = match &command {
        cli::Command::Help => {
            print!("{}", cli::USAGE);
            return;
        }
        cli::Command::Version => {
            println!(
                "openclaw-mattermost {} ({}, commit {})",
                env!("CARGO_PKG_VERSION"),
                env!("OPENCLAW_MATTERMOST_TARGET"),
                env!("OPENCLAW_MATTERMOST_COMMIT")
            );
            return;
        }
        cli::Command::Check {
            config,
            config_fd,
            json,
            account,
        } => {
            let loaded = cli::load_config(config.as_deref(), *config_fd, account.as_deref());
            exit(check::run(loaded, *json));
        }
        cli::Command::PrintConfig {
            config,
            config_fd,
            account,
        }
        | cli::Command::Directory {
            config,
            config_fd,
            account,
            ..
        }
        | cli::Command::Run {
            config,
            config_fd,
            account,
            ..
        } => (config, *config_fd, account),
    };
    let print_only = matches!(command, cli::Command::PrintConfig { .. });
    logging::init();
    let loaded = cli::load_config(
        config_path.0.as_deref(),
        config_path.1,
        config_path.2.as_deref(),
    );
    let mut config = match loaded {
        Ok(config::Loaded::Enabled(config)) => *config,
        Ok(config::Loaded::Disabled { file }) => {
            let file = file.map_or("the config".into(), |f| f.display().to_string());
            log::info!("channels.mattermost.enabled is false in {file}; nothing to do");
            return;
        }
        Err(error) => {
            eprintln!("{error}");
            exit(2)
        }
    };
    redact::register_secret(&config.token);
    config.forward_unaddressed = matches!(
        command,
        cli::Command::Run {
            unaddressed: true,
            ..
        }
    );
    if print_only {
        println!("{}", config::print::render(&config));
        return;
    }
    for warning in &config.warnings {
        log::warn!("{warning}");
    }
    let link = mattermost::net::Link::new(&config).unwrap_or_else(|error| {
        eprintln!("config: {error}");
        exit(2)
    });
    if let cli::Command::Directory { kind, query, .. } = &command {
        exit(bridge::directory::run_once(&config, &link, kind, query));
    }
    exit(bridge::run(config, link, signal_set));
}

/// glibc gives each thread that allocates its own malloc arena (up to 8 per core), each
/// keeping its own free pages: with our dozen mostly idle threads that is most of the idle
/// RSS. Our threads allocate little and rarely at the same moment, so one arena is enough.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a malloc tunable; called before any other thread exists.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
