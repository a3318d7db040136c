//! Slow and idle clients cannot exhaust the server: idle sockets beyond the open-file limit do
//! not keep health checks out, a head sent too slowly or half a head is cut, a stalled body is
//! answered 408, and an idle keep-alive connection is closed after the idle timeout (but not
//! after the shorter head timeout). The behaviour is the HTTP layer's, but each test runs on the
//! backend the suite was started for, as a deployment would.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use provisio::auth::READ_WRITE_ALL;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;

use crate::common::{fresh_database_url, TestServer, COLLECTION};
use crate::durability::{spawn_command, Process};
use crate::raw_http::{closed_within, read_response};

const HEAD: Duration = Duration::from_secs(1);
const IDLE: Duration = Duration::from_secs(3);
const BODY: Duration = Duration::from_secs(1);

async fn server() -> TestServer {
    TestServer::start_with(|s| {
        s.http.head_timeout_seconds = HEAD.as_secs();
        s.http.idle_timeout_seconds = IDLE.as_secs();
        s.http.body_timeout_seconds = BODY.as_secs();
    })
    .await
}

async fn connect(base: &str) -> TcpStream {
    TcpStream::connect(base.trim_start_matches("http://"))
        .await
        .expect("connect")
}

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// Asks for /healthz on `stream` and checks the answer.
async fn healthy(stream: &mut TcpStream) {
    stream.write_all(HEALTH).await.unwrap();
    let res = read_response(stream, Duration::from_secs(5))
        .await
        .expect("an answer");
    assert_eq!(res.status, 200, "{}", res.head);
}

/// Checks that `what` did not happen before `timeout` had passed (`took` is measured from just
/// before the timer started; 50 ms of slack for the clocks).
fn not_early(took: Duration, timeout: Duration, what: &str) {
    assert!(
        took >= timeout - Duration::from_millis(50),
        "{what} after {took:?}, before {timeout:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sockets_past_the_open_file_limit_do_not_keep_health_checks_out() {
    assert!(
        Command::new("prlimit").arg("--version").output().is_ok(),
        "this test needs prlimit (apt-get install util-linux)"
    );
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new("prlimit");
    command
        .args([
            "--nofile=1024:1024",
            env!("CARGO_BIN_EXE_provisio"),
            "serve",
        ])
        .args(["--listen", "127.0.0.1:0", "--log-level", "warn"])
        .args(["--http-head-timeout-seconds", "3", "--data-dir"])
        .arg(dir.path())
        .stdin(Stdio::null());
    if let Some(url) = fresh_database_url() {
        command.args(["--database-url", &url]);
    }
    let mut server = Killed(spawn_command(command));
    let head = Duration::from_secs(3);

    // More sockets than the process may open, sending nothing.
    let opened = Instant::now();
    let connects = (0..1_100).map(|_| connect(&server.0.base));
    let mut idle = futures_util::future::join_all(connects).await;
    println!("1,100 sockets connected in {:?}", opened.elapsed());
    // The server stops accepting at its connection limit, with descriptors to spare for the
    // database and key files, instead of running out of them.
    let fds = format!("/proc/{}/fd", server.0.child.id());
    let mut held = Vec::new();
    while opened.elapsed() < head - Duration::from_millis(500) {
        held.push(
            std::fs::read_dir(&fds)
                .expect("the server's descriptors")
                .count(),
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let most = held.iter().copied().max().unwrap_or_default();
    println!("the server held at most {most} descriptors of 1024");
    assert!(
        (900..=1024 - 32).contains(&most),
        "the server held at most {most} descriptors of 1024: {held:?}"
    );
    // Once the head timeout has passed for the sockets accepted first, their slots are free.
    tokio::time::sleep(
        (opened + head + Duration::from_millis(300)).saturating_duration_since(Instant::now()),
    )
    .await;
    let asked = Instant::now();
    let mut health = connect(&server.0.base).await;
    health.write_all(HEALTH).await.unwrap();
    let res = read_response(&mut health, Duration::from_secs(10))
        .await
        .expect("an answer");
    let took = asked.elapsed();
    assert_eq!(res.status, 200, "{}", res.head);
    println!("/healthz answered in {took:?} after the head timeout");
    assert!(took < Duration::from_secs(1), "/healthz took {took:?}");

    // Every idle socket is closed by the server: those accepted first after the head timeout,
    // the ones that waited in the backlog after another.
    let closes = idle
        .iter_mut()
        .map(|s| closed_within(s, 3 * head + Duration::from_secs(2)));
    let closed = futures_util::future::join_all(closes).await;
    let open = closed.iter().filter(|c| !**c).count();
    assert_eq!(open, 0, "{open} idle sockets were never closed");
    assert!(
        server.0.child.try_wait().unwrap().is_none(),
        "the server exited"
    );
}

/// A server process that is killed when the test ends, passed or not.
struct Killed(Process);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.child.kill();
        let _ = self.0.child.wait();
    }
}

#[tokio::test]
async fn half_a_head_or_a_head_sent_byte_by_byte_is_cut_after_the_head_timeout() {
    let server = server().await;
    // Half a head, then silence.
    let started = Instant::now();
    let mut half = connect(&server.base).await;
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: local")
        .await
        .unwrap();
    assert!(closed_within(&mut half, HEAD + Duration::from_secs(2)).await);
    let took = started.elapsed();
    not_early(took, HEAD, "half a head cut");

    // A byte every 100 ms: each arrives in time, the head as a whole does not.
    let mut slow = connect(&server.base).await;
    let started = Instant::now();
    let mut cut = false;
    for byte in HEALTH {
        if slow.write_all(&[*byte]).await.is_err() {
            cut = true;
            break;
        }
        if closed_within(&mut slow, Duration::from_millis(100)).await {
            cut = true;
            break;
        }
    }
    let took = started.elapsed();
    assert!(
        cut,
        "a {}-byte head sent over {took:?} was served",
        HEALTH.len()
    );
    assert!(
        took < HEAD + Duration::from_millis(800),
        "cut after {took:?}"
    );

    // On a keep-alive connection the next head has the head timeout from its first byte.
    let mut kept = connect(&server.base).await;
    healthy(&mut kept).await;
    kept.write_all(b"GET /heal").await.unwrap();
    let started = Instant::now();
    assert!(closed_within(&mut kept, HEAD + Duration::from_secs(1)).await);
    assert!(
        started.elapsed() < IDLE,
        "the idle timeout applied, not the head timeout"
    );
    server.stop().await;
}

#[tokio::test]
async fn an_idle_keep_alive_connection_lives_until_the_idle_timeout() {
    let server = server().await;
    let mut kept = connect(&server.base).await;
    healthy(&mut kept).await;
    let answered = Instant::now();
    // Past the head timeout it is still open and serves the next request.
    assert!(!closed_within(&mut kept, HEAD + Duration::from_millis(500)).await);
    healthy(&mut kept).await;
    let answered_again = Instant::now();
    assert!(answered.elapsed() < IDLE);
    // Then closed once it idled for the idle timeout.
    assert!(closed_within(&mut kept, IDLE + Duration::from_secs(1)).await);
    let idled = answered_again.elapsed();
    not_early(idled, IDLE, "closed idle");
    server.stop().await;
}

#[tokio::test]
async fn a_stalled_body_is_answered_408_with_the_envelope() {
    let server = server().await;
    let token = server.dev_token(server.dev_tenant, &[READ_WRITE_ALL], false);
    let mut stream = connect(&server.base).await;
    let head = format!(
        "POST {COLLECTION} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"displayName\":"
    );
    let started = Instant::now();
    stream.write_all(head.as_bytes()).await.unwrap();
    let res = read_response(&mut stream, BODY + Duration::from_secs(5))
        .await
        .expect("an answer");
    let took = started.elapsed();
    assert_eq!(res.status, 408, "{}", res.head);
    res.envelope("RequestTimeout");
    not_early(took, BODY, "a stalled body answered");
    assert!(closed_within(&mut stream, Duration::from_secs(2)).await);
    assert!(server.list_all().await.is_empty(), "nothing was created");
    server.stop().await;
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed_after_the_idle_timeout() {
    use http_body_util::{BodyExt as _, Empty};
    use hyper_util::rt::{TokioExecutor, TokioIo};

    let server = server().await;
    let stream = connect(&server.base).await;
    let (mut send, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("HTTP/2 handshake");
    let conn = tokio::spawn(conn);
    let req = hyper::Request::get(format!("{}/healthz", server.base))
        .body(Empty::<axum::body::Bytes>::new())
        .unwrap();
    let res = send.send_request(req).await.expect("response");
    assert_eq!(res.status(), 200);
    assert_eq!(res.version(), hyper::Version::HTTP_2);
    res.into_body().collect().await.unwrap();
    let answered = Instant::now();
    // Idle, the connection outlives the head timeout and ends (with a GOAWAY) at the idle one.
    let ended = tokio::time::timeout(IDLE + Duration::from_secs(2), conn)
        .await
        .expect("the server did not close the idle connection");
    let idled = answered.elapsed();
    assert!(ended.unwrap().is_ok(), "the connection ended in an error");
    not_early(idled, IDLE, "closed idle");
    server.stop().await;
}

#[tokio::test]
async fn requests_carry_the_peer_address_over_http1_and_http2() {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;

    let app = axum::Router::new().route(
        "/peer",
        axum::routing::get(
            |ConnectInfo(peer): ConnectInfo<SocketAddr>| async move { peer.to_string() },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let limits = provisio::net::HttpLimits::default();
    let serving = tokio::spawn(async move {
        let shutdown = async {
            let _ = stopped.await;
        };
        provisio::net::serve(listener, app, &limits, 64, shutdown, Duration::from_secs(5)).await;
    });
    let http1 = reqwest::Client::new();
    let http2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    for (client, version) in [
        (http1, reqwest::Version::HTTP_11),
        (http2, reqwest::Version::HTTP_2),
    ] {
        let res = client
            .get(format!("http://{addr}/peer"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.version(), version);
        let peer: SocketAddr = res.text().await.unwrap().parse().unwrap();
        assert!(peer.ip().is_loopback(), "{peer}");
        assert_ne!(peer.port(), addr.port());
    }
    stop.send(()).unwrap();
    serving.await.unwrap();
}
