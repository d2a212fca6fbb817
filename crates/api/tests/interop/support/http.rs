//! The HTTP client of the suite (plain HTTP on loopback, bounded waits) and a JSON GET helper.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

pub fn client() -> reqwest::Client {
    // reqwest is built without a bundled crypto provider; the workspace uses aws-lc-rs.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .expect("HTTP client")
}

/// GETs `url`, expecting 200 and a JSON body; returns the headers too.
pub async fn get_json(http: &reqwest::Client, url: &str) -> (HeaderMap, Value) {
    let response = http
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"));
    assert_eq!(response.status(), StatusCode::OK, "GET {url}");
    let headers = response.headers().clone();
    let body = response
        .json()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: JSON body: {e}"));
    (headers, body)
}
