//! SIGTERM, SIGINT and SIGHUP become an orderly stop, and the bridge never outlives its parent.
//!
//! The signals are blocked in every thread (the mask is inherited, so this must run before any
//! thread is spawned) and one thread takes them with `sigwait`: no async-signal-safety concerns,
//! and no polling.

use crate::stop::{Stop, StopReason};
use std::sync::Arc;

const SIGNALS: [libc::c_int; 3] = [libc::SIGTERM, libc::SIGINT, libc::SIGHUP];

/// Blocks the stop signals in the calling thread and every thread spawned after; returns the set
/// for `spawn_waiter`.
pub fn block() -> libc::sigset_t {
    // SAFETY: sigset_t is plain data that sigemptyset initialises; the calls only read/write it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signal in SIGNALS {
            libc::sigaddset(&mut set, signal);
        }
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    }
}

/// A thread that waits for one of the blocked signals and triggers the stop.
pub fn spawn_waiter(set: libc::sigset_t, stop: Arc<Stop>) {
    let spawned = std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || loop {
            let mut signal: libc::c_int = 0;
            // SAFETY: `set` is initialised and `signal` is a valid out-pointer.
            if unsafe { libc::sigwait(&set, &mut signal) } == 0 {
                log::info!("received signal {signal}, stopping");
                stop.trigger(StopReason::Signal(signal));
            }
        });
    if let Err(e) = spawned {
        log::warn!("cannot watch for signals: {e}");
    }
}

/// Asks the kernel to send us SIGTERM when the parent dies (Linux only; elsewhere the stdin EOF
/// that follows a parent's death does the same job). Strictly, Linux fires this when the parent
/// *thread* that spawned us exits; OpenClaw (Node) spawns from its main thread, so that is the
/// same thing there.
pub fn die_with_parent() {
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_PDEATHSIG takes a plain signal number.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM as libc::c_ulong);
    }
}
