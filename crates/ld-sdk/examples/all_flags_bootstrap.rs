//! Bootstrap LaunchDarkly's JavaScript SDK from the server: `all_flags_state` serializes to
//! exactly the JSON its `bootstrap` option takes.
//!
//! ```text
//! cargo run -p ld-sdk --example all_flags_bootstrap
//! ```

use ld_sdk::{Client, Config, ContextBuilder, FlagsStateOptions, TestData};
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let td = TestData::new();
    // Flags from TestData's builder are server-side only; client-side ones need LaunchDarkly's
    // `clientSide` (or `clientSideAvailability`) property, so they are given as JSON here.
    td.update(td.flag("server-only-switch").variation_for_all(true));
    td.use_preconfigured_flag(json!({
        "key": "dark-mode", "on": true, "variations": [false, true], "fallthrough": {"variation": 1},
        "clientSide": true
    }));
    td.use_preconfigured_flag(json!({
        "key": "banner", "on": true, "variations": ["Spring sale"], "fallthrough": {"variation": 0},
        "clientSideAvailability": {"usingEnvironmentId": true, "usingMobileKey": true}
    }));
    // A server-only flag: not offered to client-side SDKs.
    td.use_preconfigured_flag(json!({
        "key": "db-pool-size", "on": true, "variations": [10, 50], "fallthrough": {"variation": 1},
        "clientSideAvailability": {"usingEnvironmentId": false, "usingMobileKey": false}
    }));
    td.use_preconfigured_flag(json!({
        "key": "new-nav", "on": true, "variations": [false, true], "fallthrough": {"variation": 1},
        "clientSide": true, "trackEvents": true
    }));

    let client = Client::new(
        Config::builder("sdk-key")
            .data_source(&td)
            .send_events(false)
            .build()?,
    )?;
    let user = ContextBuilder::new("aa0ceb").build()?;

    // Everything, with reasons (for debugging):
    let everything = client.all_flags_state(&user, FlagsStateOptions::default().with_reasons());
    println!("{}", serde_json::to_string_pretty(&everything)?);

    // What a page should embed: client-side flags only, details only where events need them.
    let bootstrap = client.all_flags_state(
        &user,
        FlagsStateOptions::default()
            .client_side_only()
            .details_only_for_tracked_flags(),
    );
    println!(
        "<script>const ldClient = LDClient.initialize(clientSideId, user, {{ bootstrap: {} }});</script>",
        serde_json::to_string(&bootstrap)?
    );
    // The Python SDK's all_flags(): just keys and values.
    println!("{:?}", everything.values());
    client.close();
    Ok(())
}
