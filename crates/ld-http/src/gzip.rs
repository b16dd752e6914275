//! Incremental gzip decoding of response bodies (`Content-Encoding: gzip`).

use std::io::Write;

use bytes::Bytes;
use flate2::write::GzDecoder;

/// Feeds compressed chunks in, hands decoded chunks out, without buffering the whole body.
pub(crate) struct GzipStream {
    decoder: GzDecoder<Vec<u8>>,
}

impl GzipStream {
    pub(crate) fn new() -> Self {
        GzipStream {
            decoder: GzDecoder::new(Vec::new()),
        }
    }

    /// Decodes one compressed chunk; the result may be empty while the decoder needs more input.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> std::io::Result<Bytes> {
        self.decoder.write_all(chunk)?;
        self.decoder.flush()?;
        Ok(Bytes::from(std::mem::take(self.decoder.get_mut())))
    }

    /// Signals the end of input; fails if the gzip stream was truncated.
    pub(crate) fn finish(&mut self) -> std::io::Result<Bytes> {
        self.decoder.try_finish()?;
        Ok(Bytes::from(std::mem::take(self.decoder.get_mut())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn decodes_a_body_fed_one_byte_at_a_time() {
        let plain: Vec<u8> = (0..20_000u32).flat_map(|i| i.to_le_bytes()).collect();
        let compressed = gzip(&plain);
        let mut stream = GzipStream::new();
        let mut out = Vec::new();
        for b in &compressed {
            out.extend_from_slice(&stream.push(std::slice::from_ref(b)).unwrap());
        }
        out.extend_from_slice(&stream.finish().unwrap());
        assert_eq!(out, plain);
    }

    #[test]
    fn truncated_gzip_is_an_error_not_a_short_body() {
        let compressed = gzip(b"{\"flags\":{}}");
        let mut stream = GzipStream::new();
        let _ = stream.push(&compressed[..compressed.len() - 4]).unwrap();
        assert!(stream.finish().is_err());
    }

    #[test]
    fn garbage_is_an_error() {
        let mut stream = GzipStream::new();
        assert!(stream.push(b"definitely not gzip data").is_err());
    }
}
