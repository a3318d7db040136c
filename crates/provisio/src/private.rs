//! The data directory is private to the service's user: the directory mode 0700 and every file in
//! it 0600, whatever the umask. It holds the SQLite database (and its `-wal` and `-shm` files,
//! which SQLite creates with the database file's mode), the sealing key file and the development
//! signing key. A directory or file found more open than that at start-up is tightened, and the
//! log says so, rather than refusing to start.

use std::fs::{File, OpenOptions};
use std::path::Path;

use anyhow::Context as _;

/// Mode of the data directory.
#[cfg(unix)]
const DIR_MODE: u32 = 0o700;
/// Mode of every file in it.
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;

/// Creates `dir` (and its missing parents) mode 0700, or tightens it and every file directly in
/// it to 0700 / 0600 when any of them can be read by others.
pub fn secure_data_dir(dir: &Path) -> anyhow::Result<()> {
    create_dir(dir).with_context(|| format!("creating the data directory {}", dir.display()))?;
    tighten(dir, true)?;
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("reading the data directory {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        if entry.file_type().is_ok_and(|t| t.is_file()) {
            tighten(&entry.path(), false)?;
        }
    }
    Ok(())
}

/// Creates `path` mode 0600 if it does not exist (leaving an existing file as it is), so that
/// a program that opens it later (SQLite) finds it private.
pub fn touch_private(path: &Path) -> anyhow::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(false);
    private_mode(&mut options);
    options
        .open(path)
        .map(drop)
        .with_context(|| format!("creating {}", path.display()))
}

/// Creates a new file mode 0600; fails when it exists.
pub fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    private_mode(&mut options);
    options.open(path)
}

/// Replaces `path` with `bytes` atomically, mode 0600: a new file beside it (`.NAME.tmp`),
/// flushed, then renamed over it, and the directory entry flushed; a crash leaves the old file
/// or the new one, never half of one, and never a copy others can read.
pub fn replace_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.tmp"));
    let _ = std::fs::remove_file(&temp);
    let write = || -> std::io::Result<()> {
        let mut file = create_private(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        sync_parent(path)
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}

/// Creates `dir` (and its missing parents) mode 0700 when it does not exist.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    create_dir(dir)
}

/// Flushes the directory entry of a renamed file (Unix; elsewhere the rename is as durable as
/// the platform makes it).
fn sync_parent(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(parent)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(unix)]
fn private_mode(options: &mut OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt as _;
    options.mode(FILE_MODE);
}

#[cfg(not(unix))]
fn private_mode(_options: &mut OpenOptions) {}

#[cfg(unix)]
fn create_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
}

#[cfg(not(unix))]
fn create_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Sets the mode of `path` to 0700 (a directory) or 0600 (a file) when group or others have any
/// permission on it, and logs that it did.
#[cfg(unix)]
fn tighten(path: &Path, is_dir: bool) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let meta = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    let mode = meta.permissions().mode() & 0o7777;
    let wanted = if is_dir { DIR_MODE } else { FILE_MODE };
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(wanted))
            .with_context(|| format!("restricting the permissions of {}", path.display()))?;
        tracing::warn!(
            path = %path.display(),
            from = format!("{mode:o}"),
            to = format!("{wanted:o}"),
            "the data directory holds secrets; restricted a path other users could reach"
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_path: &Path, _is_dir: bool) -> anyhow::Result<()> {
    Ok(())
}

#[cfg(test)]
#[cfg(unix)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt as _;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_open_directory_and_its_files_are_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = dir.join("provisio.sqlite3");
        std::fs::write(&file, b"x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        secure_data_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&file), 0o600);
    }

    #[test]
    fn new_directories_and_files_are_private() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        secure_data_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let file = dir.join("f");
        touch_private(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        std::fs::write(&file, b"kept").unwrap();
        touch_private(&file).unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"kept");
    }
}
