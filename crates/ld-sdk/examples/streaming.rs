//! Connect to LaunchDarkly (or a Relay Proxy) over streaming and watch a flag change live.
//!
//! ```text
//! LD_SDK_KEY=sdk-... LD_FLAG_KEY=my-flag cargo run -p ld-sdk --example streaming
//! LD_RELAY=http://localhost:8030 ...                       # optionally through a Relay Proxy
//! ```
//!
//! Runs inside a tokio application to show that the client does not care: it owns its runtime.

use std::time::Duration;

use ld_sdk::{Client, Config, ContextBuilder};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Ok(sdk_key) = std::env::var("LD_SDK_KEY") else {
        eprintln!("set LD_SDK_KEY (and LD_FLAG_KEY) to run this example");
        return Ok(());
    };
    let flag_key = std::env::var("LD_FLAG_KEY").unwrap_or_else(|_| "my-flag".into());

    let mut builder = Config::builder(sdk_key).application_id("streaming-example");
    if let Ok(relay) = std::env::var("LD_RELAY") {
        builder = builder.relay_proxy(relay);
    }
    let client = Client::new(builder.build()?)?;
    match client
        .wait_for_initialization_async(Duration::from_secs(10))
        .await
    {
        Ok(()) => println!("connected"),
        Err(why) => println!("not initialized yet: {why}"),
    }

    let user = ContextBuilder::new("example-user").build()?;
    println!(
        "{flag_key} = {}",
        client.json_variation(&flag_key, &user, serde_json::Value::Null)
    );

    // Flag value changes for this user arrive on a channel; watch for one minute.
    let changes = client.subscribe_flag_value(&flag_key, &user, serde_json::Value::Null);
    let watcher = std::thread::spawn(move || {
        while let Ok(change) = changes.recv_timeout(Duration::from_secs(60)) {
            println!(
                "{} changed: {} -> {}",
                change.key, change.old_value, change.new_value
            );
        }
    });
    let status = client.data_source_status();
    println!(
        "data source: {} since {:?}",
        status.state, status.state_since
    );
    tokio::task::spawn_blocking(move || watcher.join())
        .await?
        .ok();
    client.close_async().await;
    Ok(())
}
