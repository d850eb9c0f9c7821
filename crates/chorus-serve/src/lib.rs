//! `chorus serve`: the explorer page and its `report.json` over HTTP, for reports too large to
//! embed in one file. The page is the same code; it fetches the report from the server that sent
//! it. Nothing else in the run folder is reachable: `conversations.parquet` and the cache stay
//! on disk.
#![warn(missing_docs)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use chorus_page::{SERVED_POLICY, render_for_server};

/// Why the server could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The runtime or the socket failed.
    #[error("serving {address}: {source}")]
    Io {
        /// Where it was listening.
        address: SocketAddr,
        /// What failed.
        source: std::io::Error,
    },
}

struct Served {
    report: PathBuf,
    page: String,
    /// On a loopback address, the `Host` values a request may carry: any other name reaching
    /// such a server came through DNS rebinding, a page elsewhere trying to read the report.
    /// `None` on another address, which the user chose to expose.
    hosts: Option<Vec<String>>,
}

/// Serves `run_dir`'s page and report on `listener` until the process ends.
pub fn serve(listener: std::net::TcpListener, run_dir: &Path) -> Result<(), ServeError> {
    let address = listener.local_addr().map_err(|source| ServeError::Io {
        address: SocketAddr::from(([0, 0, 0, 0], 0)),
        source,
    })?;
    let io = |source| ServeError::Io { address, source };
    listener.set_nonblocking(true).map_err(io)?;
    let served = Arc::new(Served {
        report: run_dir.join("report.json"),
        page: render_for_server(),
        hosts: allowed_hosts(address),
    });
    let app = Router::new()
        .route("/", get(page))
        .route("/index.html", get(page))
        .route("/report.json", get(report))
        .fallback(not_found)
        .with_state(served);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(io)?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener).map_err(io)?;
        axum::serve(listener, app).await.map_err(io)
    })
}

fn allowed_hosts(address: SocketAddr) -> Option<Vec<String>> {
    let port = address.port();
    address.ip().is_loopback().then(|| {
        vec![
            format!("127.0.0.1:{port}"),
            format!("localhost:{port}"),
            format!("[::1]:{port}"),
        ]
    })
}

/// A response with the headers every reply carries: the page's policy, no sniffing, no caching
/// (the report changes when the run is redone), no referrer.
fn reply(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<axum::body::Body>,
) -> Response {
    let mut response = (status, body.into()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(SERVED_POLICY),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

fn text(status: StatusCode, message: String) -> Response {
    reply(status, "text/plain; charset=utf-8", message)
}

/// A refusal when the request names a host this server does not answer for.
fn foreign_host(served: &Served, headers: &HeaderMap) -> Option<Response> {
    let hosts = served.hosts.as_ref()?;
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match host {
        Some(host) if hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) => None,
        _ => Some(text(
            StatusCode::MISDIRECTED_REQUEST,
            format!("this server answers for {} only", hosts.join(", ")),
        )),
    }
}

async fn page(State(served): State<Arc<Served>>, headers: HeaderMap) -> Response {
    if let Some(refused) = foreign_host(&served, &headers) {
        return refused;
    }
    reply(
        StatusCode::OK,
        "text/html; charset=utf-8",
        served.page.clone(),
    )
}

async fn report(State(served): State<Arc<Served>>, headers: HeaderMap) -> Response {
    if let Some(refused) = foreign_host(&served, &headers) {
        return refused;
    }
    // Read on every request: a run redone into the same folder shows on the next reload.
    match tokio::fs::read(&served.report).await {
        Ok(bytes) => reply(StatusCode::OK, "application/json", bytes),
        Err(e) => text(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot read {}: {e}", served.report.display()),
        ),
    }
}

async fn not_found() -> Response {
    text(
        StatusCode::NOT_FOUND,
        "not here: this server has / (the page) and /report.json".to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_server_answers_for_its_own_names_only() {
        let hosts = allowed_hosts(SocketAddr::from(([127, 0, 0, 1], 8765))).unwrap();
        assert!(hosts.contains(&"localhost:8765".to_string()));
        assert!(hosts.contains(&"127.0.0.1:8765".to_string()));
        assert!(!hosts.contains(&"localhost:8766".to_string()));
        // On an address the user chose to expose, any name reaches it.
        assert_eq!(allowed_hosts(SocketAddr::from(([10, 1, 2, 3], 80))), None);
    }
}
