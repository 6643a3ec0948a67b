//! The integration tests: the built bridge driven as OpenClaw drives it, against the fake
//! Mattermost server (crates/fake-mattermost) over real sockets. One test binary, as
//! ripgrep's are: one link instead of one per file, and every suite's tests share the test
//! threads. They also share this process, so no test may change process-wide state (the
//! environment, the working directory, the umask) or hold a file open for writing that a
//! child could inherit (see `support::copy_executable` and `support::write_executable`).
//!
//! `cargo test --test integration` runs them all; `cargo test --test integration scratch::`
//! one suite.

mod support;

mod actions;
mod bad_input;
mod buttons;
mod catch_up;
mod chaos;
mod check;
mod check_callbacks;
mod commands;
mod config_fd;
mod config_numbers;
mod container_wrapper;
mod directory;
mod files;
mod groups;
mod history;
mod inbound;
mod js_plugin_config;
mod lifecycle;
mod local_users;
mod polling;
mod reactions;
mod reconnect;
mod requests;
mod resume;
mod scratch;
mod systemd_unit;
mod teams;
mod tls;
mod trace_log;
mod unaddressed;
