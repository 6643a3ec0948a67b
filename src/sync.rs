//! Locking without poisoning. Every value the bridge guards with a mutex stays valid if a
//! holder panicked (counters, queues, caches, the stop reason), so a panic on one thread must
//! not turn every later `lock` on the others into a second panic.

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex, ignoring poisoning (see the module header).
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
