//! Consistent copies of a live SQLite database, for `provisio backup` and `provisio restore`.
//!
//! The copy is SQLite's `VACUUM INTO`: it reads the database in one read transaction, so it is a
//! snapshot of one moment that includes every commit before it, and in WAL mode it runs beside
//! the service's writer and readers without stopping either (SQLite documents it as an
//! alternative to the backup API for live databases; the backup API itself is not reachable
//! through sqlx without unsafe code). The copy is compacted and holds no write-ahead log.

use std::path::Path;
use std::str::FromStr as _;
use std::time::Duration;

use anyhow::{bail, Context as _};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions as _, Connection as _, Row as _};

/// Writes a consistent copy of the database at `source` to `target` (which must not exist or be
/// an empty file, whose mode the copy keeps), without stopping whoever else uses `source`, and
/// checks the copy's integrity.
pub async fn copy_live(source: &Path, target: &Path) -> anyhow::Result<()> {
    let Some(target_text) = target.to_str() else {
        bail!("{} is not a UTF-8 path", target.display());
    };
    let mut conn = SqliteConnectOptions::from_str("sqlite:")?
        .filename(source)
        .read_only(true)
        .busy_timeout(Duration::from_secs(30))
        .connect()
        .await
        .with_context(|| format!("opening {}", source.display()))?;
    sqlx::query("VACUUM INTO ?")
        .bind(target_text)
        .execute(&mut conn)
        .await
        .with_context(|| format!("copying {} to {}", source.display(), target.display()))?;
    conn.close().await?;
    check_integrity(target).await
}

/// Fails unless SQLite's `integrity_check` finds the database at `path` sound.
pub async fn check_integrity(path: &Path) -> anyhow::Result<()> {
    let mut conn = SqliteConnectOptions::from_str("sqlite:")?
        .filename(path)
        .read_only(true)
        .connect()
        .await
        .with_context(|| format!("opening {}", path.display()))?;
    let found: Vec<String> = sqlx::query("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>(0))
        .collect::<Result<_, _>>()?;
    conn.close().await?;
    if found != ["ok"] {
        bail!(
            "{} is damaged: {}",
            path.display(),
            found.join("; ").chars().take(500).collect::<String>()
        );
    }
    Ok(())
}
