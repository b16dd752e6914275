//! The test service LaunchDarkly's conformance harness (`sdk-test-harness`) drives.
//!
//! **For:** proving this SDK behaves like LaunchDarkly's own server-side SDKs. The harness
//! starts mock LaunchDarkly services, asks this service over HTTP to create SDK clients pointed at
//! them, sends commands (evaluate, track, flush, …) and checks the answers and what the SDK sent.
//!
//! **Not for:** applications. Nothing here is a public API of the SDK.
//!
//! **Neighbours:** it drives `ld-sdk` (the facade) and nothing else of the workspace.
//!
//! **Key design decision:** the HTTP service ([`server`]) knows nothing of the SDK: it talks to
//! an [`SdkClientFactory`] / [`SdkClient`] pair of traits whose command methods default to
//! "unsupported". The SDK adapter ([`ld_client`]) implements what the SDK can do and declares
//! only those capabilities, so the service and the SDK can evolve independently.
#![forbid(unsafe_code)]

pub mod big_segment_fixture;
pub mod callback_client;
#[cfg(test)]
mod callback_recorder;
pub mod capabilities;
pub mod client_registry;
pub mod command_dispatch;
pub mod command_params;
pub mod context_commands;
pub mod harness_hook;
pub mod ld_client;
pub mod listener_registry;
pub mod migration_commands;
pub mod migration_params;
pub mod sdk_client;
pub mod server;
pub mod service_params;

pub use sdk_client::{CommandError, CreateError, SdkClient, SdkClientFactory};
