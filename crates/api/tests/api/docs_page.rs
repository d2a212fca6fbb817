//! `/docs` in a real browser: Debian's headless Chromium loads the page with every host but
//! the service unreachable (its resolver maps every name to "not found" and any proxied
//! request goes to a closed port), runs its scripts, and the rendered page must list every
//! operation of `/openapi.json`. A page that needed a CDN would render nothing.
//!
//! Chromium comes from .ci/install.sh (`apt-get install chromium`).

use std::process::Stdio;
use std::time::Duration;

use test_support::temp_dir;
use tokio::process::Command;

use crate::helpers::{Backend, TestApp};

/// Longest the browser may take; it normally finishes in a few seconds.
const BROWSER_DEADLINE: Duration = Duration::from_secs(90);

/// The page as Chromium rendered it after running its scripts.
async fn rendered(url: &str) -> String {
    let profile = temp_dir("chromium-profile");
    let child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--no-first-run",
            "--no-default-browser-check",
            // No network beyond the service: names resolve to nothing, and anything else would
            // have to go through a proxy on a closed port. Loopback is exempt from both.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--proxy-server=http://127.0.0.1:9",
            "--proxy-bypass-list=127.0.0.1",
            "--virtual-time-budget=20000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("chromium runs (Debian package `chromium`; .ci/install.sh installs it)");
    let output = tokio::time::timeout(BROWSER_DEADLINE, child.wait_with_output())
        .await
        .expect("chromium finished in time")
        .expect("chromium output");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8 DOM")
}

#[tokio::test]
async fn the_docs_page_lists_every_operation_with_no_network_beyond_the_service() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let document = app.get_json("/openapi.json").await;
    // `/docs` is the address people type; it leads to the page.
    let redirect = app.get("/docs").await;
    assert!(
        redirect.url().path().starts_with("/docs"),
        "{}",
        redirect.url()
    );
    assert_eq!(redirect.status(), 200);

    let dom = rendered(&app.url("/docs/")).await;
    let mut operations = 0;
    for item in document["paths"].as_object().expect("paths").values() {
        for operation in item.as_object().expect("path item").values() {
            let id = operation["operationId"].as_str().expect("operationId");
            let tag = operation["tags"][0].as_str().expect("a tag");
            // Swagger UI renders each operation as a block with this id.
            let block = format!("id=\"operations-{tag}-{id}\"");
            assert!(dom.contains(&block), "{block} not rendered:\n{dom}");
            operations += 1;
        }
    }
    assert!(operations >= 10, "{operations} operations");
    assert!(
        !dom.contains("validator.swagger.io"),
        "the online validator badge calls out of the service"
    );
}
