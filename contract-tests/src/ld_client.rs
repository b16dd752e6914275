//! The adapter from the harness's commands to `ld-sdk`.
//!
//! Being wired as `ld-sdk` lands; until then it creates no clients and declares no capability
//! beyond the SDK type.

use crate::capabilities;
use crate::sdk_client::{CreateError, SdkClient, SdkClientFactory};
use crate::service_params::CreateInstanceParams;

/// Makes `ld-sdk` clients from the harness's configuration.
#[derive(Debug, Default)]
pub struct LdClientFactory;

impl LdClientFactory {
    /// A factory.
    pub fn new() -> Self {
        Self
    }
}

impl SdkClientFactory for LdClientFactory {
    fn name(&self) -> &str {
        "ld-rust"
    }

    fn version(&self) -> &str {
        env!("CARGO_PKG_VERSION")
    }

    fn capabilities(&self) -> Vec<String> {
        vec![capabilities::SERVER_SIDE.to_owned()]
    }

    fn create(&self, _params: &CreateInstanceParams) -> Result<Box<dyn SdkClient>, CreateError> {
        Err(CreateError::Sdk("ld-sdk is not wired in yet".into()))
    }
}
