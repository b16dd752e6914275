//! Choosing how to parse a flag file: by its extension, else by its content.

use std::path::Path;

/// The syntax of a flag data file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// JSON (`.json`, or content starting with `{`).
    Json,
    /// YAML (`.yaml`/`.yml`, or any other content). Parsing needs the `yaml` feature.
    Yaml,
}

impl FileFormat {
    /// Picks the format from the file extension (`json`, `yaml`, `yml`, case-insensitive);
    /// otherwise JSON when the first non-blank character is `{`, else YAML.
    ///
    /// ```
    /// use ld_datasource_file::FileFormat;
    /// use std::path::Path;
    /// assert_eq!(FileFormat::detect(Path::new("f.yml"), b"{}"), FileFormat::Yaml);
    /// assert_eq!(FileFormat::detect(Path::new("flags"), b"  {\"flags\":{}}"), FileFormat::Json);
    /// assert_eq!(FileFormat::detect(Path::new("flags"), b"flagValues:\n  a: 1"), FileFormat::Yaml);
    /// ```
    pub fn detect(path: &Path, content: &[u8]) -> Self {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("json") => Self::Json,
            Some("yaml" | "yml") => Self::Yaml,
            _ => {
                let first = content
                    .strip_prefix(b"\xEF\xBB\xBF")
                    .unwrap_or(content)
                    .iter()
                    .find(|b| !b.is_ascii_whitespace());
                if first == Some(&b'{') {
                    Self::Json
                } else {
                    Self::Yaml
                }
            }
        }
    }
}

impl std::fmt::Display for FileFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Json => "JSON",
            Self::Yaml => "YAML",
        })
    }
}
