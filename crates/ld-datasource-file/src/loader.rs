//! Reading flag files from disk and parsing each into a [`Document`].

use crate::document::Document;
use crate::error::FileDataError;
use crate::format::FileFormat;
use std::io::Read;
use std::path::{Path, PathBuf};

/// The largest flag file the loader reads (64 MiB): a bound against mistakes like pointing the
/// loader at a log file or a device.
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// The raw bytes of one flag file as read from disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileContent {
    /// The path as configured.
    pub path: PathBuf,
    /// The file's bytes.
    pub bytes: Vec<u8>,
}

/// Reads one flag file, refusing directories and files over [`MAX_FILE_SIZE`].
pub fn read_file(path: &Path) -> Result<FileContent, FileDataError> {
    let io = |source| FileDataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(FileDataError::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(FileDataError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            limit: MAX_FILE_SIZE,
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // Read at most one byte past the limit, in case the file grew after the metadata call.
    let read = file
        .by_ref()
        .take(MAX_FILE_SIZE + 1)
        .read_to_end(&mut bytes);
    match read {
        Ok(n) if n as u64 > MAX_FILE_SIZE => Err(FileDataError::TooLarge {
            path: path.to_path_buf(),
            size: n as u64,
            limit: MAX_FILE_SIZE,
        }),
        Ok(_) => Ok(FileContent {
            path: path.to_path_buf(),
            bytes,
        }),
        // Reading a directory on some platforms fails here rather than at metadata time.
        Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => Err(FileDataError::IsDirectory {
            path: path.to_path_buf(),
        }),
        Err(e) => Err(io(e)),
    }
}

/// Reads every file, failing on the first that cannot be read.
pub fn read_files<P: AsRef<Path>>(paths: &[P]) -> Result<Vec<FileContent>, FileDataError> {
    paths.iter().map(|p| read_file(p.as_ref())).collect()
}

/// Parses one file's bytes, choosing JSON or YAML with [`FileFormat::detect`].
///
/// ```
/// use ld_datasource_file::{FileContent, parse_file};
/// let file = FileContent { path: "f.json".into(), bytes: br#"{"flagValues":{"a":true}}"#.to_vec() };
/// assert_eq!(parse_file(&file).unwrap().flag_values[0].0, "a");
/// ```
pub fn parse_file(file: &FileContent) -> Result<Document, FileDataError> {
    let bytes = file
        .bytes
        .strip_prefix(b"\xEF\xBB\xBF")
        .unwrap_or(&file.bytes);
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FileDataError::Empty {
            path: file.path.clone(),
        });
    }
    match FileFormat::detect(&file.path, bytes) {
        FileFormat::Json => Document::from_json(bytes).map_err(|e| FileDataError::Parse {
            path: file.path.clone(),
            line: e.line(),
            column: e.column(),
            message: strip_position(e.to_string()),
        }),
        FileFormat::Yaml => parse_yaml(file, bytes),
    }
}

#[cfg(feature = "yaml")]
fn parse_yaml(file: &FileContent, bytes: &[u8]) -> Result<Document, FileDataError> {
    crate::yaml::parse(bytes).map_err(|e| FileDataError::Parse {
        path: file.path.clone(),
        line: e.line,
        column: e.column,
        message: strip_position(e.message),
    })
}

#[cfg(not(feature = "yaml"))]
fn parse_yaml(file: &FileContent, _bytes: &[u8]) -> Result<Document, FileDataError> {
    Err(FileDataError::YamlNotEnabled {
        path: file.path.clone(),
    })
}

/// Parsers append " at line L column C" to messages; the error already carries the position.
fn strip_position(mut message: String) -> String {
    if let Some(i) = message.rfind(" at line ") {
        message.truncate(i);
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content(path: &str, text: &str) -> FileContent {
        FileContent {
            path: path.into(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    #[test]
    fn json_parse_errors_name_file_line_and_column() {
        let err = parse_file(&content("a.json", "{\n  \"flags\": {,}\n}")).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("a.json:2:"), "{text}");
        assert!(!text.contains(" at line "), "{text}");
    }

    #[test]
    fn whitespace_only_file_is_reported_as_empty() {
        assert!(matches!(
            parse_file(&content("a.json", " \n\t")),
            Err(FileDataError::Empty { .. })
        ));
    }

    #[test]
    fn a_json_document_with_trailing_garbage_is_rejected() {
        assert!(parse_file(&content("a.json", "{} {}")).is_err());
    }

    #[test]
    fn a_top_level_array_is_rejected() {
        let err = parse_file(&content("a.json", "[1]")).unwrap_err();
        assert!(err.to_string().contains("flagValues"), "{err}");
    }

    #[cfg(not(feature = "yaml"))]
    #[test]
    fn yaml_without_the_feature_says_which_feature_to_enable() {
        let err = parse_file(&content("a.yaml", "flagValues: {}")).unwrap_err();
        assert!(matches!(err, FileDataError::YamlNotEnabled { .. }));
    }
}
