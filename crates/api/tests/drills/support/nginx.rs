//! A real nginx (Debian's package) in front of the service replicas, run as a foreground child
//! with its configuration, logs and temp files in the drill's directory, listening on loopback.
//!
//! Retries: `proxy_next_upstream error timeout http_502 http_503 non_idempotent` lets nginx pass a
//! request to another replica when one refuses the connection, drops it or answers 502/503 — a
//! POST too, even one a replica may have applied. That is safe here only because every create of
//! the drills carries an `Idempotency-Key`, so the service answers a repeated create with the task
//! the first one made; without that key, leave `non_idempotent` off (nginx's default) and accept
//! that a POST cut off mid-way is answered 502 rather than risk applying it twice.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::eventually;
use super::service::free_port;

pub struct Nginx {
    child: Child,
    dir: PathBuf,
    pub port: u16,
    upstreams: Vec<u16>,
}

impl Nginx {
    /// Starts nginx balancing over the replicas listening on `upstreams`.
    pub async fn start(dir: &Path, upstreams: &[u16]) -> Nginx {
        let dir = dir.join("nginx");
        std::fs::create_dir_all(&dir).expect("nginx directory");
        let port = free_port();
        write_config(&dir, port, upstreams, None);
        Nginx::launch(dir, port, upstreams.to_vec()).await
    }

    /// Starts nginx with the `http { … }` contents that `servers(port)` returns (its `server`
    /// blocks, listening on 127.0.0.1:`port`); temp paths and logs stay in the drill's directory.
    pub async fn start_with(dir: &Path, servers: impl FnOnce(u16) -> String) -> Nginx {
        let dir = dir.join("nginx");
        std::fs::create_dir_all(&dir).expect("nginx directory");
        let port = free_port();
        let config = wrap(&dir, &servers(port));
        std::fs::write(dir.join("nginx.conf"), config).expect("write nginx.conf");
        Nginx::launch(dir, port, Vec::new()).await
    }

    async fn launch(dir: PathBuf, port: u16, upstreams: Vec<u16>) -> Nginx {
        let child = Command::new(binary())
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .arg("-e")
            .arg(dir.join("error.log"))
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn nginx (Debian package nginx-light, see .ci/install.sh)");
        let nginx = Nginx {
            child,
            dir,
            port,
            upstreams,
        };
        let listening = eventually(Duration::from_secs(10), || async {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
        })
        .await;
        assert!(
            listening,
            "nginx did not listen on {port}\n{}",
            nginx.error_log()
        );
        nginx
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Rewrites the configuration with `down` (a replica's port) marked down, or none, and
    /// reloads nginx (SIGHUP) — what removing an endpoint from a Service does. Returns once the
    /// new worker runs; the old one finishes its requests in the background.
    pub async fn reload(&self, down: Option<u16>) {
        write_config(&self.dir, self.port, &self.upstreams, down);
        let workers_before = self.started_workers();
        let pid = self.child.id().expect("nginx running").to_string();
        let sent = std::process::Command::new("kill")
            .args(["-HUP", &pid])
            .status()
            .expect("kill -HUP");
        assert!(sent.success(), "kill -HUP nginx");
        let reloaded = eventually(Duration::from_secs(10), || async {
            self.started_workers() > workers_before
        })
        .await;
        assert!(reloaded, "nginx did not reload\n{}", self.error_log());
    }

    fn started_workers(&self) -> usize {
        self.error_log().matches("start worker process").count()
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default()
    }
}

impl Drop for Nginx {
    /// Stops the master with SIGTERM so it takes its workers along (SIGKILL would orphan them).
    fn drop(&mut self) {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
            for _ in 0..100 {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = self.child.start_kill();
        }
    }
}

/// Debian installs nginx in /usr/sbin, which is not on every PATH.
fn binary() -> &'static str {
    if Path::new("/usr/sbin/nginx").exists() {
        "/usr/sbin/nginx"
    } else {
        "nginx"
    }
}

fn write_config(dir: &Path, port: u16, upstreams: &[u16], down: Option<u16>) {
    let servers: String = upstreams
        .iter()
        .map(|p| {
            let mark = if Some(*p) == down { " down" } else { "" };
            format!("        server 127.0.0.1:{p} max_fails=0{mark};\n")
        })
        .collect();
    let servers = format!(
        "    upstream replicas {{\n{servers}    }}\n\
         \x20   server {{\n        listen 127.0.0.1:{port};\n        location / {{\n\
         \x20           proxy_pass http://replicas;\n\
         \x20           proxy_next_upstream error timeout http_502 http_503 non_idempotent;\n\
         \x20           proxy_next_upstream_tries 3;\n\
         \x20           proxy_connect_timeout 2s;\n\
         \x20           proxy_read_timeout 30s;\n        }}\n    }}\n"
    );
    std::fs::write(dir.join("nginx.conf"), wrap(dir, &servers)).expect("write nginx.conf");
}

/// A whole nginx.conf around `servers`: foreground, one worker, everything under `dir`.
fn wrap(dir: &Path, servers: &str) -> String {
    let d = dir.display();
    format!(
        "daemon off;\nworker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log notice;\n\
         events {{ worker_connections 1024; }}\n\
         http {{\n    access_log off;\n\
         \x20   client_body_temp_path {d}/body;\n    proxy_temp_path {d}/proxy;\n\
         \x20   fastcgi_temp_path {d}/fastcgi;\n    uwsgi_temp_path {d}/uwsgi;\n    scgi_temp_path {d}/scgi;\n\
         {servers}}}\n"
    )
}
