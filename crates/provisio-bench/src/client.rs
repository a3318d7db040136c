//! One keep-alive HTTP/1.1 connection to the server under test, and the requests sent on it.
//! Each load worker owns exactly one, so the number of connections is the concurrency.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{bail, Context as _};
use bytes::Bytes;
use http::{header, Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

/// Longest one request may take before it counts as a transport error.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What one request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Call {
    /// The method.
    pub method: Method,
    /// Path and query, starting with `/`.
    pub path: String,
    /// A JSON body, if any.
    pub body: Option<Bytes>,
}

impl Call {
    /// A GET of `path`.
    pub fn get(path: impl Into<String>) -> Self {
        Call {
            method: Method::GET,
            path: path.into(),
            body: None,
        }
    }
}

/// A response: the status and the whole body.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: StatusCode,
    /// The body.
    pub body: Bytes,
}

/// An open connection with the headers every request carries.
#[derive(Debug)]
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    host: String,
    authorization: Option<String>,
}

impl Connection {
    /// Connects to `addr`, which must be a loopback address.
    pub async fn open(addr: SocketAddr, token: Option<&str>) -> anyhow::Result<Connection> {
        if !addr.ip().is_loopback() {
            bail!("refusing to send load to {addr}: only loopback addresses are targets");
        }
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .with_context(|| format!("connecting to {addr}"))?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .context("HTTP handshake")?;
        tokio::spawn(conn);
        Ok(Connection {
            sender,
            host: addr.to_string(),
            authorization: token.map(|t| format!("Bearer {t}")),
        })
    }

    /// Sends `call` and reads the whole response.
    pub async fn send(&mut self, call: &Call) -> anyhow::Result<Reply> {
        let mut req = Request::builder()
            .method(call.method.clone())
            .uri(&call.path)
            .header(header::HOST, &self.host);
        if let Some(auth) = &self.authorization {
            req = req.header(header::AUTHORIZATION, auth);
        }
        if call.body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        let req = req.body(Full::new(call.body.clone().unwrap_or_default()))?;
        let exchange = async {
            self.sender.ready().await?;
            let resp = self.sender.send_request(req).await?;
            let status = resp.status();
            let body = resp.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>(Reply { status, body })
        };
        match tokio::time::timeout(REQUEST_TIMEOUT, exchange).await {
            Ok(r) => Ok(r?),
            Err(_) => bail!("no response within {} s", REQUEST_TIMEOUT.as_secs()),
        }
    }
}
