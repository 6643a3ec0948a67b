//! Size: std's stack-overflow report without glibc's `pthread_getattr_np` (static builds only).
//!
//! std asks `pthread_getattr_np` where each thread's stack starts, so that its SIGSEGV handler
//! can print "thread … has overflowed its stack" for a fault in the guard page. In a static
//! glibc, that one function pulls in `scanf` (it parses `/proc/self/maps`), `strtod` and their
//! locale machinery: 101,984 bytes of the x86_64 binary (2026-12-01). Defining the symbol here
//! keeps glibc's out of the link; it answers ENOSYS, which std takes as "unknown" (no guard
//! range, `Option::None`). The guard pages stay and still stop an overflow: the process dies
//! of SIGSEGV, only without std's one-line message. Nothing here recurses deeply (JSON depth is
//! capped by serde_json at 128). Dynamic builds (`cargo build`, the tests) keep glibc's.

#[cfg(all(target_os = "linux", target_env = "gnu", target_feature = "crt-static"))]
#[no_mangle]
pub extern "C" fn pthread_getattr_np(
    _thread: libc::pthread_t,
    _attr: *mut libc::pthread_attr_t,
) -> libc::c_int {
    libc::ENOSYS
}
