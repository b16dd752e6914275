//! The Redis flag store at the level of serialized items: init, get, get-all, version-checked
//! upsert and the `$inited` marker, in the schema the Relay Proxy and other SDKs share.
//!
//! This layer knows nothing of prepared flags or caching; [`RedisDataStore`](super::RedisDataStore)
//! builds those on top of it.

use std::sync::{Arc, LazyLock};

use redis::Script;

use super::connection::RedisConnection;
use super::keys::KINDS;
use super::serialized_item::parse_stored;
use super::{RedisKeys, RedisOptions, RedisStoreError};
use crate::{DataKind, SerializedAllData, SerializedItem};

/// Writes an item only if the stored one is older, atomically on the server, so concurrent
/// writers (several SDK instances, a Relay Proxy) can never regress a version.
///
/// KEYS[1] = the kind's hash; ARGV = item key, new version, new JSON. Returns 1 if written.
/// A stored item that is not JSON with a numeric version counts as version 0 (it is replaced).
const UPSERT_IF_NEWER: &str = r"
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  local ok, decoded = pcall(cjson.decode, old)
  if ok and type(decoded) == 'table' and type(decoded['version']) == 'number'
     and decoded['version'] >= tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
";

static UPSERT_SCRIPT: LazyLock<Script> = LazyLock::new(|| Script::new(UPSERT_IF_NEWER));

fn items_of(data: &SerializedAllData, kind: DataKind) -> &[(String, SerializedItem)] {
    match kind {
        DataKind::Flag => &data.flags,
        DataKind::Segment => &data.segments,
    }
}

/// Everything a full read of Redis found.
#[derive(Debug, Clone, Default)]
pub struct StoredDataSet {
    /// The well-formed items.
    pub items: SerializedAllData,
    /// One error per stored item that is not JSON with a version.
    pub malformed: Vec<RedisStoreError>,
    /// Whether `$inited` exists.
    pub initialized: bool,
}

/// Async access to LaunchDarkly data in Redis, one serialized item at a time.
///
/// Cheap to clone (the connection is shared). Malformed stored items are reported per item by
/// [`get_all`](Self::get_all) so that one bad item never hides the others.
#[derive(Clone)]
pub struct SerializedRedisStore {
    conn: Arc<RedisConnection>,
    keys: Arc<RedisKeys>,
}

impl std::fmt::Debug for SerializedRedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerializedRedisStore")
            .field("url", &self.conn.redacted_url())
            .field("prefix", &self.keys.prefix())
            .finish()
    }
}

impl SerializedRedisStore {
    /// A store for `options`; connects on first use.
    ///
    /// # Errors
    /// [`RedisStoreError::InvalidUrl`] if the URL cannot be parsed.
    pub fn new(options: &RedisOptions) -> Result<Self, RedisStoreError> {
        Ok(Self {
            conn: Arc::new(RedisConnection::new(options)?),
            keys: Arc::new(RedisKeys::new(options.prefix_or_default())),
        })
    }

    /// The key names in use.
    pub fn keys(&self) -> &RedisKeys {
        &self.keys
    }

    /// The URL with any password masked, for logs.
    pub fn redacted_url(&self) -> &str {
        self.conn.redacted_url()
    }

    /// Replaces all flags and segments and sets `$inited`, in one MULTI/EXEC transaction:
    /// readers see either the old data set or the new one, never a mix.
    ///
    /// # Errors
    /// [`RedisStoreError::Unavailable`] or [`RedisStoreError::Command`]; nothing is written then.
    pub async fn init(&self, data: &SerializedAllData) -> Result<(), RedisStoreError> {
        let mut pipe = redis::pipe();
        pipe.atomic();
        for kind in KINDS {
            let hash = self.keys.items(kind);
            pipe.del(hash).ignore();
            // Chunked so that a huge environment does not become one enormous command.
            for chunk in items_of(data, kind).chunks(500) {
                let fields: Vec<(&str, &str)> = chunk
                    .iter()
                    .map(|(k, item)| (k.as_str(), item.json.as_str()))
                    .collect();
                pipe.hset_multiple(hash, &fields).ignore();
            }
        }
        pipe.set(self.keys.inited(), "").ignore();
        self.conn
            .run(|mut c| async move { pipe.query_async::<()>(&mut c).await })
            .await
    }

    /// One stored item, or `None` if Redis has no such key.
    ///
    /// # Errors
    /// Connection or command errors, or [`RedisStoreError::MalformedItem`].
    pub async fn get(
        &self,
        kind: DataKind,
        key: &str,
    ) -> Result<Option<SerializedItem>, RedisStoreError> {
        let hash = self.keys.items(kind);
        let raw: Option<String> = self
            .conn
            .run(|mut c| async move {
                redis::cmd("HGET")
                    .arg(hash)
                    .arg(key)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        raw.map(|json| parse_stored(kind, key, json)).transpose()
    }

    /// Every stored item of `kind`; an item that is not valid JSON with a version comes back as
    /// its own `Err` entry.
    ///
    /// # Errors
    /// Connection or command errors (the whole read failed).
    #[allow(clippy::type_complexity)]
    pub async fn get_all(
        &self,
        kind: DataKind,
    ) -> Result<Vec<(String, Result<SerializedItem, RedisStoreError>)>, RedisStoreError> {
        let hash = self.keys.items(kind);
        let raw: Vec<(String, String)> = self
            .conn
            .run(|mut c| async move { redis::cmd("HGETALL").arg(hash).query_async(&mut c).await })
            .await?;
        Ok(raw
            .into_iter()
            .map(|(key, json)| {
                let item = parse_stored(kind, &key, json);
                (key, item)
            })
            .collect())
    }

    /// Both kinds and the `$inited` marker, read in one MULTI/EXEC so they are consistent.
    /// Malformed items are left out of the data set and returned separately.
    ///
    /// # Errors
    /// Connection or command errors.
    pub async fn get_data_set(&self) -> Result<StoredDataSet, RedisStoreError> {
        let mut pipe = redis::pipe();
        pipe.atomic();
        pipe.hgetall(self.keys.items(DataKind::Segment));
        pipe.hgetall(self.keys.items(DataKind::Flag));
        pipe.exists(self.keys.inited());
        type Pairs = Vec<(String, String)>;
        let (segments, features, initialized): (Pairs, Pairs, bool) = self
            .conn
            .run(|mut c| async move { pipe.query_async(&mut c).await })
            .await?;
        let mut items = SerializedAllData::default();
        let mut malformed = Vec::new();
        for (kind, raw) in [(DataKind::Segment, segments), (DataKind::Flag, features)] {
            let list = match kind {
                DataKind::Flag => &mut items.flags,
                DataKind::Segment => &mut items.segments,
            };
            list.reserve(raw.len());
            for (key, json) in raw {
                match parse_stored(kind, &key, json) {
                    Ok(item) => list.push((key, item)),
                    Err(e) => malformed.push(e),
                }
            }
        }
        Ok(StoredDataSet {
            items,
            malformed,
            initialized,
        })
    }

    /// Writes `item` only if it is newer than what Redis holds (atomically, server side).
    /// Returns whether it was written; `false` means Redis already had this version or a newer one.
    ///
    /// # Errors
    /// Connection or command errors; nothing was written then.
    pub async fn upsert(
        &self,
        kind: DataKind,
        key: &str,
        item: &SerializedItem,
    ) -> Result<bool, RedisStoreError> {
        let hash = self.keys.items(kind);
        let written: i64 = self
            .conn
            .run(|mut c| async move {
                UPSERT_SCRIPT
                    .key(hash)
                    .arg(key)
                    .arg(item.version)
                    .arg(item.json.as_str())
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(written == 1)
    }

    /// Whether a full data set has been stored (`$inited` exists), by any writer.
    ///
    /// # Errors
    /// Connection or command errors.
    pub async fn is_initialized(&self) -> Result<bool, RedisStoreError> {
        let inited = self.keys.inited();
        self.conn
            .run(|mut c| async move { redis::cmd("EXISTS").arg(inited).query_async(&mut c).await })
            .await
    }

    /// Whether Redis answers at all.
    pub async fn is_available(&self) -> bool {
        self.is_initialized().await.is_ok()
    }
}
