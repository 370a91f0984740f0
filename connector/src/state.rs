//! Files written so that a crash leaves either the old or the new version, never half of one:
//! written under a temporary name in the same folder, flushed to disk, then renamed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically.
///
/// # Errors
/// The folder or the file cannot be written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = temporary(path);
    let mut file = fs::File::create(&tmp).map_err(|e| Error::io(tmp.display(), &e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(tmp.display(), &e))?;
    drop(file);
    fs::rename(&tmp, path).map_err(|e| Error::io(path.display(), &e))
}

/// The temporary name `path` is written under: hidden, beside it.
#[must_use]
pub fn temporary(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp"))
}

/// Reads a JSON state file; a missing file is the default state.
///
/// # Errors
/// A file that exists but cannot be read or is not this state.
pub fn load<T: DeserializeOwned + Default>(path: &Path) -> Result<T> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            Error::Io(format!(
                "{}: not a state file of this program ({e}); move it away to start afresh",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(T::default()),
        Err(e) => Err(Error::io(path.display(), &e)),
    }
}

/// Writes a JSON state file atomically.
///
/// # Errors
/// As [`write_atomic`].
pub fn save<T: Serialize>(path: &Path, state: &T) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), &e))?;
    }
    let bytes = serde_json::to_vec_pretty(state)
        .map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
    write_atomic(path, &bytes)
}
