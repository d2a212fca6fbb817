use crate::helpers::{Doctor, closed_port};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mcp_resource_metadata_is_reported_with_its_authorization_servers() {
    let port = closed_port().await;
    let issuer = format!("http://127.0.0.1:{port}");
    let report = Doctor::new(&[])
        .env("BETTER_AUTH_URL", issuer.clone())
        .env("MCP_RESOURCE_URL", "https://api.example.com/")
        .env("MCP_AUDIENCE", "https://api.example.com")
        .json()
        .await;
    let finding = report.expect("mcp_resource_metadata", "ok");
    let observed = finding["observed"].as_str().expect("observed");
    assert!(
        observed.contains("https://api.example.com/.well-known/oauth-protected-resource")
            && observed.contains(&issuer),
        "{observed}"
    );
    // Better Auth's audience defaults to its issuer: tokens would need both in aud.
    report.expect("mcp_audience_not_accepted", "warn");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_without_a_resource_url_is_warned() {
    let port = closed_port().await;
    let report = Doctor::new(&[])
        .env("ENVIRONMENT", "production")
        .env("BETTER_AUTH_URL", format!("http://127.0.0.1:{port}"))
        .json()
        .await;
    let finding = report.expect("mcp_resource_url_unset", "warn");
    assert!(
        finding["fix"]
            .as_str()
            .is_some_and(|fix| fix.contains("MCP_RESOURCE_URL")),
        "{finding}"
    );
    assert!(!report.has("mcp_resource_metadata"));
}
