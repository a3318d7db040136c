//! Tests of the group writer: batches answer each write as if it ran alone, and a failed
//! batch leaves nothing half-written.

use super::*;
use crate::model::layout::{to_row, Cell, VERSION};
use crate::model::{Entity as _, Profile, ProfileId, TenantId, Timestamp};
use crate::store::sqlite::SqliteStore;
use crate::store::Store;

fn layout() -> &'static Layout {
    Profile::set().layout()
}

fn row(tenant: TenantId) -> Row {
    let now = Timestamp::parse("2026-11-22T10:15:30.1234567Z").unwrap();
    let p = Profile::new(tenant, ProfileId::new_random(), "Row".into(), now);
    to_row(&p)
}

fn set(r: &mut Row, column: &str, cell: Cell) {
    let at = layout()
        .columns
        .iter()
        .position(|c| c.name == column)
        .unwrap();
    r.0[at] = cell;
}

fn insert(r: &Row) -> WriteOp {
    WriteOp::Row {
        tenant: r.tenant().to_owned(),
        write: RowWrite::Insert {
            layout: layout(),
            row: r.clone(),
        },
    }
}

fn delete(tenant: TenantId, id: &str) -> WriteOp {
    WriteOp::Row {
        tenant: tenant.to_string(),
        write: RowWrite::Delete {
            layout: layout(),
            id: id.parse().unwrap(),
            expected_version: None,
        },
    }
}

fn as_dyn(s: &SqliteStore) -> &dyn Store {
    s
}

fn jobs(ops: Vec<WriteOp>) -> Vec<Job> {
    ops.into_iter()
        .map(|op| Job {
            op,
            reply: oneshot::channel().0,
        })
        .collect()
}

fn outcome(results: &[Result<u64, StoreError>]) -> Vec<&'static str> {
    results
        .iter()
        .map(|r| match r {
            Ok(1) => "ok",
            Ok(_) => "no row",
            Err(StoreError::Conflict(_)) => "conflict",
            Err(_) => "error",
        })
        .collect()
}

fn update(r: &Row, expected: i64, name: &str) -> WriteOp {
    let mut row = r.clone();
    row.0[VERSION] = Cell::Int(expected + 1);
    set(&mut row, "display_name", Cell::Text(name.into()));
    set(
        &mut row,
        "display_name_key",
        Cell::Text(name.to_lowercase()),
    );
    WriteOp::Row {
        tenant: r.tenant().to_owned(),
        write: RowWrite::Update {
            layout: layout(),
            row,
            expected_version: expected,
        },
    }
}

/// Updates in one batch answer as if each ran alone, in order: a stale version or a missing
/// row changes nothing, a second update of a row sees the first one's version, and a row
/// that breaks a CHECK fails alone.
#[tokio::test]
async fn a_batch_of_updates_answers_each_as_if_alone() {
    let dir = std::env::temp_dir().join(format!("provisio-upd-{}", uuid::Uuid::new_v4()));
    let store = SqliteStore::open(&dir, 1).await.unwrap();
    let tenant = TenantId(uuid::Uuid::from_u128(8));
    let (x, y, w, missing) = (row(tenant), row(tenant), row(tenant), row(tenant));
    let v = 1;
    let mut first = jobs(vec![insert(&x), insert(&y), insert(&w)]);
    commit(store.writer_pool(), &mut first).await.unwrap();

    let mut bad = update(&w, v, "bad");
    if let WriteOp::Row {
        write: RowWrite::Update { row, .. },
        ..
    } = &mut bad
    {
        set(row, "enrollment_mode", Cell::Int(99));
    }
    let mut other_tenant = update(&y, v, "other tenant");
    if let WriteOp::Row { tenant, .. } = &mut other_tenant {
        *tenant = TenantId(uuid::Uuid::from_u128(9)).to_string();
    }
    let mut batch = jobs(vec![
        update(&x, v, "x1"),
        update(&y, v + 7, "stale"),
        update(&missing, v, "missing"),
        other_tenant,
        update(&x, v + 1, "x2"),
        update(&y, v, "y1"),
        bad,
        update(&x, v + 2, "x3"),
    ]);
    let results = commit(store.writer_pool(), &mut batch).await.unwrap();
    assert_eq!(
        outcome(&results),
        ["ok", "no row", "no row", "no row", "ok", "ok", "error", "ok"]
    );
    let name = |r: &Row| {
        let store = as_dyn(&store);
        let id = ProfileId::parse(r.id()).unwrap();
        async move {
            let p = store.get(tenant, id).await.unwrap().unwrap();
            (p.display_name, p.version)
        }
    };
    assert_eq!(name(&x).await, ("x3".to_string(), v + 3));
    assert_eq!(name(&y).await, ("y1".to_string(), v + 1));
    assert_eq!(name(&w).await, ("Row".to_string(), v));
    as_dyn(&store).close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A write that fails for a reason of the database's own (here a full database: the file
/// may not grow) fails with its whole batch, leaves nothing half-written, and the writer goes
/// on once the cause is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_goes_on_after_a_failed_batch() {
    use crate::store::sqlite::profile_with_image;
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(dir.path(), 1).await.unwrap();
    let store = as_dyn(&sqlite);
    let tenant = TenantId(uuid::Uuid::from_u128(8));
    let profile = |i: u32| profile_with_image(tenant, format!("Row {i}"), vec![7; 64 * 1024]);
    let kept = profile(0);
    store.insert(tenant, &kept).await.unwrap();
    let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
        .fetch_one(sqlite.writer_pool())
        .await
        .unwrap();
    sqlx::query(&format!("PRAGMA max_page_count = {}", pages + 2))
        .execute(sqlite.writer_pool())
        .await
        .unwrap();
    let refused: Vec<Profile> = (1..=8).map(profile).collect();
    let results =
        futures_util::future::join_all(refused.iter().map(|p| store.insert(tenant, p))).await;
    for r in &results {
        let err = r.as_ref().expect_err("the database is full");
        assert!(matches!(err, StoreError::Full), "{err:?}");
    }
    sqlx::query("PRAGMA max_page_count = 1073741823")
        .execute(sqlite.writer_pool())
        .await
        .unwrap();
    let later = profile(9);
    store.insert(tenant, &later).await.unwrap();
    for p in [&kept, &later] {
        assert_eq!(store.get(tenant, p.id).await.unwrap().as_ref(), Some(p));
    }
    for p in &refused {
        assert_eq!(store.get(tenant, p.id).await.unwrap(), None);
    }
    store.close().await;
}

/// A batch answers each write as if it ran alone: multi-row inserts, duplicate keys inside
/// and outside the batch, a row that breaks a CHECK (which undoes its whole multi-row
/// statement, so the rows are retried one by one), and writes of other kinds in between.
#[tokio::test]
async fn a_batch_answers_each_write_on_its_own() {
    let dir = std::env::temp_dir().join(format!("provisio-batch-{}", uuid::Uuid::new_v4()));
    let store = SqliteStore::open(&dir, 1).await.unwrap();
    let tenant = TenantId(uuid::Uuid::from_u128(7));
    let existing = row(tenant);
    let mut first = jobs(vec![insert(&existing)]);
    commit(store.writer_pool(), &mut first).await.unwrap();

    let (a, b, d) = (row(tenant), row(tenant), row(tenant));
    let mut bad = row(tenant);
    set(&mut bad, "enrolled_device_count", Cell::Int(-1));
    let mut batch = jobs(vec![
        insert(&a),
        insert(&existing),
        insert(&b),
        insert(&b),
        delete(tenant, &uuid::Uuid::new_v4().to_string()),
        insert(&d),
        insert(&bad),
        insert(&row(tenant)),
    ]);
    let results = commit(store.writer_pool(), &mut batch).await.unwrap();
    assert_eq!(
        outcome(&results),
        ["ok", "conflict", "ok", "conflict", "no row", "ok", "error", "ok"]
    );

    let (e, f) = (row(tenant), row(tenant));
    let mut batch = jobs(vec![
        insert(&e),
        insert(&a),
        insert(&f),
        insert(&f),
        delete(tenant, existing.id()),
        insert(&existing),
    ]);
    let results = commit(store.writer_pool(), &mut batch).await.unwrap();
    assert_eq!(
        outcome(&results),
        ["ok", "conflict", "ok", "conflict", "ok", "ok"]
    );

    let dyn_store = as_dyn(&store);
    for r in [&existing, &a, &b, &d, &e, &f] {
        let id = ProfileId::parse(r.id()).unwrap();
        assert!(
            dyn_store.get(tenant, id).await.unwrap().is_some(),
            "{}",
            r.id()
        );
    }
    let bad_id = ProfileId::parse(bad.id()).unwrap();
    assert!(dyn_store.get(tenant, bad_id).await.unwrap().is_none());
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A group's update keys the row by the group's tenant: a row of another tenant with the
/// same id is left alone and the group stores nothing, as a single update would.
#[tokio::test]
async fn a_group_updates_rows_of_its_own_tenant_only() {
    let dir = std::env::temp_dir().join(format!("provisio-grp-{}", uuid::Uuid::new_v4()));
    let store = SqliteStore::open(&dir, 1).await.unwrap();
    let (owner, other) = (
        TenantId(uuid::Uuid::from_u128(10)),
        TenantId(uuid::Uuid::from_u128(11)),
    );
    let x = row(owner);
    let mut first = jobs(vec![insert(&x)]);
    commit(store.writer_pool(), &mut first).await.unwrap();
    let group = |tenant: TenantId| {
        let WriteOp::Row { write, .. } = update(&x, 1, "renamed") else {
            unreachable!("update() gives a row write")
        };
        WriteOp::Group {
            tenant: tenant.to_string(),
            writes: vec![write],
        }
    };
    let mut batch = jobs(vec![group(other)]);
    let results = commit(store.writer_pool(), &mut batch).await.unwrap();
    assert_eq!(outcome(&results), ["no row"]);
    let id = ProfileId::parse(x.id()).unwrap();
    let stored = as_dyn(&store).get(owner, id).await.unwrap().unwrap();
    assert_eq!((stored.display_name.as_str(), stored.version), ("Row", 1));

    let mut batch = jobs(vec![group(owner)]);
    let results = commit(store.writer_pool(), &mut batch).await.unwrap();
    assert_eq!(outcome(&results), ["ok"]);
    let stored = as_dyn(&store).get(owner, id).await.unwrap().unwrap();
    assert_eq!(stored.display_name, "renamed");
    as_dyn(&store).close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
