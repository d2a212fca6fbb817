//! One bounded GET of a JSON document (a JWKS or an OpenID configuration): connect and
//! total timeouts over all hops, a body size limit, the redirect rule of `redirect` applied
//! hop by hop, and a [`Hop`] recorded for every request so `doctor` can show the way taken.

use std::error::Error as _;
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, DATE, HeaderName, LOCATION};
use url::Url;

use super::client::Unresolvable;
use super::redirect::redirect_refusal;
use super::{FetchError, FetchSettings, Fetched, Hop, Traced};
use crate::redact::RedactedUrl;

/// GETs `url`, following redirects the way `redirect_refusal` allows.
pub(super) async fn run(client: &reqwest::Client, settings: &FetchSettings, url: &Url) -> Traced {
    let started = Instant::now();
    let mut hops: Vec<Hop> = Vec::new();
    let mut chain: Vec<Url> = Vec::new();
    let mut next = url.clone();
    loop {
        chain.push(next.clone());
        let remaining = settings.total_timeout.saturating_sub(started.elapsed());
        let (hop, outcome) = one(client, settings, &next, remaining).await;
        hops.push(hop);
        let result = match outcome {
            Step::Done(result) => result,
            Step::Redirect(location) => match next.join(&location) {
                Err(_) => Err(FetchError::Status {
                    url: RedactedUrl::new(&next).to_string(),
                    status: hops.last().and_then(|h| h.status).unwrap_or(0),
                }),
                Ok(target) => match redirect_refusal(&chain, &target) {
                    Some(refusal) => Err(FetchError::Redirect {
                        url: RedactedUrl::new(url).to_string(),
                        refusal,
                    }),
                    None => {
                        next = target;
                        continue;
                    }
                },
            },
        };
        return Traced { hops, result };
    }
}

/// What one request led to.
enum Step {
    Done(Result<Fetched, FetchError>),
    /// A 3xx with this `Location`.
    Redirect(String),
}

async fn one(
    client: &reqwest::Client,
    settings: &FetchSettings,
    url: &Url,
    remaining: Duration,
) -> (Hop, Step) {
    let started = Instant::now();
    let mut hop = Hop {
        url: url.clone(),
        status: None,
        location: None,
        content_type: None,
        date: None,
        elapsed: Duration::ZERO,
    };
    let step = answer(client, settings, url, remaining, &mut hop).await;
    hop.elapsed = started.elapsed();
    (hop, step)
}

async fn answer(
    client: &reqwest::Client,
    settings: &FetchSettings,
    url: &Url,
    remaining: Duration,
    hop: &mut Hop,
) -> Step {
    let shown = RedactedUrl::new(url);
    let sent = client
        .get(url.clone())
        .header(ACCEPT, "application/json")
        .timeout(remaining)
        .send()
        .await;
    let mut response = match sent {
        Ok(response) => response,
        Err(e) => return Step::Done(Err(classify(url, &e, settings))),
    };
    let status = response.status();
    hop.status = Some(status.as_u16());
    hop.location = header_str(&response, LOCATION);
    hop.content_type = header_str(&response, CONTENT_TYPE);
    hop.date = header_str(&response, DATE).and_then(|d| httpdate(&d));
    if status.is_redirection()
        && let Some(location) = hop.location.clone()
    {
        return Step::Redirect(location);
    }
    if !status.is_success() {
        return Step::Done(Err(FetchError::Status {
            url: shown.to_string(),
            status: status.as_u16(),
        }));
    }
    let limit = settings.max_body_bytes;
    let too_large = || FetchError::TooLarge {
        url: shown.to_string(),
        limit,
    };
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Step::Done(Err(too_large()));
    }
    let is_html = hop
        .content_type
        .as_deref()
        .is_some_and(|t| t.to_ascii_lowercase().contains("html"));
    let max_age =
        header_str(&response, CACHE_CONTROL).and_then(|v| max_age(&v.to_ascii_lowercase()));
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Err(e) => return Step::Done(Err(classify(url, &e, settings))),
            Ok(None) => break,
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > limit {
                    return Step::Done(Err(too_large()));
                }
                body.extend_from_slice(&chunk);
            }
        }
    }
    if is_html || body.trim_ascii_start().starts_with(b"<") {
        return Step::Done(Err(FetchError::Html {
            url: shown.to_string(),
            content_type: hop.content_type.clone(),
        }));
    }
    Step::Done(Ok(Fetched { body, max_age }))
}

fn header_str(response: &reqwest::Response, name: HeaderName) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// An HTTP date (`Date` header, IMF-fixdate) as a point in time.
fn httpdate(value: &str) -> Option<SystemTime> {
    // "Sun, 06 Nov 1994 08:49:37 GMT"
    let parts: Vec<&str> = value.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as i64
        + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    // Days from the civil date (proleptic Gregorian), Howard Hinnant's algorithm.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + m * 60 + s;
    u64::try_from(secs)
        .ok()
        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
}

/// `max-age=N` from a Cache-Control value; `no-store`/`no-cache` count as 0.
pub(crate) fn max_age(value: &str) -> Option<Duration> {
    let mut found = None;
    for directive in value.split(',').map(str::trim) {
        if directive == "no-store" || directive == "no-cache" {
            return Some(Duration::ZERO);
        }
        if let Some(secs) = directive.strip_prefix("max-age=") {
            found = secs
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs);
        }
    }
    found
}

/// Turns a transport failure into the variant an operator acts on: by type (timeout, a
/// resolver failure, `ConnectionRefused`), never by the wording of a message.
fn classify(url: &Url, error: &reqwest::Error, settings: &FetchSettings) -> FetchError {
    let host = url.host_str().unwrap_or("?").to_owned();
    let is_domain = matches!(url.host(), Some(url::Host::Domain(_)));
    let shown = RedactedUrl::new(url).to_string();
    if error.is_timeout() {
        return FetchError::Timeout {
            url: shown,
            host: is_domain.then_some(host),
            connect: settings.connect_timeout,
            total: settings.total_timeout,
        };
    }
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(unresolvable) = cause.downcast_ref::<Unresolvable>() {
            return FetchError::Unresolvable {
                url: shown,
                host,
                detail: unresolvable.detail.clone(),
            };
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return FetchError::Refused { url: shown, host };
        }
        source = cause.source();
    }
    let detail = source_chain(error);
    if error.is_body() || error.is_decode() {
        return FetchError::BrokenBody { url: shown, detail };
    }
    FetchError::Transport { url: shown, detail }
}

/// The error and its causes, with the request URL redacted.
fn source_chain(error: &reqwest::Error) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    let chain = parts.join(": ");
    match error.url() {
        Some(url) => chain.replace(url.as_str(), &RedactedUrl::new(url).to_string()),
        None => chain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_max_age_is_read() {
        assert_eq!(
            max_age("public, max-age=600"),
            Some(Duration::from_secs(600))
        );
        assert_eq!(
            max_age("max-age=\"60\", must-revalidate"),
            Some(Duration::from_secs(60))
        );
        assert_eq!(max_age("no-store"), Some(Duration::ZERO));
        assert_eq!(max_age("public"), None);
        assert_eq!(max_age("max-age=abc"), None);
    }

    #[test]
    fn http_dates_are_read() {
        assert_eq!(
            httpdate("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777))
        );
        assert_eq!(httpdate("yesterday"), None);
    }
}
