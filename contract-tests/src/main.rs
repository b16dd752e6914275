//! `contract-tests`: the SDK test service for LaunchDarkly's `sdk-test-harness`.
//!
//! Listens on `127.0.0.1:8000` (`--port`, or the `PORT` environment variable) until the harness
//! sends `DELETE /`. Logs go to stderr; `RUST_LOG` sets the filter (default `info`).
#![forbid(unsafe_code)]

use clap::Parser;
use contract_tests::ld_client::LdClientFactory;
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;

/// The SDK test service for LaunchDarkly's sdk-test-harness.
#[derive(Debug, Parser)]
#[command(name = "contract-tests", version)]
struct Args {
    /// Port to listen on (loopback only); 0 picks a free port and prints it.
    #[arg(long, env = "PORT", default_value_t = 8000)]
    port: u16,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("contract-tests: could not start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
        let listener = tokio::net::TcpListener::bind(address).await?;
        let bound = listener.local_addr()?;
        // Tests and scripts read this line to learn the port.
        println!("contract-tests listening on http://{bound}");
        contract_tests::server::serve(listener, Arc::new(LdClientFactory::new())).await
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("contract-tests: {e}");
            ExitCode::FAILURE
        }
    }
}
