//! The HTTP service the harness talks to (hyper 1.x, HTTP/1.1, on a tokio runtime).
//!
//! | request | answer |
//! |---|---|
//! | `GET /` | 200, [`StatusRep`] |
//! | `POST /` | 201 + `Location: /clients/{id}`; 400 bad JSON; 500 creation failed |
//! | `DELETE /` | 204, then the service stops (closing every client) |
//! | `POST /clients/{id}` | 200 + JSON, or 202 with no body; 400 bad JSON/unknown command; 404 |
//! | `DELETE /clients/{id}` | 204 after closing the client; 404 |
//!
//! SDK calls may block (initialization waits, flushes, hooks calling back into the harness), so
//! they run on tokio's blocking pool, never on the I/O threads.

use crate::client_registry::ClientRegistry;
use crate::command_dispatch::dispatch;
use crate::command_params::CommandParams;
use crate::sdk_client::{CommandError, CreateError, SdkClientFactory};
use crate::service_params::{CreateInstanceParams, StatusRep};
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::de::DeserializeOwned;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// Request bodies larger than this are refused (the harness sends a few kilobytes at most).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Where client resources live.
const CLIENTS_PATH: &str = "/clients/";

/// The service's shared state.
struct Service {
    factory: Arc<dyn SdkClientFactory>,
    clients: ClientRegistry,
    stopping: AtomicBool,
    stopped: Notify,
}

/// Serves the harness on `listener` until `DELETE /`, then closes every remaining client.
pub async fn serve(
    listener: TcpListener,
    factory: Arc<dyn SdkClientFactory>,
) -> std::io::Result<()> {
    let service = Arc::new(Service {
        factory,
        clients: ClientRegistry::new(),
        stopping: AtomicBool::new(false),
        stopped: Notify::new(),
    });
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        continue;
                    }
                };
                let service = Arc::clone(&service);
                tokio::spawn(async move {
                    let handler = {
                        let service = Arc::clone(&service);
                        service_fn(move |req| {
                            let service = Arc::clone(&service);
                            async move { Ok::<_, Infallible>(service.handle(req).await) }
                        })
                    };
                    if let Err(e) = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), handler)
                        .await
                    {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                    // The `DELETE /` answer has been written (it asks to close the connection):
                    // now the service may stop.
                    if service.stopping.load(Ordering::Acquire) {
                        service.stopped.notify_one();
                    }
                });
            }
            () = service.stopped.notified() => break,
        }
    }
    tracing::info!("stopping: closing {} client(s)", service.clients.len());
    let clients = service.clients.drain();
    tokio::task::spawn_blocking(move || clients.iter().for_each(|c| c.close()))
        .await
        .map_err(std::io::Error::other)?;
    Ok(())
}

impl Service {
    async fn handle(self: &Arc<Self>, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let method = req.method().clone();
        let path = req.uri().path().to_owned();
        let response = match (method.clone(), path.as_str()) {
            (Method::GET, "/") => self.status(),
            (Method::POST, "/") => self.create_client(req).await,
            (Method::DELETE, "/") => self.stop(),
            (method, path) => match path.strip_prefix(CLIENTS_PATH) {
                Some(id) => match id.parse::<u64>() {
                    Ok(id) if method == Method::POST => self.command(id, req).await,
                    Ok(id) if method == Method::DELETE => self.delete_client(id).await,
                    Ok(_) => text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed"),
                    Err(_) => text(StatusCode::NOT_FOUND, "no such client"),
                },
                None => text(StatusCode::NOT_FOUND, "not found"),
            },
        };
        tracing::debug!(%method, %path, status = %response.status(), "request");
        response
    }

    fn status(&self) -> Response<Full<Bytes>> {
        let status = StatusRep {
            name: self.factory.name().to_owned(),
            client_version: self.factory.version().to_owned(),
            capabilities: self.factory.capabilities(),
        };
        json(StatusCode::OK, &status)
    }

    fn stop(&self) -> Response<Full<Bytes>> {
        tracing::info!("the harness asked the service to stop");
        self.stopping.store(true, Ordering::Release);
        let mut response = empty(StatusCode::NO_CONTENT);
        response.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
        response
    }

    async fn create_client(self: &Arc<Self>, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let params: CreateInstanceParams = match read_json(req).await {
            Ok(p) => p,
            Err(response) => return response,
        };
        let tag = params.tag.clone();
        tracing::info!(%tag, "creating a client");
        let factory = Arc::clone(&self.factory);
        let created = tokio::task::spawn_blocking(move || factory.create(&params)).await;
        match created {
            Ok(Ok(client)) => {
                let id = self.clients.insert(Arc::from(client));
                tracing::info!(%tag, id, "client created");
                let mut response = empty(StatusCode::CREATED);
                if let Ok(location) = header::HeaderValue::from_str(&format!("{CLIENTS_PATH}{id}"))
                {
                    response.headers_mut().insert(header::LOCATION, location);
                }
                response
            }
            Ok(Err(e)) => {
                tracing::warn!(%tag, error = %e, "client creation failed");
                let status = match e {
                    CreateError::InvalidConfig(_) => StatusCode::BAD_REQUEST,
                    CreateError::Sdk(_) | CreateError::NotInitialized(_) => {
                        StatusCode::INTERNAL_SERVER_ERROR
                    }
                };
                text(status, &e.to_string())
            }
            Err(e) => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("client creation panicked: {e}"),
            ),
        }
    }

    async fn command(self: &Arc<Self>, id: u64, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let Some(client) = self.clients.get(id) else {
            return text(StatusCode::NOT_FOUND, "no such client");
        };
        let params: CommandParams = match read_json(req).await {
            Ok(p) => p,
            Err(response) => return response,
        };
        let name = params.command.clone();
        let outcome = tokio::task::spawn_blocking(move || dispatch(client.as_ref(), params)).await;
        match outcome {
            Ok(Ok(Some(body))) => json(StatusCode::OK, &body),
            Ok(Ok(None)) => empty(StatusCode::ACCEPTED),
            Ok(Err(e)) => {
                tracing::warn!(client = id, command = %name, error = %e, "command failed");
                let status = match e {
                    CommandError::Unsupported(_) | CommandError::BadParams(_) => {
                        StatusCode::BAD_REQUEST
                    }
                    CommandError::Sdk(_) => StatusCode::INTERNAL_SERVER_ERROR,
                };
                text(status, &e.to_string())
            }
            Err(e) => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("command {name:?} panicked: {e}"),
            ),
        }
    }

    async fn delete_client(&self, id: u64) -> Response<Full<Bytes>> {
        let Some(client) = self.clients.remove(id) else {
            return text(StatusCode::NOT_FOUND, "no such client");
        };
        match tokio::task::spawn_blocking(move || client.close()).await {
            Ok(()) => empty(StatusCode::NO_CONTENT),
            Err(e) => text(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("closing the client panicked: {e}"),
            ),
        }
    }
}

/// Reads and parses a JSON body; the error is the 400 (or 413) to answer.
async fn read_json<T: DeserializeOwned>(
    req: Request<Incoming>,
) -> Result<T, Response<Full<Bytes>>> {
    let bytes = match Limited::new(req.into_body(), MAX_BODY_BYTES)
        .collect()
        .await
    {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            return Err(text(
                StatusCode::BAD_REQUEST,
                &format!("could not read the request body: {e}"),
            ));
        }
    };
    serde_json::from_slice(&bytes).map_err(|e| {
        text(
            StatusCode::BAD_REQUEST,
            &format!("invalid request JSON: {e}"),
        )
    })
}

fn json<T: serde::Serialize>(status: StatusCode, body: &T) -> Response<Full<Bytes>> {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut response = Response::new(Full::new(Bytes::from(bytes)));
            *response.status_mut() = status;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            &format!("could not serialize the answer: {e}"),
        ),
    }
}

fn text(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(message.to_owned())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn empty(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback_client::{Reply, request};
    use crate::command_params::{EvaluateFlagParams, EvaluateFlagResponse};
    use crate::sdk_client::SdkClient;
    use serde_json::{Value, json};
    use std::sync::Mutex;
    use std::sync::atomic::AtomicUsize;

    /// Records closes; evaluates every flag to its key.
    #[derive(Default)]
    struct Fake {
        closed: Arc<AtomicUsize>,
        created: Mutex<Vec<String>>,
    }

    struct FakeClient {
        closed: Arc<AtomicUsize>,
    }

    impl SdkClient for FakeClient {
        fn evaluate(&self, p: EvaluateFlagParams) -> Result<EvaluateFlagResponse, CommandError> {
            Ok(EvaluateFlagResponse {
                value: json!(p.flag_key),
                variation_index: p.detail.then_some(0),
                reason: p.detail.then(|| json!({"kind": "FALLTHROUGH"})),
            })
        }

        fn flush_events(&self) -> Result<(), CommandError> {
            Ok(())
        }

        fn close(&self) {
            self.closed.fetch_add(1, Ordering::SeqCst);
        }
    }

    impl SdkClientFactory for Fake {
        fn name(&self) -> &str {
            "fake-sdk"
        }
        fn version(&self) -> &str {
            "9.9.9"
        }
        fn capabilities(&self) -> Vec<String> {
            vec!["server-side".into(), "strongly-typed".into()]
        }
        fn create(&self, p: &CreateInstanceParams) -> Result<Box<dyn SdkClient>, CreateError> {
            self.created
                .lock()
                .unwrap()
                .push(p.configuration.credential.clone());
            match p.configuration.credential.as_str() {
                "fail" => Err(CreateError::NotInitialized("timed out".into())),
                _ => Ok(Box::new(FakeClient {
                    closed: Arc::clone(&self.closed),
                })),
            }
        }
    }

    struct Running {
        base: String,
        runtime: tokio::runtime::Runtime,
        done: tokio::task::JoinHandle<std::io::Result<()>>,
        factory: Arc<Fake>,
    }

    fn start() -> Running {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let factory = Arc::new(Fake::default());
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0")).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let done = runtime.spawn(serve(
            listener,
            Arc::clone(&factory) as Arc<dyn SdkClientFactory>,
        ));
        Running {
            base,
            runtime,
            done,
            factory,
        }
    }

    fn call(base: &str, method: &str, path: &str, body: Option<Value>) -> Reply {
        let bytes = body.map(|b| serde_json::to_vec(&b).unwrap());
        request(method, &format!("{base}{path}"), bytes.as_deref()).unwrap()
    }

    fn json_of(reply: &Reply) -> Value {
        serde_json::from_slice(&reply.body).unwrap()
    }

    fn create(base: &str, credential: &str) -> Reply {
        call(
            base,
            "POST",
            "/",
            Some(json!({"tag": "t", "configuration": {"credential": credential}})),
        )
    }

    #[test]
    fn status_lists_name_version_and_capabilities() {
        let s = start();
        let reply = call(&s.base, "GET", "/", None);
        assert_eq!(reply.status, 200);
        assert_eq!(
            json_of(&reply),
            json!({"name": "fake-sdk", "clientVersion": "9.9.9",
                   "capabilities": ["server-side", "strongly-typed"]})
        );
    }

    #[test]
    fn created_client_is_at_its_location_and_answers_commands() {
        let s = start();
        let reply = create(&s.base, "key-1");
        assert_eq!(reply.status, 201);
        let location = reply.header("location").unwrap().to_owned();
        assert_eq!(location, "/clients/1");
        assert_eq!(
            *s.factory.created.lock().unwrap(),
            vec!["key-1".to_string()]
        );

        let eval = call(
            &s.base,
            "POST",
            &location,
            Some(json!({"command": "evaluate",
                        "evaluate": {"flagKey": "f", "valueType": "any", "defaultValue": null, "detail": true}})),
        );
        assert_eq!(eval.status, 200);
        assert_eq!(
            json_of(&eval),
            json!({"value": "f", "variationIndex": 0, "reason": {"kind": "FALLTHROUGH"}})
        );

        let flush = call(
            &s.base,
            "POST",
            &location,
            Some(json!({"command": "flushEvents"})),
        );
        assert_eq!(flush.status, 202);
        assert!(flush.body.is_empty());
    }

    #[test]
    fn malformed_json_and_unknown_commands_are_bad_requests() {
        let s = start();
        let bad = request("POST", &format!("{}/", s.base), Some(b"{not json")).unwrap();
        assert_eq!(bad.status, 400);
        assert!(String::from_utf8_lossy(&bad.body).contains("invalid request JSON"));

        let wrong_type = call(
            &s.base,
            "POST",
            "/",
            Some(json!({"configuration": {"credential": 5}})),
        );
        assert_eq!(wrong_type.status, 400);

        let location = create(&s.base, "k").header("location").unwrap().to_owned();
        let unknown = call(
            &s.base,
            "POST",
            &location,
            Some(json!({"command": "teleport"})),
        );
        assert_eq!(unknown.status, 400);
        assert!(String::from_utf8_lossy(&unknown.body).contains("teleport"));

        let unsupported = call(
            &s.base,
            "POST",
            &location,
            Some(json!({"command": "contextBuild",
            "contextBuild": {"single": {"key": "a"}}})),
        );
        assert_eq!(unsupported.status, 400);

        let missing = call(
            &s.base,
            "POST",
            &location,
            Some(json!({"command": "evaluate"})),
        );
        assert_eq!(missing.status, 400);

        let garbage = request("POST", &format!("{}{location}", s.base), Some(b"[1,")).unwrap();
        assert_eq!(garbage.status, 400);
    }

    #[test]
    fn failed_initialization_is_a_500_with_the_reason() {
        let s = start();
        let reply = create(&s.base, "fail");
        assert_eq!(reply.status, 500);
        assert!(String::from_utf8_lossy(&reply.body).contains("timed out"));
    }

    #[test]
    fn deleted_client_is_closed_and_gone() {
        let s = start();
        let location = create(&s.base, "k").header("location").unwrap().to_owned();
        assert_eq!(call(&s.base, "DELETE", &location, None).status, 204);
        assert_eq!(s.factory.closed.load(Ordering::SeqCst), 1);
        assert_eq!(call(&s.base, "DELETE", &location, None).status, 404);
        let after = call(
            &s.base,
            "POST",
            &location,
            Some(json!({"command": "flushEvents"})),
        );
        assert_eq!(after.status, 404);
        assert_eq!(
            call(&s.base, "POST", "/clients/abc", Some(json!({}))).status,
            404
        );
        assert_eq!(call(&s.base, "GET", "/nowhere", None).status, 404);
    }

    #[test]
    fn delete_root_stops_the_service_and_closes_remaining_clients() {
        let s = start();
        create(&s.base, "a");
        create(&s.base, "b");
        let reply = call(&s.base, "DELETE", "/", None);
        assert_eq!(reply.status, 204);
        let result = s
            .runtime
            .block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(10), s.done).await
            })
            .expect("the service stops")
            .expect("the serve task does not panic");
        assert!(result.is_ok());
        assert_eq!(s.factory.closed.load(Ordering::SeqCst), 2);
    }
}
