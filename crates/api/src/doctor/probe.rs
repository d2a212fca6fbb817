//! Network probes the way an operator runs them by hand (`nslookup`, `nc -z`, `curl -i`), each bounded by
//! the run's deadline and reporting *which* step failed, so that a finding can name the cause.
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
                last = ProbeError::Refused
            }
            Ok(Err(error)) => last = ProbeError::Other(error.to_string()),
        }
    }
    Err(last)
}

/// What one HTTP GET returned. Redirects are reported, never followed.
#[derive(Debug)]
pub(crate) struct HttpAnswer {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) location: Option<String>,
    /// The server's clock, from its `Date` header.
    pub(crate) date: Option<SystemTime>,
    pub(crate) elapsed: Duration,
    pub(crate) body: Vec<u8>,
    /// The body was longer than the limit and was cut.
    pub(crate) truncated: bool,
}

impl HttpAnswer {
    pub(crate) fn is_html(&self) -> bool {
        let declared = self
            .content_type
            .as_deref()
            .is_some_and(|t| t.contains("text/html"));
        let sniffed = {
            let start = String::from_utf8_lossy(&self.body[..self.body.len().min(256)])
                .to_ascii_lowercase();
            let start = start.trim_start();
            start.starts_with("<!doctype html") || start.starts_with("<html")
        };
        declared || sniffed
    }

    pub(crate) fn is_redirect(&self) -> bool {
        (300..400).contains(&self.status)
    }
}

/// A client for probes: no redirects (a login page behind a 302 must show up as such); proxies from
/// the environment apply as they do to the service's own client, so the probe takes the same path.
pub(crate) fn client() -> Result<reqwest::Client, ProbeError> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("backend-api-doctor/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| ProbeError::Other(error.to_string()))
}

/// GETs `url`, reading at most `max_body` bytes of the body (the verifier's own limit).
pub(crate) async fn get(
    client: &reqwest::Client,
    url: &Url,
    deadline: Deadline,
    max_body: usize,
) -> Result<HttpAnswer, ProbeError> {
    let started = Instant::now();
    let request = client
        .get(url.clone())
        .header(reqwest::header::ACCEPT, "application/json")
        .timeout(deadline.remaining());
    let mut response = request.send().await.map_err(classify)?;
    let header = |name: reqwest::header::HeaderName| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header(reqwest::header::CONTENT_TYPE);
    let location = header(reqwest::header::LOCATION);
    let date = header(reqwest::header::DATE)
        .and_then(|d| chrono::DateTime::parse_from_rfc2822(&d).ok())
        .map(SystemTime::from);
    let status = response.status().as_u16();
    let mut body = Vec::new();
    let mut truncated = false;
    while let Some(chunk) = response.chunk().await.map_err(classify)? {
        let room = max_body - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            truncated = true;
            break;
        }
        body.extend_from_slice(&chunk);
    }
    Ok(HttpAnswer {
        status,
        content_type,
        location,
        date,
        elapsed: started.elapsed(),
        body,
        truncated,
    })
}

fn classify(error: reqwest::Error) -> ProbeError {
    if error.is_timeout() {
        return ProbeError::Timeout;
    }
    let mut description = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == ErrorKind::ConnectionRefused
        {
            return ProbeError::Refused;
        }
        description = format!("{description}: {cause}");
        source = cause.source();
    }
    ProbeError::Other(description)
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

    #[test]
    fn html_is_recognised_by_type_or_by_content() {
        let answer = |content_type: Option<&str>, body: &str| HttpAnswer {
            status: 200,
            content_type: content_type.map(str::to_owned),
            location: None,
            date: None,
            elapsed: Duration::ZERO,
            body: body.as_bytes().to_vec(),
            truncated: false,
        };
        assert!(answer(Some("text/html; charset=utf-8"), "").is_html());
        assert!(answer(Some("application/json"), "  <!DOCTYPE html><html>").is_html());
        assert!(!answer(Some("application/json"), r#"{"keys":[]}"#).is_html());
    }
}
