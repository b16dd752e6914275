//! The real `contract-tests` binary, started on a free loopback port.

use contract_tests::callback_client::{Reply, request};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running service process; killed on drop if still running.
pub struct ServiceProcess {
    /// `http://127.0.0.1:PORT`.
    pub base_uri: String,
    child: Child,
}

impl ServiceProcess {
    /// Starts the binary with `--port 0` and reads the port it printed.
    pub fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_contract-tests"))
            .args(["--port", "0"])
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the service binary");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the first line");
        let base_uri = line
            .trim()
            .rsplit(' ')
            .next()
            .filter(|u| u.starts_with("http://127.0.0.1:"))
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self { base_uri, child }
    }

    /// Sends a request with an optional JSON body.
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let bytes = body.map(|b| serde_json::to_vec(b).expect("serialize"));
        request(
            method,
            &format!("{}{path}", self.base_uri),
            bytes.as_deref(),
        )
        .expect("request")
    }

    /// Sends a raw body.
    pub fn call_raw(&self, method: &str, path: &str, body: &[u8]) -> Reply {
        request(method, &format!("{}{path}", self.base_uri), Some(body)).expect("request")
    }

    /// Waits for the process to exit by itself.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
