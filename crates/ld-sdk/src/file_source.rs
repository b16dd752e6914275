//! The file data source from `ld-datasource-file`, configured from the client's settings.

use std::sync::Arc;

use ld_datasource_file::FileDataSource;
use ld_store::DataSource;

use crate::DataSourceBuildError;
use crate::data_source_config::FileOptions;

pub(crate) fn build(options: &FileOptions) -> Result<Arc<dyn DataSource>, DataSourceBuildError> {
    Ok(Arc::new(
        FileDataSource::builder()
            .paths(options.paths.iter().cloned())
            .auto_reload(options.auto_update)
            .build(),
    ))
}
