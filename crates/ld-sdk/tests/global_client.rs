//! The opt-in process-wide client (the Python SDK's `ldclient.set_config()` / `ldclient.get()`).
//!
//! One test function, because the global client is process-wide state.

use std::time::Duration;

use ld_sdk::{Config, ContextBuilder, InitializationError, TestData, global};

#[test]
fn set_config_installs_a_client_and_replacing_it_closes_the_previous_one() {
    assert!(global::get().is_none());

    let td = TestData::new();
    td.update(td.flag("f").variation_for_all(true));
    let first = global::set_config(
        Config::builder("k")
            .data_source(&td)
            .send_events(false)
            .build()
            .unwrap(),
    )
    .unwrap();
    let user = ContextBuilder::new("u").build().unwrap();
    assert!(global::get().unwrap().bool_variation("f", &user, false));

    let second = global::set_config(Config::builder("k").offline(true).build().unwrap()).unwrap();
    assert!(global::get().unwrap().is_offline());
    assert!(second.is_offline());
    assert_eq!(
        first.wait_for_initialization(Duration::from_secs(1)),
        Err(InitializationError::Closed)
    );

    global::close();
    assert!(global::get().is_none());
    assert_eq!(
        second.wait_for_initialization(Duration::from_secs(1)),
        Err(InitializationError::Closed)
    );
}
