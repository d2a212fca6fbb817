//! Makes sure `interop/node_modules` holds the pinned npm packages before a Node server starts.
//!
//! CI runs `npm ci` in `.ci/install.sh`; a newcomer who only runs `cargo nextest run --workspace` gets it
//! done here, once: nextest runs every test in its own process, so the install is guarded by a file lock
//! and re-checked after the lock is taken.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The `interop/` directory of the repository (Node servers, package.json, package-lock.json).
pub fn interop_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop");
        dir.canonicalize()
            .unwrap_or_else(|e| panic!("interop directory {} missing: {e}", dir.display()))
    })
}

fn installed(dir: &Path) -> bool {
    // npm writes the hidden lockfile last, so its presence means a complete install.
    let modules = dir.join("node_modules");
    modules.join(".package-lock.json").is_file()
        && modules.join("better-auth/package.json").is_file()
        && modules.join("oidc-provider/package.json").is_file()
        && modules
            .join("@modelcontextprotocol/sdk/package.json")
            .is_file()
}

/// Installs the npm packages from package-lock.json unless already there. Panics with the npm output on failure.
pub fn ensure_installed() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let dir = interop_dir();
        if installed(dir) {
            return;
        }
        let lock_path = std::env::temp_dir().join("backend-api-interop-npm-ci.lock");
        let lock = File::create(&lock_path).expect("create the npm install lock file");
        lock.lock().expect("take the npm install lock");
        if !installed(dir) {
            let output = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(dir)
                .output()
                .unwrap_or_else(|e| {
                    panic!("cannot run npm (Node.js >= 20 with npm is needed by the interop suite): {e}")
                });
            assert!(
                output.status.success(),
                "npm ci in {} failed:\n{}\n{}",
                dir.display(),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        // The lock is released when `lock` is dropped here.
    });
}
