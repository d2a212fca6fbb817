//! Turns a `Report` into what the operator reads: aligned text (coloured only on a terminal) or JSON.
//!
//! Rendering never decides anything: severities and exit codes come from the findings themselves.

use std::fmt::Write as _;

use super::finding::{Report, Severity};

/// Whether the text output may use ANSI colours: only on a terminal, and never when `NO_COLOR` is set
/// (<https://no-color.org>), so logs and pipes stay plain.
pub(crate) fn colour_wanted(stdout_is_terminal: bool, no_color_set: bool) -> bool {
    stdout_is_terminal && !no_color_set
}

/// `{"findings":[…]}`, the shape scripts rely on (a documented contract).
pub(crate) fn json(report: &Report) -> String {
    // Serialising plain strings and enums cannot fail; the fallback keeps the shape anyway.
    serde_json::to_string_pretty(report).unwrap_or_else(|_| r#"{"findings":[]}"#.to_owned())
}

/// One finding per line, columns aligned, the fix indented underneath, then a one-line summary.
pub(crate) fn text(report: &Report, colour: bool) -> String {
    let code_width = report
        .findings
        .iter()
        .map(|f| f.code.as_str().len())
        .max()
        .unwrap_or(0);
    let check_width = report
        .findings
        .iter()
        .map(|f| f.check.chars().count())
        .max()
        .unwrap_or(0)
        .min(48);
    let mut out = String::new();
    for finding in &report.findings {
        let label = paint(
            &format!("{:<4}", finding.severity.label()),
            finding.severity,
            colour,
        );
        let _ = writeln!(
            out,
            "{label}  {:<code_width$}  {:<check_width$}  {}",
            finding.code.as_str(),
            finding.check,
            finding.observed
        );
        if let Some(fix) = &finding.fix {
            let indent = 4 + 2 + code_width + 2;
            let _ = writeln!(out, "{:indent$}fix: {fix}", "");
        }
    }
    let _ = writeln!(
        out,
        "\n{} ok, {} warning(s), {} failure(s)",
        report.count(Severity::Ok),
        report.count(Severity::Warn),
        report.count(Severity::Fail)
    );
    out
}

fn paint(text: &str, severity: Severity, colour: bool) -> String {
    if !colour {
        return text.to_owned();
    }
    let sgr = match severity {
        Severity::Ok => "32",
        Severity::Warn => "33",
        Severity::Fail => "1;31",
    };
    format!("\x1b[{sgr}m{text}\x1b[0m")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::codes::Code;
    use crate::doctor::finding::Finding;

    fn sample() -> Report {
        Report {
            findings: vec![
                Finding::ok(Code::ConfigOk, "configuration", "all variables parsed"),
                Finding::fail(
                    Code::JwksNotFound,
                    "provider better-auth: JWKS",
                    "GET http://frontend:3000/.well-known/jwks.json -> 404",
                    "set BETTER_AUTH_JWKS_URL=http://frontend:3000/api/auth/jwks",
                ),
            ],
        }
    }

    #[test]
    fn json_has_the_spec_shape_with_null_fix_for_passing_checks() {
        let value: serde_json::Value = serde_json::from_str(&json(&sample())).expect("valid JSON");
        let findings = value["findings"].as_array().expect("findings array");
        assert_eq!(findings.len(), 2);
        assert_eq!(findings[0]["severity"], "ok");
        assert!(findings[0]["fix"].is_null());
        assert_eq!(findings[1]["code"], "jwks_not_found");
        assert_eq!(findings[1]["severity"], "fail");
        for key in ["code", "severity", "check", "observed", "fix"] {
            assert!(findings[1].get(key).is_some(), "missing {key}");
        }
    }

    #[test]
    fn text_aligns_columns_and_has_no_escape_codes_without_colour() {
        let out = text(&sample(), false);
        assert!(!out.contains('\x1b'));
        let lines: Vec<&str> = out.lines().collect();
        let observed_col = |line: &str, needle: &str| line.find(needle).expect("observed text");
        assert_eq!(
            observed_col(lines[0], "all variables"),
            observed_col(lines[1], "GET http")
        );
        assert!(
            lines[2]
                .trim_start()
                .starts_with("fix: set BETTER_AUTH_JWKS_URL")
        );
        assert!(out.contains("1 ok, 0 warning(s), 1 failure(s)"));
    }

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour_wanted(true, false));
        assert!(!colour_wanted(false, false));
        assert!(!colour_wanted(true, true));
        assert!(text(&sample(), true).contains("\x1b[1;31mFAIL"));
    }
}
