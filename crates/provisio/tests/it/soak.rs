//! A soak: several tenants' clients mix every endpoint with hostile input against the real
//! binary while it is killed with SIGKILL and started again, then every acknowledged write is
//! checked: what was created is there with the last acknowledged change, what was deleted is
//! gone, and every `$count` equals the rows it counts. No answer may be a 500.
//!
//! It runs for `PROVISIO_SOAK_SECONDS` (default 40, so that the suite stays short; set it higher
//! for a longer soak, e.g. `PROVISIO_SOAK_SECONDS=1800 cargo test -p provisio --test it soak`),
//! with a SIGKILL every quarter of the run. The seed of its random choices is printed, and
//! `PROVISIO_SOAK_SEED` replays one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use provisio::auth::dev::{DevKey, TokenRequest};
use provisio::auth::READ_WRITE_ALL;
use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use crate::common::{client_with_token, fresh_database_url, COLLECTION};
use crate::durability::spawn;

/// What a client knows of one of its profiles: the display names it may have now (more than one
/// when a change was in flight as the server died), and whether it may be deleted.
#[derive(Clone, Debug)]
struct Expected {
    names: Vec<String>,
    deleted: Deletion,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Deletion {
    No,
    Maybe,
    Yes,
}

/// What every client shares: the server's current address and the answers that break a rule.
struct Shared {
    base: RwLock<String>,
    faults: Mutex<Vec<String>>,
    answers: Mutex<HashMap<u16, usize>>,
}

impl Shared {
    fn base(&self) -> String {
        self.base.read().unwrap().clone()
    }
    fn fault(&self, what: String) {
        self.faults.lock().unwrap().push(what);
    }
}

/// Sends a request; `None` when the connection failed (the server is being killed).
async fn call(
    shared: &Shared,
    client: &Client,
    method: Method,
    path: &str,
    body: Option<Vec<u8>>,
) -> Option<(StatusCode, String)> {
    let mut req = client.request(method.clone(), format!("{}{path}", shared.base()));
    if let Some(body) = body {
        req = req.header("content-type", "application/json").body(body);
    }
    let res = req.send().await.ok()?;
    let status = res.status();
    let text = res.text().await.ok()?;
    *shared
        .answers
        .lock()
        .unwrap()
        .entry(status.as_u16())
        .or_default() += 1;
    let retryable =
        status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS;
    if status.is_server_error() && !retryable {
        shared.fault(format!(
            "{method} {path}: {status} {}",
            &text[..text.len().min(300)]
        ));
    }
    if status.is_client_error() || status.is_server_error() {
        let envelope: Option<Value> = serde_json::from_str(&text).ok();
        if !envelope.is_some_and(|e| e["error"]["code"].is_string()) {
            shared.fault(format!(
                "{method} {path}: {status} without the envelope: {text}"
            ));
        }
    }
    Some((status, text))
}

/// One client: its own profiles in one tenant, and every kind of request.
async fn client_loop(
    shared: Arc<Shared>,
    client: Client,
    worker: usize,
    seed: u64,
    until: Instant,
) -> HashMap<String, Expected> {
    let mut rng = StdRng::seed_from_u64(seed);
    let hostile = crate::hostile::corpus();
    let mut mine: HashMap<String, Expected> = HashMap::new();
    let mut step = 0usize;
    while Instant::now() < until {
        step += 1;
        let live: Vec<String> = mine
            .iter()
            .filter(|(_, e)| e.deleted == Deletion::No)
            .map(|(id, _)| id.clone())
            .collect();
        let pick = (!live.is_empty()).then(|| live[rng.gen_range(0..live.len())].clone());
        let item = |id: &str| format!("{COLLECTION}/{id}");
        let answer = match (rng.gen_range(0..100), pick) {
            (0..=24, _) | (_, None) => {
                let name = format!("w{worker}-{step}");
                let body = json!({"displayName": name, "description": "soak"});
                let got = call(
                    &shared,
                    &client,
                    Method::POST,
                    COLLECTION,
                    Some(body.to_string().into_bytes()),
                )
                .await;
                if let Some((StatusCode::CREATED, text)) = &got {
                    let v: Value = serde_json::from_str(text).unwrap();
                    mine.insert(
                        v["id"].as_str().unwrap().to_owned(),
                        Expected {
                            names: vec![name],
                            deleted: Deletion::No,
                        },
                    );
                }
                got
            }
            (25..=39, Some(id)) => {
                let name = format!("w{worker}-{step}-renamed");
                let body = json!({"displayName": name});
                let got = call(
                    &shared,
                    &client,
                    Method::PATCH,
                    &item(&id),
                    Some(body.to_string().into_bytes()),
                )
                .await;
                let e = mine.get_mut(&id).unwrap();
                match &got {
                    Some((StatusCode::NO_CONTENT, _)) => e.names = vec![name],
                    Some((s, _)) if s.is_success() => shared.fault(format!("PATCH answered {s}")),
                    Some((StatusCode::NOT_FOUND, _)) => {
                        shared.fault(format!("PATCH of live profile {id}: 404"))
                    }
                    Some(_) => {}
                    None => e.names.push(name),
                }
                got
            }
            (40..=47, Some(id)) => {
                let got = call(&shared, &client, Method::DELETE, &item(&id), None).await;
                let e = mine.get_mut(&id).unwrap();
                match &got {
                    Some((StatusCode::NO_CONTENT, _)) => e.deleted = Deletion::Yes,
                    Some((StatusCode::NOT_FOUND, _)) => {
                        shared.fault(format!("DELETE of live profile {id}: 404"))
                    }
                    Some(_) => {}
                    None => e.deleted = Deletion::Maybe,
                }
                got
            }
            (48..=55, Some(id)) => {
                let (action, body) = if rng.gen_bool(0.7) {
                    (
                        "createToken",
                        Some(
                            json!({"tokenValidityInSeconds": rng.gen_range(60..86_400)})
                                .to_string()
                                .into_bytes(),
                        ),
                    )
                } else {
                    ("revokeToken", None)
                };
                call(
                    &shared,
                    &client,
                    Method::POST,
                    &format!("{}/{action}", item(&id)),
                    body,
                )
                .await
            }
            (56..=69, Some(id)) => {
                let got = call(&shared, &client, Method::GET, &item(&id), None).await;
                if let Some((StatusCode::OK, text)) = &got {
                    let v: Value = serde_json::from_str(text).unwrap();
                    let e = &mine[&id];
                    let name = v["displayName"].as_str().unwrap_or_default().to_owned();
                    if !e.names.contains(&name) {
                        shared.fault(format!(
                            "GET {id}: displayName {name:?}, expected one of {:?}",
                            e.names
                        ));
                    }
                }
                got
            }
            (70..=79, _) => {
                let query = [
                    "$top=5".to_owned(),
                    format!("$filter=startswith(displayName,'w{worker}-')&$orderby=displayName desc&$top=7"),
                    "$count=true&$top=3".to_owned(),
                    "$select=id,displayName,tokenExpirationDateTime&$orderby=lastModifiedDateTime desc".to_owned(),
                    "$search=\"renamed\"".to_owned(),
                ][rng.gen_range(0..5)]
                .clone();
                call(
                    &shared,
                    &client,
                    Method::GET,
                    &format!("{COLLECTION}?{query}"),
                    None,
                )
                .await
            }
            (80..=83, _) => {
                call(
                    &shared,
                    &client,
                    Method::GET,
                    &format!("{COLLECTION}/$count"),
                    None,
                )
                .await
            }
            (84..=85, _) => {
                let path = ["/beta/$metadata", "/healthz", "/readyz"][rng.gen_range(0..3)];
                call(&shared, &client, Method::GET, path, None).await
            }
            (86..=93, pick) => {
                // A hostile body, as a create or as a change of a live profile: a 4xx.
                let (name, body) = &hostile[rng.gen_range(0..hostile.len())];
                let (method, path) = match pick {
                    Some(id) if rng.gen_bool(0.5) => (Method::PATCH, item(&id)),
                    _ => (Method::POST, COLLECTION.to_owned()),
                };
                let got = call(&shared, &client, method.clone(), &path, Some(body.clone())).await;
                if let Some((status, _)) = &got {
                    if status.is_success() {
                        shared.fault(format!("hostile body {name} as {method}: {status}"));
                    }
                }
                got
            }
            (_, pick) => {
                // Hostile paths and queries: a 4xx.
                let id = pick.unwrap_or_default();
                let path = [
                    format!("{COLLECTION}?$filter=displayName eq"),
                    format!("{COLLECTION}?$top=-1"),
                    format!("{COLLECTION}?$skiptoken=not-a-token"),
                    format!("{COLLECTION}/$count?$skiptoken=x"),
                    format!("{COLLECTION}?$orderby=wifiPassword"),
                    format!("{COLLECTION}('{id}'%00)"),
                    format!("{COLLECTION}/{id}/noSuchAction"),
                    "/beta/deviceManagement/nothingHere".to_owned(),
                    format!(
                        "{COLLECTION}?$filter={}",
                        vec!["contains(displayName,'a')"; 150].join(" or ")
                    ),
                ][rng.gen_range(0..9)]
                .clone();
                let got = call(&shared, &client, Method::GET, &path, None).await;
                if let Some((status, _)) = &got {
                    if status.is_success() {
                        shared.fault(format!("hostile GET {path}: {status}"));
                    }
                }
                got
            }
        };
        if answer.is_none() {
            // The server is down: wait for it to come back.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    mine
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_with_hostile_input_and_kill_9_keeps_every_acknowledged_write() {
    let seconds: u64 = std::env::var("PROVISIO_SOAK_SECONDS")
        .ok()
        .map(|s| {
            s.parse()
                .expect("PROVISIO_SOAK_SECONDS is a number of seconds")
        })
        .unwrap_or(40);
    let seed: u64 = std::env::var("PROVISIO_SOAK_SEED")
        .ok()
        .map(|s| s.parse().expect("PROVISIO_SOAK_SEED is a number"))
        .unwrap_or_else(rand::random);
    eprintln!("soak: {seconds} s, seed {seed} (PROVISIO_SOAK_SEED={seed} replays it)");

    let dir = tempfile::tempdir().unwrap();
    let db = fresh_database_url();
    let mut server = spawn(dir.path(), &db);
    let key = DevKey::load(dir.path()).unwrap();
    let tenants = [uuid::Uuid::new_v4(), uuid::Uuid::new_v4()];
    let token = |tenant| {
        key.issue(&TokenRequest {
            tenant,
            permissions: vec![READ_WRITE_ALL.to_owned()],
            app: false,
            lifetime: Duration::from_secs(seconds + 600),
        })
        .unwrap()
    };
    let shared = Arc::new(Shared {
        base: RwLock::new(server.base.clone()),
        faults: Mutex::new(Vec::new()),
        answers: Mutex::new(HashMap::new()),
    });
    let until = Instant::now() + Duration::from_secs(seconds);
    let workers: Vec<_> = (0..6)
        .map(|w| {
            let client = client_with_token(&token(tenants[w % 2]));
            tokio::spawn(client_loop(
                shared.clone(),
                client,
                w,
                seed.wrapping_add(w as u64),
                until,
            ))
        })
        .collect();

    let mut kills = 0;
    for quarter in 1..4 {
        let at = until - Duration::from_secs(seconds) + Duration::from_secs(seconds) * quarter / 4;
        tokio::time::sleep_until(at.into()).await;
        server.child.kill().expect("SIGKILL");
        server.child.wait().unwrap();
        kills += 1;
        server = tokio::task::spawn_blocking({
            let (dir, db) = (dir.path().to_owned(), db.clone());
            move || spawn(&dir, &db)
        })
        .await
        .unwrap();
        *shared.base.write().unwrap() = server.base.clone();
    }
    let mut expected: Vec<(usize, HashMap<String, Expected>)> = Vec::new();
    for (w, handle) in workers.into_iter().enumerate() {
        expected.push((w, handle.await.unwrap()));
    }

    // One more SIGKILL after the last acknowledged write, then the checks on a fresh start.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let server = spawn(dir.path(), &db);
    let base = server.base.clone();
    let mut checked = 0;
    for (w, mine) in &expected {
        let client = client_with_token(&token(tenants[w % 2]));
        for (id, e) in mine {
            let res = client
                .get(format!("{base}{COLLECTION}/{id}"))
                .send()
                .await
                .unwrap();
            let status = res.status();
            match (status, e.deleted) {
                (StatusCode::OK, Deletion::No | Deletion::Maybe) => {
                    let v: Value = res.json().await.unwrap();
                    let name = v["displayName"].as_str().unwrap().to_owned();
                    if !e.names.contains(&name) {
                        shared.fault(format!(
                            "after restart, {id} is {name:?}, expected one of {:?}",
                            e.names
                        ));
                    }
                }
                (StatusCode::NOT_FOUND, Deletion::Yes | Deletion::Maybe) => {}
                (status, deleted) => shared.fault(format!(
                    "after restart, {id} ({deleted:?} deleted) answered {status}"
                )),
            }
            checked += 1;
        }
    }
    // Every count equals the rows it counts, in each tenant, with and without a filter.
    for tenant in tenants {
        let client = client_with_token(&token(tenant));
        for filter in [
            "",
            "$filter=startswith(displayName,'w0-')",
            "$filter=contains(displayName,'renamed')",
        ] {
            let mut rows = 0;
            let mut url = format!("{base}{COLLECTION}?$top=500&{filter}");
            loop {
                let page: Value = client.get(&url).send().await.unwrap().json().await.unwrap();
                rows += page["value"].as_array().expect("a page").len();
                match page["@odata.nextLink"].as_str() {
                    Some(next) => url = next.to_owned(),
                    None => break,
                }
            }
            let count: usize = client
                .get(format!("{base}{COLLECTION}/$count?{filter}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .parse()
                .unwrap();
            if count != rows {
                shared.fault(format!(
                    "$count?{filter} says {count}, the list has {rows} rows"
                ));
            }
        }
    }
    let mut child = server.child;
    child.kill().unwrap();
    child.wait().unwrap();

    let answers = shared.answers.lock().unwrap().clone();
    let total: usize = answers.values().sum();
    eprintln!("soak: {total} answers {answers:?}, {kills} kills, {checked} profiles checked");
    assert!(total > 500, "only {total} requests were answered");
    assert!(checked > 50, "only {checked} profiles were created");
    let faults = shared.faults.lock().unwrap();
    assert!(
        faults.is_empty(),
        "{} faults (seed {seed}):\n{}",
        faults.len(),
        faults.join("\n")
    );
}
