use super::*;
use std::borrow::Cow;
use std::sync::atomic::{AtomicU32, Ordering};

/// A database error with a chosen SQLSTATE, as a driver would report it.
#[derive(Debug)]
struct Sqlstate(&'static str);

impl std::fmt::Display for Sqlstate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sqlstate {}", self.0)
    }
}
impl std::error::Error for Sqlstate {}
impl sqlx::error::DatabaseError for Sqlstate {
    fn message(&self) -> &str {
        "simulated"
    }
    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self.0))
    }
    fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
        self
    }
    fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
        self
    }
    fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
        self
    }
    fn kind(&self) -> sqlx::error::ErrorKind {
        sqlx::error::ErrorKind::Other
    }
}

#[tokio::test]
async fn serialization_failures_are_retried_then_reported_busy() {
    let calls = AtomicU32::new(0);
    let ok = retrying(|| async {
        if calls.fetch_add(1, Ordering::SeqCst) < 3 {
            Err(sqlx::Error::Database(Box::new(Sqlstate("40001"))))
        } else {
            Ok(7)
        }
    })
    .await;
    assert_eq!(ok.unwrap(), 7);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        4,
        "three retries, then success"
    );

    let calls = AtomicU32::new(0);
    let busy: Result<(), _> = retrying(|| async {
        calls.fetch_add(1, Ordering::SeqCst);
        Err(sqlx::Error::Database(Box::new(Sqlstate("40P01"))))
    })
    .await;
    assert!(matches!(busy, Err(StoreError::Busy)));
    assert_eq!(calls.load(Ordering::SeqCst), SERIALIZATION_ATTEMPTS);

    let calls = AtomicU32::new(0);
    let other: Result<(), _> = retrying(|| async {
        calls.fetch_add(1, Ordering::SeqCst);
        Err(sqlx::Error::Database(Box::new(Sqlstate("23505"))))
    })
    .await;
    assert!(other.is_err());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "other errors are not retried"
    );
}

/// A value the query compiler should never write is reported as the service's own error
/// before anything reaches the database, and is not retried.
#[tokio::test]
async fn a_value_that_cannot_be_bound_is_the_services_error() {
    // A pool that never connects: binding fails before a connection is asked for.
    let store = unconnected(Duration::from_secs(1));
    let compiled = Compiled {
        sql: "SELECT $1".into(),
        values: sea_query::Values(vec![sea_query::Value::Double(Some(1.5))]),
    };
    let err = store.run_compiled(compiled).await.unwrap_err();
    let text = format!("{err:#}");
    let StoreError::Other(cause) = err else {
        panic!("not an internal error: {text}");
    };
    assert!(text.contains("unexpected value"), "{text}");
    assert!(
        cause.downcast_ref::<sqlx::Error>().is_none(),
        "reported as the driver's error: {text}"
    );
}

/// A store over a pool that never connects, with the time limit `limit`.
fn unconnected(limit: Duration) -> PostgresStore {
    let keys = crate::crypto::Keys(vec![crate::crypto::Key::generate(1)]);
    PostgresStore {
        pool: PgPool::connect_lazy("postgres://nobody@127.0.0.1:1/none").unwrap(),
        lists: Admission::new(1, Duration::from_secs(1)),
        statement_timeout: limit,
        keys: Arc::new(Keyring::new(keys, None).unwrap()),
    }
}

/// A statement PostgreSQL cancelled for its time (57014) is reported with the store's limit,
/// whichever of the store's statements it was.
#[tokio::test]
async fn a_cancelled_statement_names_the_time_limit() {
    let store = unconnected(Duration::from_millis(250));
    let err = store
        .retrying(|| async { Err::<(), _>(sqlx::Error::Database(Box::new(Sqlstate("57014")))) })
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::TimedOut(d) if d == Duration::from_millis(250)),
        "{err:?}"
    );
    assert_eq!(err.to_string(), "the statement ran longer than 250 ms");
}
