//! ureq's name resolution through `resolve`: give `ureq_resolver()` to
//! `Agent::with_parts(config, connector, resolver)`. Proxy hosts go through it too (ureq asks
//! the resolver for the proxy's address). Dynamic builds keep ureq's own resolver (it bounds
//! the system's lookup with the timeout), with its failures worded as `resolve`'s are, so REST
//! and the WebSocket report a name that does not resolve with the same `ConnectError`.

use crate::mattermost::connect_error::ConnectError;
use std::time::Duration;
use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// The resolver the REST client uses (see the module `resolve` for which one runs where).
pub fn ureq_resolver() -> impl Resolver {
    BridgeResolver
}

/// Longest a lookup may take when ureq sets no limit (it always does for us: timeout_global).
const FALLBACK_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug)]
struct BridgeResolver;

impl Resolver for BridgeResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        if !super::BUILTIN {
            return DefaultResolver::default()
                .resolve(uri, config, timeout)
                .map_err(|e| unresolved(uri, e));
        }
        let (Some(scheme), Some(authority)) = (uri.scheme(), uri.authority()) else {
            return Err(ureq::Error::BadUri(format!("{uri} has no scheme or host")));
        };
        // ureq's own rule for the port (http, https, and the proxy schemes).
        let port = DefaultResolver::host_and_port(scheme, authority)
            .and_then(|hp| hp.rsplit_once(':').and_then(|(_, p)| p.parse::<u16>().ok()))
            .ok_or_else(|| ureq::Error::BadUri(format!("{uri}: unknown scheme or bad port")))?;
        let limit = if timeout.after.is_not_happening() {
            FALLBACK_TIMEOUT
        } else {
            *timeout.after
        };
        // The error travels inside ureq's as the `ConnectError` it is (`ApiError::from_ureq`).
        let addrs = super::resolve(authority.host(), port, limit)
            .map_err(|e| ureq::Error::Io(e.into_io()))?;
        let mut result = self.empty();
        for addr in config.ip_family().keep_wanted(addrs.into_iter()).take(16) {
            result.push(addr);
        }
        if result.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        Ok(result)
    }
}

/// ureq's resolver failure as the `ConnectError` `resolve` gives (inside ureq's `Io`).
fn unresolved(uri: &Uri, error: ureq::Error) -> ureq::Error {
    let host = uri.host().unwrap_or_default().to_string();
    let error = match error {
        ureq::Error::HostNotFound => ConnectError::NoAddress { host },
        ureq::Error::Io(e) => ConnectError::Resolve {
            host,
            why: e.to_string(),
            timed_out: e.kind() == std::io::ErrorKind::TimedOut,
        },
        ureq::Error::Timeout(_) => ConnectError::Resolve {
            host,
            why: "the system's resolver did not answer in time".into(),
            timed_out: true,
        },
        other => return other,
    };
    ureq::Error::Io(error.into_io())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::transport::time::Duration as UreqDuration;

    fn timeout() -> NextTimeout {
        NextTimeout {
            after: UreqDuration::from_secs(5),
            reason: ureq::Timeout::Resolve,
            ..NextTimeout::default()
        }
    }

    #[test]
    fn literals_and_default_ports() {
        let config = Config::default();
        let resolver = ureq_resolver();
        let cases = [
            ("http://127.0.0.1:8065/api/v4/users/me", "127.0.0.1:8065"),
            ("https://127.0.0.1/x", "127.0.0.1:443"),
            ("http://[::1]/x", "[::1]:80"),
        ];
        for (uri, expected) in cases {
            let uri: Uri = uri.parse().unwrap();
            let addrs = resolver.resolve(&uri, &config, timeout()).unwrap();
            let expected: std::net::SocketAddr = expected.parse().unwrap();
            assert_eq!(&addrs[..], &[expected], "{uri}");
        }
    }
}
