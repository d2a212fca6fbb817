//! Network probes the way an operator runs them by hand (`nslookup`, `nc -z`), each bounded by the
//! run's deadline and reporting *which* step failed, so that a finding can name the cause. HTTP is
//! not probed here: it goes through the core's `Fetcher`, exactly as the verifier fetches.
//!
//! Probes only observe; turning an observation into a finding is the caller's job.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime};

use tokio::net::TcpStream;
use url::Url;

/// The deadline of the whole `doctor` run (`--timeout`): every probe gets what is left of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline(Instant);

impl Deadline {
    pub(crate) fn after(budget: Duration) -> Self {
        Deadline(Instant::now() + budget)
    }

    pub(crate) fn remaining(self) -> Duration {
        self.0.saturating_duration_since(Instant::now())
    }
}

/// Why a probe produced no answer.
#[derive(Debug)]
pub(crate) enum ProbeError {
    /// The name did not resolve (NXDOMAIN, no such service, no resolver).
    Unresolvable(String),
    /// The peer answered with a reset: nothing listens on that port.
    Refused,
    /// No answer before the deadline (a dropped packet, a NetworkPolicy, a slow server).
    Timeout,
    /// Anything else (TLS, protocol, unreachable network), with its description.
    Other(String),
}

/// Resolves `host:port` like the service would, returning every address.
pub(crate) async fn resolve(
    host: &str,
    port: u16,
    deadline: Deadline,
) -> Result<Vec<SocketAddr>, ProbeError> {
    match tokio::time::timeout(deadline.remaining(), tokio::net::lookup_host((host, port))).await {
        Err(_) => Err(ProbeError::Timeout),
        Ok(Err(error)) => Err(ProbeError::Unresolvable(error.to_string())),
        Ok(Ok(addresses)) => {
            let addresses: Vec<SocketAddr> = addresses.collect();
            if addresses.is_empty() {
                Err(ProbeError::Unresolvable("no addresses".to_owned()))
            } else {
                Ok(addresses)
            }
        }
    }
}

/// Opens (and closes) a TCP connection to the first address that accepts one.
pub(crate) async fn connect(
    addresses: &[SocketAddr],
    deadline: Deadline,
) -> Result<SocketAddr, ProbeError> {
    let mut last = ProbeError::Other("no address to connect to".to_owned());
    for address in addresses {
        match tokio::time::timeout(deadline.remaining(), TcpStream::connect(address)).await {
            Err(_) => return Err(ProbeError::Timeout),
            Ok(Ok(_stream)) => return Ok(*address),
            Ok(Err(error)) if error.kind() == ErrorKind::ConnectionRefused => {
                last = ProbeError::Refused;
            }
            Ok(Err(error)) => last = ProbeError::Other(error.to_string()),
        }
    }
    Err(last)
}

/// The host and port a URL connects to (default ports filled in).
pub(crate) fn host_port(url: &Url) -> Option<(String, u16)> {
    let host = url
        .host_str()?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    Some((host, url.port_or_known_default()?))
}

/// Signed difference `server - local` in whole seconds, from a `Date` header taken `elapsed` ago.
pub(crate) fn clock_skew_seconds(server: SystemTime, local_now: SystemTime) -> i64 {
    let seconds = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    };
    seconds(server) - seconds(local_now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_fills_default_ports_and_strips_ipv6_brackets() {
        let url = Url::parse("http://frontend:3000/api/auth/jwks").expect("url");
        assert_eq!(host_port(&url), Some(("frontend".to_owned(), 3000)));
        let url = Url::parse("https://id.example.com/realms/app").expect("url");
        assert_eq!(host_port(&url), Some(("id.example.com".to_owned(), 443)));
        let url = Url::parse("http://[::1]/x").expect("url");
        assert_eq!(host_port(&url), Some(("::1".to_owned(), 80)));
    }

    #[test]
    fn skew_is_server_minus_local() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(clock_skew_seconds(now + Duration::from_secs(90), now), 90);
        assert_eq!(clock_skew_seconds(now - Duration::from_secs(5), now), -5);
    }
}
