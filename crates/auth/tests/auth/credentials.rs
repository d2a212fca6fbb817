//! A password inside a configured URL (`http://user:s3cret@host/jwks`) is used to fetch
//! but never shown: not in the status behind `/ready`, errors, hints or `Debug`.

use backend_api_auth::{InitError, KeySource, ProviderConfig, Verifier, VerifierConfig};
use test_support::{Behaviour, JwksServer, TestKey, jwks};
use url::Url;

use crate::helpers;

const PASSWORD: &str = "s3cret-in-url";

fn with_credentials(url: &str) -> String {
    url.replacen("http://", &format!("http://user:{PASSWORD}@"), 1)
}

fn assert_hidden(what: &str, text: &str) {
    assert!(
        !text.contains(PASSWORD),
        "{what} shows the password: {text}"
    );
}

#[tokio::test]
async fn url_password_never_shows_in_status_errors_or_debug() {
    let key = TestKey::generate("EdDSA");
    let server = JwksServer::start(jwks(&[&key])).await;
    server.set_behaviour(Behaviour::NotFound);
    let url = with_credentials(&server.jwks_url());
    let provider = helpers::provider("idp", &url);
    assert_hidden("Debug of the provider", &format!("{provider:?}"));
    let verifier = helpers::verifier(vec![provider], helpers::clock());
    let refused = verifier.refresh("idp").await.expect_err("404");
    assert_hidden("refresh error", &format!("{refused} {:?}", refused.hint()));
    assert!(
        refused.hint().expect("hint").contains("user:***@"),
        "{refused:?}"
    );
    let claims = test_support::claims(helpers::ISSUER, helpers::AUDIENCE, "u", test_support::now());
    let error = verifier
        .verify(&key.sign(&claims))
        .await
        .expect_err("no keys");
    assert_hidden("verify error", &format!("{error} {:?}", error.hint()));
    let status = &verifier.status()[0];
    assert_hidden("status", &format!("{status:?} {:?}", status.problem()));

    // Connection refused, the other error path.
    server.stop().await;
    let refused = verifier.refresh("idp").await.expect_err("down");
    assert_hidden("transport error", &format!("{:?}", refused.hint()));
    assert_hidden("status", &format!("{:?}", verifier.status()[0]));
}

#[test]
fn url_password_never_shows_in_configuration_errors() {
    let url = Url::parse(&format!("ftp://user:{PASSWORD}@idp/jwks")).expect("url");
    let provider = ProviderConfig::new("idp", "https://idp", KeySource::JwksUrl(url));
    let error = Verifier::new(VerifierConfig {
        providers: vec![provider],
        ..VerifierConfig::default()
    })
    .err()
    .expect("ftp is refused");
    assert!(matches!(error, InitError::BadUrl { .. }));
    assert_hidden("configuration error", &error.to_string());
}
