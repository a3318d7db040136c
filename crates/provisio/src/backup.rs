//! `provisio backup --to DIR` and `provisio restore --from DIR`: a consistent copy of a running
//! SQLite service's database and of the secrets it keeps beside it, and the way back.
//!
//! A backup directory holds the database (a snapshot of one moment, taken while the service
//! runs: `store::sqlite::backup`), the secret files (the sealing key file, and the development
//! signing key when there is one), and `backup.json`, written last, which lists every file with
//! its size and SHA-256. A directory without `backup.json` is an unfinished backup, and restore
//! refuses it, as it refuses a file that does not match its checksum. PostgreSQL databases are
//! backed up with PostgreSQL's own tools (docs/DEPLOYMENT.md).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::auth::dev;
use crate::config::Settings;
use crate::crypto::{key_path, keyfile};
use crate::model::Timestamp;
use crate::private;
use crate::store::sqlite::{backup as sqlite_backup, SqliteStore, DB_FILE};

/// The file that lists what a backup holds.
pub const MANIFEST: &str = "backup.json";

/// The version of the backup layout this build writes and reads.
const FORMAT: u32 = 1;

/// What `backup.json` says.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Manifest {
    format: u32,
    created_date_time: String,
    provisio_version: String,
    files: Vec<FileEntry>,
}

/// One file of a backup.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FileEntry {
    name: String,
    bytes: u64,
    sha256: String,
}

/// The secret files the service keeps for a data directory, besides the database: the name each
/// has in a backup, and where the service keeps it. The sealing key file may live outside the
/// data directory (`sealing.key_file`), and is no file at all when the keys come from
/// `sealing.keys`.
fn secret_files(settings: &Settings) -> Vec<(&'static str, PathBuf)> {
    let mut files = vec![(dev::KEY_FILE, settings.data_dir().join(dev::KEY_FILE))];
    if let Some(path) = key_path(settings) {
        files.push((keyfile::KEY_FILE, path));
    }
    files
}

fn sqlite_only(settings: &Settings, what: &str) -> anyhow::Result<()> {
    if settings.database.url.is_some() {
        bail!(
            "provisio {what} works on the embedded SQLite database; a PostgreSQL database is backed up and restored with pg_dump and pg_restore (docs/DEPLOYMENT.md, Backups)"
        );
    }
    Ok(())
}

/// Copies the database of the data directory in `settings` (while the service may be running)
/// and its secret files into `to`, which must be empty or not exist yet. Returns what it wrote,
/// one line per file.
pub async fn backup(settings: &Settings, to: &Path) -> anyhow::Result<Vec<String>> {
    sqlite_only(settings, "backup")?;
    let source = settings.data_dir().join(DB_FILE);
    if !source.exists() {
        bail!(
            "there is no database at {} (is --data-dir right?)",
            source.display()
        );
    }
    private::secure_data_dir(to)?;
    if std::fs::read_dir(to)?.next().is_some() {
        bail!(
            "{} is not empty; back up into a new directory",
            to.display()
        );
    }
    let partial = to.join(format!("{DB_FILE}.partial"));
    // Created 0600 and empty first, so that SQLite writes the copy into a private file.
    private::touch_private(&partial)?;
    sqlite_backup::copy_live(&source, &partial).await?;
    std::fs::rename(&partial, to.join(DB_FILE))?;
    let mut names = vec![DB_FILE];
    for (name, path) in secret_files(settings) {
        if path.exists() {
            copy_private(&path, &to.join(name))?;
            names.push(name);
        }
    }
    let files = names
        .iter()
        .map(|name| describe(&to.join(name), name))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let lines = files
        .iter()
        .map(|f| format!("{} ({} bytes)", f.name, f.bytes))
        .collect();
    let manifest = Manifest {
        format: FORMAT,
        created_date_time: Timestamp::now().to_string(),
        provisio_version: env!("CARGO_PKG_VERSION").to_owned(),
        files,
    };
    write_private(&to.join(MANIFEST), &serde_json::to_vec_pretty(&manifest)?)?;
    sync_dir(to)?;
    Ok(lines)
}

/// Puts the backup in `from` into the data directory of `settings`. A data directory that
/// already holds a database or a secret file is refused unless `replace`, which moves them aside
/// (renamed with a `.before-restore-<time>` suffix; nothing is deleted). The service must be
/// stopped.
pub async fn restore(
    settings: &Settings,
    from: &Path,
    replace: bool,
) -> anyhow::Result<Vec<String>> {
    sqlite_only(settings, "restore")?;
    let manifest_path = from.join(MANIFEST);
    let text = std::fs::read(&manifest_path).with_context(|| {
        format!(
            "reading {} (a directory without it is not a finished backup)",
            manifest_path.display()
        )
    })?;
    let manifest: Manifest = serde_json::from_slice(&text).with_context(|| {
        format!(
            "{} is not a provisio backup manifest",
            manifest_path.display()
        )
    })?;
    if manifest.format != FORMAT {
        bail!(
            "the backup has layout {} and this provisio reads layout {FORMAT}",
            manifest.format
        );
    }
    let known: Vec<(&str, PathBuf)> = std::iter::once((DB_FILE, settings.data_dir().join(DB_FILE)))
        .chain(secret_files(settings))
        .collect();
    if !manifest.files.iter().any(|f| f.name == DB_FILE) {
        bail!("the backup holds no database");
    }
    let mut plan = Vec::new();
    for entry in &manifest.files {
        let Some((_, dest)) = known.iter().find(|(name, _)| *name == entry.name) else {
            bail!(
                "the backup holds {}, which this provisio does not know",
                entry.name
            );
        };
        let found = describe(&from.join(&entry.name), &entry.name)?;
        if found.bytes != entry.bytes || found.sha256 != entry.sha256 {
            bail!(
                "{} does not match the backup's manifest: the backup is damaged",
                entry.name
            );
        }
        plan.push((from.join(&entry.name), dest.clone()));
    }
    sqlite_backup::check_integrity(&from.join(DB_FILE)).await?;

    private::secure_data_dir(settings.data_dir())?;
    let db = settings.data_dir().join(DB_FILE);
    let log = |ext: &str| PathBuf::from(format!("{}{ext}", db.display()));
    let occupied: Vec<PathBuf> = known
        .iter()
        .map(|(_, p)| p.clone())
        .chain([log("-wal"), log("-shm")])
        .filter(|p| p.exists())
        .collect();
    let mut lines = Vec::new();
    if !occupied.is_empty() {
        if !replace {
            bail!(
                "{} already holds {}; stop the service and pass --replace to move them aside",
                settings.data_dir().display(),
                occupied
                    .iter()
                    .filter_map(|p| p.file_name())
                    .map(|n| n.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let suffix = format!(
            ".before-restore-{}",
            Timestamp::now().to_string().replace(':', "-")
        );
        for path in occupied {
            let moved = PathBuf::from(format!("{}{suffix}", path.display()));
            std::fs::rename(&path, &moved)?;
            lines.push(format!("moved {} to {}", path.display(), moved.display()));
        }
    }
    for (source, dest) in &plan {
        let partial = PathBuf::from(format!("{}.partial", dest.display()));
        let _ = std::fs::remove_file(&partial);
        copy_private(source, &partial)?;
        std::fs::rename(&partial, dest)?;
        lines.push(format!("restored {}", dest.display()));
    }
    sync_dir(settings.data_dir())?;
    // Opening brings the schema of an older backup up to date.
    let store = SqliteStore::open_tuned(settings.data_dir(), settings.sqlite_tuning()).await?;
    crate::store::Store::close(&store).await;
    Ok(lines)
}

/// The size and SHA-256 of the file at `path`, read in pieces (a database may be larger than
/// the memory at hand).
fn describe(path: &Path, name: &str) -> anyhow::Result<FileEntry> {
    let mut file =
        std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut hash = Sha256::new();
    let bytes = std::io::copy(&mut file, &mut hash)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(FileEntry {
        name: name.to_owned(),
        bytes,
        sha256: format!("{:x}", hash.finalize()),
    })
}

/// Copies `from` into a new file `to` of mode 0600, in pieces, and flushes it to disk.
fn copy_private(from: &Path, to: &Path) -> anyhow::Result<()> {
    let mut source =
        std::fs::File::open(from).with_context(|| format!("reading {}", from.display()))?;
    let mut file =
        private::create_private(to).with_context(|| format!("creating {}", to.display()))?;
    std::io::copy(&mut source, &mut file)
        .and_then(|_| file.sync_all())
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let mut file =
        private::create_private(path).with_context(|| format!("creating {}", path.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}

/// Makes the directory's entries (the renames) durable.
fn sync_dir(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(path)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {}", path.display()))?;
    Ok(())
}
