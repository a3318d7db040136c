//! How fast the database answers list queries over 100,000 profiles in one tenant.
//!
//! `cargo bench -p provisio --bench list_queries` preloads the profiles directly through the
//! store (one transaction), prints the plan SQLite chooses for each query, starts the service
//! in-process on 127.0.0.1:0 and times each query over HTTP: median, 90th percentile and minimum
//! of 200 requests after 20 warm-up requests. `PROVISIO_BENCH_ROWS` changes the row count.
//! The target and the figures are in docs/BENCHMARKS.md, "List queries over 100,000 profiles";
//! a full scan is timed alongside for comparison.

use std::time::{Duration, Instant};

use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use provisio::config::Settings;
use provisio::model::{Profile, ProfileId, Sensitive, TenantId, Timestamp, Token};
use provisio::store::{sqlite::SqliteStore, Cursor, ListQuery, Store};
use serde_json::Value;
use uuid::Uuid;

const WORDS: [&str; 10] = [
    "Kiosk",
    "Lobby",
    "Warehouse",
    "Émile",
    "École",
    "Straße",
    "Front desk",
    "Zebra",
    "apple",
    "日本語",
];
const WARM_UP: usize = 20;
const RUNS: usize = 200;

fn profiles(tenant: TenantId, n: usize) -> Vec<Profile> {
    let start = Timestamp::parse("2024-01-01T00:00:00Z").expect("date");
    let mut seed: u64 = 7;
    (0..n)
        .map(|i| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let id = ProfileId(Uuid::from_u64_pair(seed, i as u64));
            let name = format!("{} {i:06}", WORDS[(seed >> 40) as usize % WORDS.len()]);
            let created = start.plus_seconds(i as i64).expect("date");
            let mut p = Profile::new(tenant, id, name, created);
            p.description = (i % 3 != 0).then(|| format!("Site {}", i % 97));
            // Every profile has a token, its QR code and a Wi-Fi password, as in production:
            // lists open three sealed members per row.
            let token: String = (0..20)
                .map(|k| char::from(b'A' + ((seed >> (k * 3)) % 26) as u8))
                .collect();
            p.token = Some(Token {
                id: uuid::Uuid::new_v4(),
                qr_content: Sensitive::new(format!(
                    "{{\"android.app.extra.PROVISIONING_DEVICE_ADMIN_COMPONENT_NAME\":\
                     \"com.google.android.apps.work.clouddpc/.receivers.CloudDeviceAdminReceiver\",\
                     \"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE\":{{\
                     \"com.google.android.apps.work.clouddpc.EXTRA_ENROLLMENT_TOKEN\":\"{token}\"}}}}"
                )),
                value: Sensitive::new(token),
                created,
                expires: created.plus_seconds(86_400).expect("date"),
                qr_png: vec![0x55; 1200],
            });
            p.wifi.password = Some(Sensitive::new(format!("wifi-password-{i}")));
            p
        })
        .collect()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn time(client: &reqwest::Client, label: &str, url: &str) -> f64 {
    let mut samples = Vec::with_capacity(RUNS);
    for i in 0..WARM_UP + RUNS {
        let started = Instant::now();
        let res = client.get(url).send().await.expect("request");
        assert!(res.status().is_success(), "{label}: {}", res.status());
        let json = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
        let body = res.bytes().await.expect("body");
        // JSON is parsed as a client would (a list or an entity); the console's files are only
        // read.
        let listed = !json || {
            let v: Value = serde_json::from_slice(&body).expect("json");
            v["value"].is_array() || v["id"].is_string()
        };
        let took = started.elapsed();
        assert!(listed && !body.is_empty(), "{label}");
        if i >= WARM_UP {
            samples.push(took);
        }
    }
    samples.sort();
    let median = ms(samples[RUNS / 2]);
    println!(
        "{label:<48} median {median:>7.3} ms   p90 {:>7.3} ms   min {:>7.3} ms",
        ms(samples[RUNS * 9 / 10]),
        ms(samples[0])
    );
    median
}

fn options(raw: &str) -> ListQuery {
    let o = odata::parse_query(
        raw,
        &provisio::model::PROFILES.layout().schema,
        &odata::Limits::DEFAULT,
    )
    .expect("query");
    ListQuery {
        criteria: provisio::store::Criteria {
            filter: o.filter,
            search: o.search,
        },
        order: o.orderby,
        ..ListQuery::new(101)
    }
}

fn main() {
    let rows: usize = std::env::var("PROVISIO_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(rows));
}

async fn run(rows: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let settings = Settings {
        data_dir: Some(dir.path().to_owned()),
        ..Settings::default()
    };
    let tenant = TenantId(settings.dev_tenant);
    let data = profiles(tenant, rows);
    let eq_name = data[rows / 2].display_name.clone();
    let store = SqliteStore::open(dir.path(), 1).await.expect("open");
    let started = Instant::now();
    store.insert_many(tenant, &data).await.expect("preload");
    let other = TenantId(Uuid::from_u128(0xdead));
    store
        .insert_many(other, &profiles(other, rows / 10))
        .await
        .expect("preload");
    let took = started.elapsed();
    println!(
        "preloaded {} profiles in one transaction: {:.2} s ({:.0} rows/s)",
        rows + rows / 10,
        took.as_secs_f64(),
        (rows + rows / 10) as f64 / took.as_secs_f64()
    );

    let eq = format!("displayName eq '{eq_name}'");
    let prefix = "startswith(displayName,'Kiosk 012')";
    let queries = [
        (
            "$filter=displayName eq '<name>'",
            format!("$filter={}", enc(&eq)),
        ),
        (
            "$filter=startswith(displayName,'Kiosk 012')",
            format!("$filter={}", enc(prefix)),
        ),
        (
            "$orderby=displayName, page 1",
            "$orderby=displayName".to_owned(),
        ),
    ];
    println!("\nplans (EXPLAIN QUERY PLAN):");
    for (label, raw) in &queries {
        let plan = store
            .explain_list::<Profile>(tenant, &options(raw))
            .await
            .expect("plan");
        println!("  {label}: {}", plan.join(" | "));
    }
    let mut page50 = options("$orderby=displayName");
    let first49 = as_dyn(&store)
        .list::<Profile>(
            tenant,
            &ListQuery {
                limit: 4900,
                ..page50.clone()
            },
        )
        .await
        .expect("list");
    page50.after = Some(Cursor::after(&page50.order, &first49[4899]).expect("cursor"));
    let plan = store
        .explain_list::<Profile>(tenant, &page50)
        .await
        .expect("plan");
    println!("  $orderby=displayName, page 50: {}", plan.join(" | "));

    // The store alone (SQL, row decoding, no HTTP or JSON), for comparison with the requests.
    let page1 = options("$orderby=displayName");
    let mut samples = Vec::with_capacity(RUNS);
    for i in 0..WARM_UP + RUNS {
        let started = Instant::now();
        let rows = as_dyn(&store)
            .list::<Profile>(tenant, &page1)
            .await
            .expect("list");
        assert_eq!(rows.len(), 101);
        if i >= WARM_UP {
            samples.push(started.elapsed());
        }
    }
    samples.sort();
    println!(
        "  store.list of page 1 alone (101 rows, no HTTP): median {:.3} ms",
        ms(samples[RUNS / 2])
    );
    // A rendered page (what a list answers) with and without the sealed members, which the
    // service opens and puts into the JSON SQLite wrote.
    let layout = provisio::model::PROFILES.layout();
    let listed: Vec<usize> = (0..layout.members.len())
        .filter(|&i| layout.members[i].listed)
        .collect();
    let plain: Vec<usize> = listed
        .iter()
        .copied()
        .filter(|&i| !layout.members[i].sealed)
        .collect();
    let mut rendered = [0.0; 2];
    for (slot, members) in [&listed, &plain].into_iter().enumerate() {
        let mut samples = Vec::with_capacity(RUNS);
        for i in 0..WARM_UP + RUNS {
            let started = Instant::now();
            let page = as_dyn(&store)
                .list_rendered::<Profile>(tenant, &page1, members)
                .await
                .expect("list");
            assert_eq!(page.len(), 101);
            if i >= WARM_UP {
                samples.push(started.elapsed());
            }
        }
        samples.sort();
        rendered[slot] = ms(samples[RUNS / 2]);
    }
    println!(
        "  rendered page 1 alone: median {:.3} ms with the {} sealed members, {:.3} ms without \
         them (ratio {:.2})",
        rendered[0],
        listed.len() - plain.len(),
        rendered[1],
        rendered[0] / rendered[1]
    );
    store.close().await;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let data_dir = settings.data_dir().to_owned();
    let dev_tenant = settings.dev_tenant;
    let server = tokio::spawn(provisio::server::run(settings, listener, async {
        let _ = stopped.await;
    }));
    wait_ready(&reqwest::Client::new(), &base).await;
    // The server made its development signing key on start; sign a reader's token with it.
    let token = provisio::auth::dev::DevKey::load(&data_dir)
        .and_then(|key| {
            key.issue(&provisio::auth::dev::TokenRequest {
                tenant: dev_tenant,
                permissions: vec!["DeviceManagementConfiguration.Read.All".into()],
                app: false,
                lifetime: Duration::from_secs(3600),
            })
        })
        .expect("development token");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("client");
    let collection = format!("{base}/beta/deviceManagement/androidDeviceOwnerEnrollmentProfiles");

    println!("\n{rows} profiles in the tenant, {} requests each:", RUNS);
    let mut medians = Vec::new();
    for (label, raw) in &queries {
        medians.push(time(&client, label, &format!("{collection}?{raw}")).await);
    }
    let page50 = nth_page(&client, &format!("{collection}?$orderby=displayName"), 50).await;
    medians.push(time(&client, "$orderby=displayName, page 50", &page50).await);
    let scan = format!(
        "{collection}?$filter={}",
        enc("contains(displayName,'0123')")
    );
    let full = time(&client, "(reference) contains(displayName,'0123')", &scan).await;
    println!(
        "\npage 50 / page 1: {:.2}; slowest of the four: {:.3} ms; full scan / page 1: {:.1}",
        medians[3] / medians[2],
        medians.iter().cloned().fold(0.0, f64::max),
        full / medians[2]
    );
    // What the admin console asks on its pages (docs/CONSOLE.md): the page and a script, the
    // first page of the list, a name search with a mode, the tokens that expire within 7 days.
    println!("\nthe console's requests:");
    let now = time::OffsetDateTime::now_utc();
    let week = now + time::Duration::days(7);
    let stamp = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .expect("date-time")
    };
    let console = [
        ("GET / (the page)", format!("{base}/")),
        ("GET /console/app.js", format!("{base}/console/app.js")),
        (
            "the list, page 1",
            format!(
                "{collection}?$select=id,displayName,enrollmentMode,tokenExpirationDateTime,enrolledDeviceCount&$orderby=displayName,id&$top=25"
            ),
        ),
        (
            "name starts with 'Kiosk 01' and a mode",
            format!(
                "{collection}?$select=id,displayName,enrollmentMode,tokenExpirationDateTime,enrolledDeviceCount&$filter={}&$orderby=displayName,id&$top=25",
                enc("startswith(displayName,'Kiosk 01') and enrollmentMode eq 'corporateOwnedDedicatedDevice'")
            ),
        ),
        (
            "a profile by id (with its QR code)",
            format!("{collection}/{}", data[rows / 2].id.0),
        ),
        (
            "a mode alone (no profile has it)",
            format!(
                "{collection}?$select=id,displayName,enrollmentMode,tokenExpirationDateTime,enrolledDeviceCount&$filter={}&$orderby=displayName,id&$top=25",
                enc("enrollmentMode eq 'corporateOwnedFullyManaged'")
            ),
        ),
        (
            "a mode alone (every profile has it)",
            format!(
                "{collection}?$select=id,displayName,enrollmentMode,tokenExpirationDateTime,enrolledDeviceCount&$filter={}&$orderby=displayName,id&$top=25",
                enc("enrollmentMode eq 'corporateOwnedDedicatedDevice'")
            ),
        ),
        (
            "tokens expiring within 7 days",
            format!(
                "{collection}?$select=id,displayName,enrollmentMode,tokenExpirationDateTime&$filter={}&$orderby=tokenExpirationDateTime,id&$top=200",
                enc(&format!(
                    "tokenExpirationDateTime gt {} and tokenExpirationDateTime le {}",
                    stamp(now),
                    stamp(week)
                ))
            ),
        ),
    ];
    for (label, url) in &console {
        time(&client, label, url).await;
    }
    let _ = stop.send(());
    server.await.expect("server").expect("server result");
}

fn enc(v: &str) -> String {
    utf8_percent_encode(v, NON_ALPHANUMERIC).to_string()
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..400 {
        if client.get(format!("{base}/healthz")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("server did not start");
}

/// The URL of page `n` (1-based), by following nextLinks.
async fn nth_page(client: &reqwest::Client, first: &str, n: usize) -> String {
    let mut url = first.to_owned();
    for _ in 1..n {
        let page: Value = client
            .get(&url)
            .send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json");
        url = page["@odata.nextLink"]
            .as_str()
            .expect("a next page")
            .to_owned();
    }
    url
}

/// The store as every caller sees it, with the typed reads.
fn as_dyn(store: &SqliteStore) -> &dyn Store {
    store
}
