//! Tests of the SQLite store's set-up: checkpoints, the memory map, bulk loads and build options.

use super::*;
use crate::model::{Profile, ProfileId};

fn as_dyn(s: &SqliteStore) -> &dyn Store {
    s
}

/// A failed bulk load leaves the writer's page cache as it was before the load.
#[tokio::test]
async fn a_failed_bulk_load_restores_the_page_cache() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path(), 1).await.unwrap();
    let tenant = TenantId(uuid::Uuid::from_u128(4));
    let now = crate::model::Timestamp::parse("2026-11-22T10:15:30Z").unwrap();
    let p = Profile::new(tenant, ProfileId::new_random(), "Twice".into(), now);
    let before = store.writer_cache_size().await;
    // The same id twice: the load fails on the primary key.
    let err = store.insert_many(tenant, &[p.clone(), p]).await;
    assert!(err.is_err());
    assert_eq!(store.writer_cache_size().await, before);
    assert_eq!(before, DEFAULT_CACHE_SIZE);
    as_dyn(&store).close().await;
}

/// The log is copied back into the database file while the store is open, not only at close.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_is_checkpointed_in_the_background() {
    use crate::model::Timestamp;
    let dir = std::env::temp_dir().join(format!("provisio-ckpt-{}", uuid::Uuid::new_v4()));
    let store = SqliteStore::open(&dir, 1).await.unwrap();
    let db_size = || std::fs::metadata(dir.join(DB_FILE)).unwrap().len();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let before = db_size();
    let tenant = TenantId(uuid::Uuid::from_u128(3));
    let now = Timestamp::parse("2026-11-22T10:15:30.1234567Z").unwrap();
    // Fewer log pages than the writer's own checkpoint threshold.
    for i in 0..60 {
        let p = Profile::new(tenant, ProfileId::new_random(), format!("Row {i}"), now);
        as_dyn(&store).insert(tenant, &p).await.unwrap();
    }
    let mut after = db_size();
    for _ in 0..50 {
        if after > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
        after = db_size();
    }
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        after > before,
        "database file {before} -> {after} bytes while open"
    );
}

/// Every reader maps as much of the file as asked, and none by default; SQLite would cut a
/// larger map down to its build limit without a word, so that is refused.
#[tokio::test]
async fn the_memory_map_is_what_was_asked() {
    let dir = tempfile::tempdir().unwrap();
    let mapped = |pool: &SqlitePool| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("PRAGMA mmap_size")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let store = SqliteStore::open(dir.path(), 1).await.unwrap();
    assert_eq!(mapped(&store.reader).await, 0);
    store.close().await;
    let tuning = SqliteTuning {
        read_connections: 2,
        mmap_mib: MAX_MMAP_MIB,
    };
    let store = SqliteStore::open_tuned(dir.path(), tuning).await.unwrap();
    let expected = i64::from(MAX_MMAP_MIB) << 20;
    // Both readers at once, so that neither is the other.
    let mut first = store.reader.acquire().await.unwrap();
    let mut second = store.reader.acquire().await.unwrap();
    for conn in [&mut first, &mut second] {
        let size: i64 = sqlx::query_scalar("PRAGMA mmap_size")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        assert_eq!(size, expected);
    }
    drop((first, second));
    // The writer changes pages through its own cache and the log: a map does not pay there.
    assert_eq!(mapped(&store.writer).await, 0);
    store.close().await;
    let too_big = SqliteTuning {
        mmap_mib: MAX_MMAP_MIB + 1,
        ..tuning
    };
    let err = SqliteStore::open_tuned(dir.path(), too_big)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("0 to 2047 MiB"), "{err}");
}

/// Readers with a map see every committed write while the file grows under them (each
/// profile carries a 16 KiB image, so checkpoints keep extending the mapped file).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mapped_readers_see_each_write_as_the_file_grows() {
    use crate::model::Timestamp;
    let dir = tempfile::tempdir().unwrap();
    let tuning = SqliteTuning {
        read_connections: 2,
        mmap_mib: 64,
    };
    let store = SqliteStore::open_tuned(dir.path(), tuning).await.unwrap();
    let tenant = TenantId(uuid::Uuid::from_u128(5));
    let now = Timestamp::parse("2026-11-22T10:15:30.1234567Z").unwrap();
    let mut watched = Profile::new(tenant, ProfileId::new_random(), "Watched".into(), now);
    as_dyn(&store).insert(tenant, &watched).await.unwrap();
    let size_before = std::fs::metadata(dir.path().join(DB_FILE)).unwrap().len();
    for i in 0..400u32 {
        let png = vec![u8::try_from(i % 251).unwrap(); 16 * 1024];
        let p = profile_with_image(tenant, format!("Row {i}"), png);
        as_dyn(&store).insert(tenant, &p).await.unwrap();
        let mut next = watched.clone();
        next.description = Some(format!("version {i}"));
        next.version += 1;
        assert!(as_dyn(&store)
            .update(tenant, &next, watched.version)
            .await
            .unwrap());
        watched = next;
        let seen = as_dyn(&store)
            .get(tenant, watched.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seen.description, watched.description, "after write {i}");
        let read = as_dyn(&store).get(tenant, p.id).await.unwrap().unwrap();
        assert_eq!(read.token.unwrap().qr_png, p.token.unwrap().qr_png);
    }
    let total = as_dyn(&store)
        .count::<Profile>(tenant, &Criteria::default())
        .await
        .unwrap();
    let size_after = std::fs::metadata(dir.path().join(DB_FILE)).unwrap().len();
    store.close().await;
    assert_eq!(total, 401);
    assert!(
        size_after > size_before + 4 * 1024 * 1024,
        "the file grew from {size_before} to {size_after} bytes only"
    );
}

/// The embedded SQLite is built with the options in `.cargo/config.toml`.
#[tokio::test]
async fn sqlite_is_built_without_memory_statistics() {
    let dir = std::env::temp_dir().join(format!("provisio-opts-{}", uuid::Uuid::new_v4()));
    let store = SqliteStore::open(&dir, 1).await.unwrap();
    let options: Vec<String> = sqlx::query_scalar("PRAGMA compile_options")
        .fetch_all(&store.reader)
        .await
        .unwrap();
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
        "compile options: {options:?}"
    );
}

/// While every turn for lists is taken, a read by id still finds a reader, and a further list
/// is refused as busy once it has waited as long as allowed; when the turn ends (here
/// abandoned), lists run again.
#[tokio::test]
async fn a_list_in_progress_leaves_a_reader_for_reads_by_id() {
    use crate::model::Timestamp;
    let dir = tempfile::tempdir().unwrap();
    let limits = ReadLimits {
        admission_wait: Duration::from_millis(20),
        ..ReadLimits::default()
    };
    let store = SqliteStore::open_limited(dir.path(), SqliteTuning::readers(2), limits)
        .await
        .unwrap();
    let tenant = TenantId(uuid::Uuid::from_u128(5));
    let now = Timestamp::parse("2026-11-22T10:15:30Z").unwrap();
    let p = Profile::new(tenant, ProfileId::new_random(), "Kept".into(), now);
    as_dyn(&store).insert(tenant, &p).await.unwrap();
    assert_eq!(
        store.lists.free_turns(),
        1,
        "two readers: one list at a time"
    );
    let held = store.lists.turn().await.unwrap();
    assert_eq!(store.lists.free_turns(), 0);
    let got = as_dyn(&store).get(tenant, p.id).await.unwrap();
    assert_eq!(got.map(|g| g.display_name), Some("Kept".to_owned()));
    let all = ListQuery::new(100);
    let refused = as_dyn(&store).list::<Profile>(tenant, &all).await;
    assert!(matches!(refused, Err(StoreError::Busy)), "{refused:?}");
    // Dropped unfinished, as when a client goes away: the reader is closed and the turn ends
    // once its statement is over (here at once).
    drop(held);
    for _ in 0..400 {
        if store.lists.free_turns() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(store.lists.free_turns(), 1);
    let listed = as_dyn(&store).list::<Profile>(tenant, &all).await.unwrap();
    assert_eq!(listed.len(), 1);
    store.close().await;
}

/// A list past its deadline is stopped and reported as out of time; the reader it ran on then
/// serves reads by id and further lists (the deadline belongs to the statement).
#[tokio::test]
async fn a_list_past_its_deadline_is_stopped_and_the_reader_serves_on() {
    use crate::model::Timestamp;
    let dir = tempfile::tempdir().unwrap();
    let limit = Duration::from_millis(1);
    let limits = ReadLimits::default().with_statement_timeout(limit);
    let store = SqliteStore::open_limited(dir.path(), SqliteTuning::readers(1), limits)
        .await
        .unwrap();
    let tenant = TenantId(uuid::Uuid::from_u128(6));
    let now = Timestamp::parse("2026-11-22T10:15:30Z").unwrap();
    let rows: Vec<Profile> = (0..20_000)
        .map(|i| Profile::new(tenant, ProfileId::new_random(), format!("Row {i}"), now))
        .collect();
    store.insert_many(tenant, &rows).await.unwrap();
    let heavy = (0..100)
        .map(|i| format!("contains(displayName,'zq{i:02}')"))
        .collect::<Vec<_>>()
        .join(" or ");
    let layout = Profile::set().layout();
    let filter = odata::parse_filter(&heavy, &layout.schema, &odata::Limits::DEFAULT).unwrap();
    let criteria = Criteria {
        filter: Some(filter),
        search: None,
    };
    let cut = as_dyn(&store).count::<Profile>(tenant, &criteria).await;
    assert!(
        matches!(cut, Err(StoreError::TimedOut(l)) if l == limit),
        "{cut:?}"
    );
    let got = as_dyn(&store).get(tenant, rows[7].id).await.unwrap();
    assert_eq!(got.map(|g| g.display_name), Some("Row 7".to_owned()));
    let page = as_dyn(&store)
        .list::<Profile>(tenant, &ListQuery::new(3))
        .await
        .unwrap();
    assert_eq!(page.len(), 3);
    store.close().await;
}
