//! The one fetch shared by the key cache and `doctor`: its trace of hops and its typed errors.

use backend_api_auth::{FetchError, FetchSettings, Fetcher};
use test_support::{Behaviour, JwksServer, TestKey, jwks};
use url::Url;

fn url(s: &str) -> Url {
    Url::parse(s).expect("url")
}

#[tokio::test]
async fn a_redirect_is_followed_and_every_hop_is_traced() {
    let key = TestKey::generate("EdDSA");
    let target = JwksServer::start(jwks(&[&key])).await;
    let hop = JwksServer::start(jwks(&[&key])).await;
    hop.set_behaviour(Behaviour::RedirectTo(target.jwks_url()));
    let fetcher = Fetcher::new(FetchSettings::default()).expect("fetcher");
    let traced = fetcher.get_traced(&url(&hop.jwks_url())).await;
    let fetched = traced.result.as_ref().expect("key set behind one redirect");
    assert!(fetched.body.starts_with(b"{"));
    let statuses: Vec<Option<u16>> = traced.hops.iter().map(|h| h.status).collect();
    assert_eq!(statuses.len(), 2, "{:?}", traced.hops);
    assert!(statuses[0].is_some_and(|s| (300..400).contains(&s)));
    assert_eq!(statuses[1], Some(200));
    assert_eq!(
        traced.final_url().map(Url::as_str),
        Some(target.jwks_url().as_str())
    );
}

#[tokio::test]
async fn failures_are_typed_not_worded() {
    let fetcher = Fetcher::new(FetchSettings::default()).expect("fetcher");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let closed = listener.local_addr().expect("addr");
    drop(listener);
    let refused = fetcher
        .get_json(&url(&format!("http://{closed}/jwks")))
        .await
        .expect_err("nothing listens");
    assert!(matches!(refused, FetchError::Refused { .. }), "{refused:?}");
    let unresolvable = fetcher
        .get_json(&url("http://frontend-service.invalid:3000/api/auth/jwks"))
        .await
        .expect_err("no such host");
    assert!(
        matches!(unresolvable, FetchError::Unresolvable { ref host, .. } if host == "frontend-service.invalid"),
        "{unresolvable:?}"
    );
    let server = JwksServer::start(jwks(&[])).await;
    server.set_behaviour(Behaviour::Html);
    let html = fetcher
        .get_json(&url(&server.jwks_url()))
        .await
        .expect_err("a web page");
    assert!(matches!(html, FetchError::Html { .. }), "{html:?}");
}
