//! Heavy lists on both databases: a statement over the time limit is cut and answered 503 with
//! `Retry-After`, the reader it ran on serves the next request, and while the admitted list
//! runs, reads by id find a connection and further lists wait only as long as allowed.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use provisio::config::{Settings, DEFAULT_DEV_TENANT};
use provisio::model::{Entity as _, Profile, ProfileId, TenantId, Timestamp};
use reqwest::StatusCode;

use crate::common::{expect_error, fresh_database_url, ok_json, open_store, TestServer};
use crate::query_table::enc;

/// Profiles in the table: enough that the heavy list reads for a good part of a second.
const ROWS: u32 = 60_000;

/// A `$filter` of 100 `contains` conditions (the most allowed) that no profile matches, so the
/// database reads every row of the tenant.
fn heavy_filter() -> String {
    (0..100)
        .map(|i| format!("contains(displayName,'zq{i:02}')"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A database holding [`ROWS`] copies of one profile of the development tenant.
struct Seeded {
    data_dir: PathBuf,
    url: Option<String>,
    /// The profile the copies were made from.
    id: ProfileId,
    _dir: tempfile::TempDir,
}

impl Seeded {
    async fn new() -> Seeded {
        let dir = tempfile::tempdir().expect("temp dir");
        let data_dir = dir.path().to_owned();
        let url = fresh_database_url();
        let store = open_store(&data_dir, &url).await;
        let tenant = TenantId(DEFAULT_DEV_TENANT.parse().expect("tenant"));
        let id = ProfileId::new_random();
        let now = Timestamp::now();
        let profile = Profile::new(tenant, id, "Lobby kiosk".into(), now);
        store.insert(tenant, &profile).await.expect("insert");
        store.close().await;
        copy_rows(&data_dir, &url, id).await;
        Seeded {
            data_dir,
            url,
            id,
            _dir: dir,
        }
    }

    /// A server over this database, with `configure`'s settings.
    async fn serve(&self, configure: impl FnOnce(&mut Settings)) -> TestServer {
        let url = self.url.clone();
        TestServer::start_in(self.data_dir.clone(), |s| {
            s.database.url = url;
            configure(s);
        })
        .await
    }
}

/// Inserts [`ROWS`] copies of profile `id` (new ids) with one statement.
async fn copy_rows(data_dir: &std::path::Path, url: &Option<String>, id: ProfileId) {
    let layout = Profile::set().layout();
    let columns = layout.column_names();
    let select = |new_id: &str| {
        columns
            .iter()
            .map(|c| if *c == "id" { new_id } else { c })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let insert = |new_id: &str, param: &str| {
        format!(
            "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {ROWS}) \
             INSERT INTO {t} ({cols}) SELECT {sel} FROM {t}, g WHERE {t}.id = {param}",
            t = layout.table,
            cols = columns.join(", "),
            sel = select(new_id),
        )
    };
    match url {
        Some(url) => {
            let pool = sqlx::PgPool::connect(url).await.expect("connect");
            sqlx::query(&insert("gen_random_uuid()::text", "$1"))
                .bind(id.0.to_string())
                .execute(&pool)
                .await
                .expect("copy rows");
            sqlx::query("ANALYZE")
                .execute(&pool)
                .await
                .expect("analyze");
            pool.close().await;
        }
        None => {
            let path = data_dir.join(provisio::store::sqlite::DB_FILE);
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                .await
                .expect("open");
            let uuid = "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || \
                        substr(hex(randomblob(2)), 2) || '-a' || substr(hex(randomblob(2)), 2) \
                        || '-' || hex(randomblob(6)))";
            sqlx::query(&insert(uuid, "?"))
                .bind(id.0.to_string())
                .execute(&pool)
                .await
                .expect("copy rows");
            pool.close().await;
        }
    }
}

#[tokio::test]
async fn a_list_longer_than_the_time_limit_is_cut_and_answered_503() {
    let seeded = Seeded::new().await;
    // One reader: the request after the cut list runs on the very connection it ran on.
    let s = seeded
        .serve(|s| {
            s.queries.statement_timeout_ms = 100;
            s.sqlite_read_connections = 1;
            s.database.pool_size = 2;
        })
        .await;
    for url in [s.collection(), format!("{}/$count", s.collection())] {
        let res = heavy(&s, &url).await;
        assert_eq!(
            res.headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()),
            Some("5"),
            "{url}"
        );
        let message =
            expect_error(res, StatusCode::SERVICE_UNAVAILABLE, "ServiceUnavailable").await;
        assert!(
            message.contains("ran longer than the limit of 100 ms") && message.contains("$filter"),
            "{message}"
        );
    }
    // The next statements on that reader get a deadline of their own.
    let one: serde_json::Value = ok_json(s.get(&s.item(&seeded.id.0.to_string())).await).await;
    assert_eq!(one["displayName"], "Lobby kiosk");
    let page = ok_json(s.get(&format!("{}?$top=2", s.collection())).await).await;
    assert_eq!(page["value"].as_array().map(Vec::len), Some(2));
    s.stop().await;
}

/// Sends `url` with the heavy filter.
async fn heavy(s: &TestServer, url: &str) -> reqwest::Response {
    s.get(&format!("{url}?$filter={}", enc(&heavy_filter())))
        .await
}

/// Sends the heavy list; its status, `Retry-After` and when it was answered.
async fn heavy_list(s: &TestServer) -> (StatusCode, Option<String>, Instant) {
    let res = heavy(s, &s.collection()).await;
    let status = res.status();
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let _ = res.bytes().await;
    (status, retry, Instant::now())
}

#[tokio::test]
async fn admission_keeps_a_connection_for_reads_by_id() {
    let seeded = Seeded::new().await;
    // Two connections: one list at a time, one connection kept for everything else.
    let s = seeded
        .serve(|s| {
            s.queries.statement_timeout_ms = 60_000;
            s.queries.admission_wait_ms = 150;
            s.sqlite_read_connections = 2;
            s.database.pool_size = 2;
        })
        .await;
    let (a, b, c, (get_status, got_at)) =
        tokio::join!(heavy_list(&s), heavy_list(&s), heavy_list(&s), async {
            // The lists have been sent; one of them is reading.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let res = s.get(&s.item(&seeded.id.0.to_string())).await;
            (res.status(), Instant::now())
        });
    let listed = [a, b, c];
    assert_eq!(get_status, StatusCode::OK);
    let done: Vec<_> = listed.iter().filter(|(st, _, _)| st.is_success()).collect();
    let refused: Vec<_> = listed
        .iter()
        .filter(|(st, _, _)| *st == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert_eq!(done.len() + refused.len(), 3, "{listed:?}");
    assert!(!done.is_empty(), "one list is admitted: {listed:?}");
    assert!(
        !refused.is_empty(),
        "a list that waits longer than allowed is refused: {listed:?}"
    );
    assert!(refused
        .iter()
        .all(|(_, retry, _)| retry.as_deref() == Some("1")));
    let first_list = done.iter().map(|(_, _, at)| *at).min().expect("a list");
    assert!(
        got_at < first_list,
        "the read by id waited for a list to end: {:?} after it",
        got_at.saturating_duration_since(first_list)
    );
    s.stop().await;
}

/// Every start reads which keys the rows are sealed with, under the statement time limit and
/// before the service answers: over a large table that read must stay a few index entries
/// (a full read of the index once stopped a start here under load).
#[tokio::test]
async fn the_start_up_key_check_reads_a_few_index_entries_of_a_large_table() {
    let seeded = Seeded::new().await;
    let layout = Profile::set().layout();
    let sql = provisio::store::seal::key_ids_select(layout);
    // Other keys and a plain row, in a transaction that is undone: the answer names each once.
    let change = [
        format!(
            "UPDATE {} SET sealed_with = 7 WHERE id IN (SELECT id FROM {} ORDER BY id LIMIT 3)",
            layout.table, layout.table
        ),
        format!(
            "UPDATE {} SET sealed_with = NULL WHERE id = (SELECT MAX(id) FROM {})",
            layout.table, layout.table
        ),
    ];
    // The keys named after the changes, read on `pool`, which is closed afterwards.
    macro_rules! changed_keys {
        ($pool:expr) => {{
            let mut tx = $pool.begin().await.expect("begin");
            for c in &change {
                sqlx::query(c).execute(&mut *tx).await.expect("change");
            }
            let keys: Vec<(Option<i64>,)> = sqlx::query_as(&sql)
                .fetch_all(&mut *tx)
                .await
                .expect("keys");
            tx.rollback().await.expect("rollback");
            $pool.close().await;
            keys
        }};
    }
    let mut keys = match &seeded.url {
        Some(url) => {
            let pool = sqlx::PgPool::connect(url).await.expect("connect");
            let plan: (serde_json::Value,) =
                sqlx::query_as(&format!("EXPLAIN (ANALYZE, FORMAT JSON) {sql}"))
                    .fetch_one(&pool)
                    .await
                    .expect("explain");
            let mut read = 0.0;
            let mut nodes = Vec::new();
            pg_rows_read(&plan.0[0]["Plan"], &mut read, &mut nodes);
            assert!(
                !nodes.iter().any(|n| n == "Seq Scan"),
                "the table is read through its index: {nodes:?}"
            );
            assert!(read < 20.0, "{read} rows read: {:#}", plan.0);
            changed_keys!(pool)
        }
        None => {
            let path = seeded.data_dir.join(provisio::store::sqlite::DB_FILE);
            let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
                .await
                .expect("open");
            let plan: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .fetch_all(&pool)
                    .await
                    .expect("explain");
            let details: Vec<&str> = plan.iter().map(|(_, _, _, d)| d.as_str()).collect();
            let table = format!("{} ", layout.table);
            let reads: Vec<&&str> = details.iter().filter(|d| d.contains(&table)).collect();
            assert!(
                reads.len() == 3
                    && reads.iter().all(|d| d.starts_with("SEARCH ")
                        && d.contains("INDEX enrollment_profiles_sealed_with (sealed_with")),
                "each read of the table seeks its index: {details:?}"
            );
            changed_keys!(pool)
        }
    };
    keys.sort();
    let first = keys.iter().find_map(|(k,)| k.filter(|k| *k != 7));
    assert!(
        first.is_some(),
        "the key the rows were sealed with: {keys:?}"
    );
    let mut wanted = vec![(None,), (first,), (Some(7),)];
    wanted.sort();
    assert_eq!(keys, wanted);
}

/// The rows a PostgreSQL plan node and its children read (returned and filtered out, over
/// every loop), and the kinds of node.
fn pg_rows_read(node: &serde_json::Value, read: &mut f64, nodes: &mut Vec<String>) {
    let loops = node["Actual Loops"].as_f64().unwrap_or(1.0);
    let kind = node["Node Type"].as_str().unwrap_or_default();
    if kind.contains("Scan") && node["Relation Name"].is_string() {
        *read += loops
            * (node["Actual Rows"].as_f64().unwrap_or(0.0)
                + node["Rows Removed by Filter"].as_f64().unwrap_or(0.0));
    }
    nodes.push(kind.to_owned());
    for child in node["Plans"].as_array().into_iter().flatten() {
        pg_rows_read(child, read, nodes);
    }
}
