//! Using `TestData` to control flags from your own tests: the flags change while the client runs.
//!
//! ```text
//! cargo run -p ld-sdk --example testdata_in_tests
//! ```
//!
//! In a real project the body of `main` is a `#[test]`.

use std::time::Duration;

use ld_sdk::{Client, Config, ContextBuilder, TestData};
use serde_json::json;

/// Application code under test: which checkout flow does this user get?
fn checkout_flow(client: &Client, user_key: &str, country: &str) -> String {
    let user = ContextBuilder::new(user_key)
        .set("country", json!(country))
        .build()
        .expect("valid context");
    client.string_variation("checkout-flow", &user, "classic")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let td = TestData::new();
    td.update(
        td.flag("checkout-flow")
            .variations(["classic", "express"])
            .fallthrough_variation(0)
            .variation_for_user("beta-tester", 1)
            .if_match("country", ["nz", "au"])
            .then_return(1),
    );

    let client = Client::new(
        Config::builder("test-sdk-key")
            .data_source(&td)
            .send_events(false)
            .build()?,
    )?;
    client.wait_for_initialization(Duration::from_secs(1))?; // immediate with TestData

    assert_eq!(checkout_flow(&client, "someone", "fr"), "classic");
    assert_eq!(checkout_flow(&client, "beta-tester", "fr"), "express");
    assert_eq!(checkout_flow(&client, "someone", "nz"), "express");

    // Roll out to everyone: the running client sees it at once.
    let changes = client.flag_tracker().subscribe();
    td.update(td.flag("checkout-flow").variation_for_all(1));
    assert_eq!(
        changes.recv_timeout(Duration::from_secs(1))?.key,
        "checkout-flow"
    );
    assert_eq!(checkout_flow(&client, "someone", "fr"), "express");

    // Flags TestData's builder does not cover: LaunchDarkly JSON.
    td.use_preconfigured_flag(json!({
        "key": "half", "on": true, "salt": "x", "variations": [false, true],
        "fallthrough": {"rollout": {"variations": [{"variation": 0, "weight": 50000},
                                                   {"variation": 1, "weight": 50000}]}}
    }));
    let served: Vec<bool> = (0..10)
        .map(|i| {
            let user = ContextBuilder::new(format!("user-{i}"))
                .build()
                .expect("valid");
            client.bool_variation("half", &user, false)
        })
        .collect();
    println!("50/50 rollout over ten users: {served:?}");
    println!("all assertions passed");
    client.close();
    Ok(())
}
