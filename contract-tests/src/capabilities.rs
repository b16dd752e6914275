//! Capability strings the harness understands (from its `servicedef` package).
//!
//! The service declares a capability only when the feature works end to end; the harness then
//! runs the matching optional test groups.

/// A server-side SDK (runs the server-side suite).
pub const SERVER_SIDE: &str = "server-side";
/// Typed variation methods (`bool_variation`, …).
pub const STRONGLY_TYPED: &str = "strongly-typed";
/// `all_flags_state` can include reasons.
pub const ALL_FLAGS_WITH_REASONS: &str = "all-flags-with-reasons";
/// `all_flags_state` can keep only client-side flags.
pub const ALL_FLAGS_CLIENT_SIDE_ONLY: &str = "all-flags-client-side-only";
/// `all_flags_state` can keep details only for tracked flags.
pub const ALL_FLAGS_DETAILS_ONLY_FOR_TRACKED_FLAGS: &str =
    "all-flags-details-only-for-tracked-flags";
/// The SDK has a context type with JSON conversions (`contextBuild`, `contextConvert`).
pub const CONTEXT_TYPE: &str = "context-type";
/// Contexts can be compared for equality (`contextComparison`).
pub const CONTEXT_COMPARISON: &str = "context-comparison";
/// `secure_mode_hash`.
pub const SECURE_MODE_HASH: &str = "secure-mode-hash";
/// The service understands the `polling` configuration.
pub const SERVER_SIDE_POLLING: &str = "server-side-polling";
/// Base URIs can be set independently of enabling each service.
pub const SERVICE_ENDPOINTS: &str = "service-endpoints";
/// Application tags (`X-LaunchDarkly-Tags`).
pub const TAGS: &str = "tags";
/// Payload filters for streaming and polling.
pub const FILTERING: &str = "filtering";
/// Invalid payload filter keys are left out of requests (not sent percent-encoded).
pub const FILTERING_STRICT: &str = "filtering-strict";
/// Events are always gzip-compressed.
pub const EVENT_GZIP: &str = "event-gzip";
/// Event compression can be switched on and off.
pub const OPTIONAL_EVENT_GZIP: &str = "optional-event-gzip";
/// Flags' `samplingRatio` and `excludeFromSummaries` are honoured.
pub const EVENT_SAMPLING: &str = "event-sampling";
/// Feature and custom events carry the full (redacted) context.
pub const INLINE_CONTEXT_ALL: &str = "inline-context-all";
/// Anonymous contexts are redacted in feature events.
pub const ANONYMOUS_REDACTION: &str = "anonymous-redaction";
/// Requests carry an `X-LaunchDarkly-Instance-Id` header.
pub const INSTANCE_ID: &str = "instance-id";
/// Wrapper name/version header.
pub const WRAPPER: &str = "wrapper";
/// Old-style user JSON is accepted where contexts are.
pub const USER_TYPE: &str = "user-type";
/// TLS with peer verification.
pub const TLS_VERIFY_PEER: &str = "tls:verify-peer";
/// TLS without peer verification.
pub const TLS_SKIP_VERIFY_PEER: &str = "tls:skip-verify-peer";
/// TLS trusting only a given CA file.
pub const TLS_CUSTOM_CA: &str = "tls:custom-ca";
/// Polling responses may be gzip-compressed.
pub const POLLING_GZIP: &str = "polling-gzip";
/// Evaluation hooks.
pub const EVALUATION_HOOKS: &str = "evaluation-hooks";
/// Track hooks.
pub const TRACK_HOOKS: &str = "track-hooks";
/// Big segments with a custom store.
pub const BIG_SEGMENTS: &str = "big-segments";
/// Flag change listeners.
pub const FLAG_CHANGE_LISTENERS: &str = "flag-change-listeners";
/// Flag value change listeners.
pub const FLAG_VALUE_CHANGE_LISTENERS: &str = "flag-value-change-listeners";
/// A Redis persistent data store.
pub const PERSISTENT_DATA_STORE_REDIS: &str = "persistent-data-store-redis";
/// Leave anonymous contexts out of index and identify events.
pub const OMIT_ANONYMOUS_CONTEXTS: &str = "omit-anonymous-contexts";
/// Technology migrations (`migrationVariation`, `migrationOperation`, `migration_op` events).
pub const MIGRATIONS: &str = "migrations";
/// An HTTP proxy for all requests.
pub const HTTP_PROXY: &str = "http-proxy";
/// The streaming source follows LaunchDarkly's RETRY rules: 401/403/other 4xx move to an
/// extended schedule (`streaming.extendedInitialDelayMs`) instead of stopping for good.
pub const RETRY_CONFORMANCE_FDV1_STREAMING: &str = "retry-conformance-fdv1-streaming";
/// The same for the polling source (`polling.extendedInitialDelayMs`; never below the poll
/// interval).
pub const RETRY_CONFORMANCE_FDV1_POLLING: &str = "retry-conformance-fdv1-polling";
