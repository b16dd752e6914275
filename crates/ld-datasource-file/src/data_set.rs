//! Turning files into a complete, typed data set (all-or-nothing).

use crate::error::FileDataError;
use crate::loader::{FileContent, parse_file, read_files};
use crate::merge::{DuplicateKeys, RawData, RawItem, merge};
use ld_store::{AllData, Flag, ItemDescriptor, Segment};
use serde::de::DeserializeOwned;
use std::path::Path;

/// Parses and merges already-read files into the JSON form (no data-model validation).
pub fn raw_data(
    files: &[FileContent],
    duplicates: DuplicateKeys,
) -> Result<RawData, FileDataError> {
    let docs = files
        .iter()
        .map(|f| parse_file(f).map(|d| (f.path.as_path(), d)))
        .collect::<Result<Vec<_>, _>>()?;
    merge(docs, duplicates)
}

/// Converts merged JSON items into prepared flags and segments.
pub fn to_all_data(raw: RawData) -> Result<AllData, FileDataError> {
    let mut data = AllData::default();
    for item in raw.flags {
        let (key, d) = typed::<Flag>("flag", item)?;
        data.flags.insert(key.into(), d);
    }
    for item in raw.segments {
        let (key, d) = typed::<Segment>("segment", item)?;
        data.segments.insert(key.into(), d);
    }
    Ok(data)
}

fn typed<T: DeserializeOwned>(
    kind: &'static str,
    item: RawItem,
) -> Result<(String, ItemDescriptor<T>), FileDataError> {
    let RawItem { key, value, origin } = item;
    let version = value.get("version").and_then(serde_json::Value::as_u64);
    let Some(version) = version else {
        return Err(FileDataError::InvalidItem {
            kind,
            key,
            origin,
            message: "\"version\" must be a non-negative integer".into(),
        });
    };
    match serde_json::from_value::<T>(value) {
        Ok(t) => Ok((key, ItemDescriptor::new(version, t))),
        Err(e) => Err(FileDataError::InvalidItem {
            kind,
            key,
            origin,
            message: e.to_string(),
        }),
    }
}

/// Reads, parses, merges and converts the files: the complete data set, or the first error
/// (in which case nothing from any file should be used).
///
/// ```no_run
/// use ld_datasource_file::{DuplicateKeys, load_files};
/// let data = load_files(&["flags.yaml", "more-flags.json"], DuplicateKeys::Error)?;
/// println!("{} flags", data.flags.len());
/// # Ok::<(), ld_datasource_file::FileDataError>(())
/// ```
pub fn load_files<P: AsRef<Path>>(
    paths: &[P],
    duplicates: DuplicateKeys,
) -> Result<AllData, FileDataError> {
    let files = read_files(paths)?;
    to_all_data(raw_data(&files, duplicates)?)
}
