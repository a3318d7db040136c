//! Requests the HTTP library refuses, sent over a raw socket: what comes back (status line, and
//! the Graph envelope where docs/API.md promises one), and that the service's own limits answer
//! first with the envelope. What hyper answers for each is written down in docs/API.md, Errors.

use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::common::TestServer;

/// A response as read off the socket.
#[derive(Debug)]
pub struct RawResponse {
    /// The status code from the status line.
    pub status: u16,
    /// The head, as text.
    pub head: String,
    /// The body (by Content-Length; empty without one).
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The body as the Graph envelope; panics unless it is one with `code`.
    pub fn envelope(&self, code: &str) -> Value {
        let v: Value = serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            panic!(
                "not JSON: {}{}",
                self.head,
                String::from_utf8_lossy(&self.body)
            )
        });
        assert_eq!(v["error"]["code"], code, "{v}");
        assert!(v["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()));
        assert!(v["error"]["innerError"]["request-id"].is_string(), "{v}");
        v
    }

    /// A header's value, by lower-case name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

/// Reads one response from `stream` (head, then a body of its Content-Length), waiting at most
/// `wait`. `None` when the connection closes before a whole head arrived.
pub async fn read_response(stream: &mut TcpStream, wait: Duration) -> Option<RawResponse> {
    let read = async {
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let status = head.split(' ').nth(1)?.parse().ok()?;
        let mut res = RawResponse {
            status,
            head,
            body: buf[head_end..].to_vec(),
        };
        let length: usize = res
            .header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        while res.body.len() < length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => break,
                Ok(n) => res.body.extend_from_slice(&chunk[..n]),
            }
        }
        Some(res)
    };
    tokio::time::timeout(wait, read)
        .await
        .expect("no response in time")
}

/// Whether the server closed `stream` within `wait` (reading end of file or a reset); any bytes
/// that arrive first are read and ignored.
pub async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut chunk = [0u8; 1024];
    let drained = async {
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(wait, drained).await.is_ok()
}

/// Sends `request` on a new connection to `server` and reads the answer.
async fn send(server: &TestServer, request: &[u8]) -> (RawResponse, TcpStream) {
    let mut stream = TcpStream::connect(server.base.trim_start_matches("http://"))
        .await
        .expect("connect");
    // A refused request may be answered and the connection closed before all of it is written.
    let _ = stream.write_all(request).await;
    let res = read_response(&mut stream, Duration::from_secs(10))
        .await
        .unwrap_or_else(|| panic!("connection closed without an answer"));
    (res, stream)
}

/// Checks a refusal that the HTTP library wrote: the status, no body, and the connection closed.
async fn bare_refusal(server: &TestServer, request: &[u8], status: u16) -> RawResponse {
    let (res, mut stream) = send(server, request).await;
    assert_eq!(res.status, status, "{}", res.head);
    assert!(res.body.is_empty(), "{res:?}");
    assert!(
        matches!(res.header("content-length"), None | Some("0")),
        "{}",
        res.head
    );
    assert!(closed_within(&mut stream, Duration::from_secs(5)).await);
    res
}

fn get_with(target: &str, headers: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n{headers}\r\n").into_bytes()
}

fn numbered_headers(n: usize) -> String {
    (0..n).map(|i| format!("x-h{i}: v\r\n")).collect()
}

#[tokio::test]
async fn too_many_headers_get_431_with_the_envelope_until_the_librarys_own_limit() {
    let server = TestServer::start().await;
    // 1,000 header fields in all, Host among them.
    let (res, _) = send(&server, &get_with("/healthz", &numbered_headers(999))).await;
    assert_eq!(res.status, 431, "{}", res.head);
    let v = res.envelope("RequestHeaderFieldsTooLarge");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1000 header fields"),
        "{v}"
    );
    // Past the library's limit of 1,024: its bare 431.
    bare_refusal(&server, &get_with("/healthz", &numbered_headers(1100)), 431).await;
    // Header fields too large in bytes, though few.
    let big = format!("x-big: {}\r\n", "v".repeat(40 * 1024));
    let (res, _) = send(&server, &get_with("/healthz", &big)).await;
    assert_eq!(res.status, 431, "{}", res.head);
    res.envelope("RequestHeaderFieldsTooLarge");
    server.stop().await;
}

#[tokio::test]
async fn a_long_target_gets_414_with_the_envelope_and_a_100_kb_one_the_librarys_bare_414() {
    let server = TestServer::start().await;
    let target = format!("/healthz?x={}", "a".repeat(40 * 1024));
    let (res, _) = send(&server, &get_with(&target, "")).await;
    assert_eq!(res.status, 414, "{}", res.head);
    res.envelope("UriTooLong");
    // Over hyper's fixed limit of 65,534 bytes for a target.
    let target = format!("/healthz?x={}", "a".repeat(100 * 1024));
    bare_refusal(&server, &get_with(&target, ""), 414).await;
    server.stop().await;
}

#[tokio::test]
async fn broken_framing_gets_the_librarys_bare_400() {
    let server = TestServer::start().await;
    let post = |headers: &str| {
        format!("POST /healthz HTTP/1.1\r\nHost: localhost\r\n{headers}\r\n{{}}").into_bytes()
    };
    // A Content-Length one past u64::MAX.
    bare_refusal(
        &server,
        &post("Content-Length: 18446744073709551616\r\n"),
        400,
    )
    .await;
    // Two Content-Lengths that disagree.
    bare_refusal(
        &server,
        &post("Content-Length: 2\r\nContent-Length: 3\r\n"),
        400,
    )
    .await;
    // A header line folded onto the next (obs-fold).
    bare_refusal(&server, &get_with("/healthz", "X-Folded: a\r\n b\r\n"), 400).await;
    // Two equal Content-Lengths are one length (RFC 9112, 6.3): the request is served.
    let (res, _) = send(&server, &post("Content-Length: 2\r\nContent-Length: 2\r\n")).await;
    assert_eq!(res.status, 405, "{}", res.head);
    res.envelope("MethodNotAllowed");
    server.stop().await;
}
