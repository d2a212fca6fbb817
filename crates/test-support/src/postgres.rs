//! A throwaway PostgreSQL cluster on 127.0.0.1 with password (SCRAM) authentication, for the
//! failures a trusting server cannot show (a drifted password: "password authentication failed for user").
//! Uses the server programs of the Debian layout (`/usr/lib/postgresql/<version>/bin`); as root it
//! runs them as user `postgres`, since `initdb` refuses root. Stopped and deleted on drop.

use std::path::PathBuf;

use std::process::{Command, Stdio};
use tempfile::TempDir;

/// The running cluster. Its superuser is `postgres` with [`PasswordPostgres::SUPERUSER_PASSWORD`].
pub struct PasswordPostgres {
    /// The port it listens on (127.0.0.1 only).
    pub port: u16,
    /// Data directory, socket, log and password file; removed after the cluster stopped.
    dir: TempDir,
    bin: PathBuf,
}

impl PasswordPostgres {
    /// Password of the `postgres` superuser.
    pub const SUPERUSER_PASSWORD: &str = "superuser-password";

    /// Creates and starts a cluster on a free port; returns once it accepts connections.
    pub fn start() -> PasswordPostgres {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL server installed under /usr/lib/postgresql (Debian layout)")
            .filter_map(Result::ok)
            .map(|entry| entry.path().join("bin"))
            .filter(|bin| bin.join("initdb").exists())
            .max()
            .expect("an initdb under /usr/lib/postgresql/*/bin");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("free port")
            .port();
        let dir = crate::temp_dir("pg");
        std::fs::write(dir.path().join("pw"), Self::SUPERUSER_PASSWORD).expect("password file");
        let server = PasswordPostgres { port, dir, bin };
        if running_as_root() {
            server.run(Command::new("chown").args(["-R", "postgres", &server.path("")]));
        }
        server.run(server.tool("initdb").args([
            "-D",
            &server.path("data"),
            "-U",
            "postgres",
            "-A",
            "scram-sha-256",
            "-N",
            &format!("--pwfile={}", server.path("pw")),
        ]));
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            server.path("")
        );
        server.run(server.tool("pg_ctl").args([
            "-D",
            &server.path("data"),
            "-o",
            &options,
            "-l",
            &server.path("log"),
            "-w",
            "start",
        ]));
        server
    }

    /// `postgres://user:password@127.0.0.1:<port>/database`.
    pub fn url(&self, user: &str, password: &str, database: &str) -> String {
        format!(
            "postgres://{user}:{password}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// A server program, as user `postgres` when the tests run as root.
    fn tool(&self, name: &str) -> Command {
        let program = self.bin.join(name);
        let mut command = if running_as_root() {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(program);
            command
        } else {
            Command::new(program)
        };
        command.stdout(Stdio::null()).stderr(Stdio::null());
        command
    }

    fn run(&self, command: &mut Command) {
        let status = command
            .status()
            .unwrap_or_else(|error| panic!("{command:?}: {error}"));
        assert!(
            status.success(),
            "{command:?} failed; see {}",
            self.path("log")
        );
    }
}

impl Drop for PasswordPostgres {
    fn drop(&mut self) {
        let _ = self
            .tool("pg_ctl")
            .args(["-D", &self.path("data"), "-m", "immediate", "-w", "stop"])
            .status();
        // `dir` goes after this: the cluster has stopped writing to it.
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}
