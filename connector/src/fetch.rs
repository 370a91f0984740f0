//! Fetching what arrived: every inbox document not yet acknowledged (`new`, or `downloaded`
//! by someone who did not import it) is downloaded under a temporary name, checked against its
//! SHA-256 and size, renamed to its final name, handed to the import command if there is one,
//! and acknowledged only then. The journal (`.tradepost-fetch.json` in the target folder) holds
//! the name chosen for each document until it is acknowledged, so a crash at any point leaves
//! neither a half file under a final name nor a second copy after the restart.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::client::{Api, Document};
use crate::error::{retrying, Error, Result};
use crate::state;

/// The journal's name in the target folder.
pub const JOURNAL: &str = ".tradepost-fetch.json";

/// How to fetch.
pub struct Fetcher<'a> {
    pub api: &'a Api,
    pub into: PathBuf,
    /// The import command; `{path}` is replaced by the file's path (quoted).
    pub then: Option<String>,
    /// Filters of the inbox listing (`partner`, `type`).
    pub filter: Vec<(String, String)>,
    /// Downloads at once.
    pub parallel: usize,
}

/// One fetched document.
#[derive(Debug, Serialize)]
pub struct Fetched {
    pub document_id: String,
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
    pub partner: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// A document that could not be fetched this time (it stays unacknowledged and comes again).
#[derive(Debug, Serialize)]
pub struct Missed {
    pub document_id: String,
    pub filename: String,
    pub error: String,
    #[serde(skip)]
    pub exit_code: u8,
}

/// What a fetch did.
#[derive(Debug, Default, Serialize)]
pub struct Outcome {
    pub fetched: Vec<Fetched>,
    pub failed: Vec<Missed>,
}

/// The journal: the final name each document got, until it is acknowledged.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Journal {
    documents: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    name: String,
    sha256: String,
    /// The import command succeeded (only the acknowledgement is left).
    imported: bool,
}

impl Fetcher<'_> {
    /// Fetches everything new.
    ///
    /// # Errors
    /// The folder cannot be used, or the inbox cannot be listed (a wrong key, the network).
    /// A single document's failure is reported in [`Outcome::failed`] instead.
    pub fn run(&self) -> Result<Outcome> {
        fs::create_dir_all(&self.into).map_err(|e| Error::io(self.into.display(), &e))?;
        remove_partials(&self.into);
        let journal_path = self.into.join(JOURNAL);
        let journal = Mutex::new(state::load::<Journal>(&journal_path)?);
        let filter: Vec<(&str, &str)> = self
            .filter
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut todo = retrying(|| self.api.inbox("new", &filter))?;
        todo.extend(retrying(|| self.api.inbox("downloaded", &filter))?);
        // Oldest first: the order they were sent in.
        todo.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));

        let results = crate::work::in_parallel(todo, self.parallel, |doc| {
            let result = self.one(&doc, &journal, &journal_path);
            (doc, result)
        });
        let mut outcome = Outcome::default();
        for (doc, result) in results {
            match result {
                Ok(f) => outcome.fetched.push(f),
                Err(e) => outcome.failed.push(Missed {
                    document_id: doc.id,
                    filename: doc.filename,
                    error: e.to_string(),
                    exit_code: e.exit_code(),
                }),
            }
        }
        outcome
            .fetched
            .sort_by(|a, b| a.document_id.cmp(&b.document_id));
        Ok(outcome)
    }

    fn one(
        &self,
        doc: &Document,
        journal: &Mutex<Journal>,
        journal_path: &Path,
    ) -> Result<Fetched> {
        let known = lock(journal)?.documents.get(&doc.id).cloned();
        let entry = match known {
            Some(e) if self.into.join(&e.name).is_file() && e.sha256 == doc.sha256 => e,
            known => {
                let tmp = self.into.join(format!(".tradepost-{}.part", doc.id));
                retrying(|| download(self.api, doc, &tmp))?;
                let entry = {
                    let mut j = lock(journal)?;
                    let name = match known {
                        Some(e) => e.name,
                        None => free_name(&self.into, &doc.filename, &doc.id, &j),
                    };
                    let entry = Entry {
                        name,
                        sha256: doc.sha256.clone(),
                        imported: false,
                    };
                    // The name is written down before the file takes it: after a crash in
                    // between, the restart finds the name and does not pick a second one.
                    j.documents.insert(doc.id.clone(), entry.clone());
                    state::save(journal_path, &*j)?;
                    entry
                };
                fs::rename(&tmp, self.into.join(&entry.name))
                    .map_err(|e| Error::io(self.into.join(&entry.name).display(), &e))?;
                entry
            }
        };
        let path = self.into.join(&entry.name);
        if !entry.imported {
            if let Some(command) = &self.then {
                import(command, &path)?;
                let mut j = lock(journal)?;
                if let Some(e) = j.documents.get_mut(&doc.id) {
                    e.imported = true;
                }
                state::save(journal_path, &*j)?;
            }
        }
        retrying(|| self.api.ack(&doc.id))?;
        {
            let mut j = lock(journal)?;
            j.documents.remove(&doc.id);
            state::save(journal_path, &*j)?;
        }
        Ok(Fetched {
            document_id: doc.id.clone(),
            path,
            size: doc.size,
            sha256: doc.sha256.clone(),
            partner: doc.partner.handle.clone(),
            kind: doc.kind.clone(),
        })
    }
}

fn lock(journal: &Mutex<Journal>) -> Result<std::sync::MutexGuard<'_, Journal>> {
    journal
        .lock()
        .map_err(|_| Error::Io("the fetch journal is unusable after a failure".into()))
}

/// Downloads `doc` to `tmp`, checking size and SHA-256; a file that does not match is removed.
fn download(api: &Api, doc: &Document, tmp: &Path) -> Result<()> {
    let mut response = api.download(&doc.id)?;
    let mut file = File::create(tmp).map_err(|e| Error::io(tmp.display(), &e))?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0u8; 256 << 10];
    let result = loop {
        match response.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => {
                let chunk = buf.get(..n).unwrap_or_default();
                hasher.update(chunk);
                size += n as u64;
                if let Err(e) = file.write_all(chunk) {
                    break Err(Error::io(tmp.display(), &e));
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                break Err(Error::Unavailable(format!(
                    "download of {} cut off: {e}",
                    doc.id
                )))
            }
        }
    };
    let result = result.and_then(|()| file.sync_all().map_err(|e| Error::io(tmp.display(), &e)));
    drop(file);
    let sha = format!("{:x}", hasher.finalize());
    let result = result.and_then(|()| {
        if size == doc.size && sha == doc.sha256 {
            Ok(())
        } else {
            Err(Error::Integrity(format!(
                "{} ({}): got {size} bytes with SHA-256 {sha}, the document has {} bytes with {}",
                doc.id, doc.filename, doc.size, doc.sha256
            )))
        }
    });
    if result.is_err() {
        let _ = fs::remove_file(tmp);
    }
    result
}

/// The final name for a document: its filename made safe, or, when another file has it, the
/// name with the document's id before the extension.
fn free_name(dir: &Path, filename: &str, id: &str, journal: &Journal) -> String {
    let safe = safe_filename(filename);
    let taken = |n: &str| dir.join(n).exists() || journal.documents.values().any(|e| e.name == n);
    if !taken(&safe) {
        return safe;
    }
    let (stem, ext) = match safe.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_owned(), format!(".{e}")),
        _ => (safe.clone(), String::new()),
    };
    format!("{stem} ({id}){ext}")
}

/// A filename without path separators, control characters, the characters Windows forbids, a
/// leading dot (hidden, and our temporary names) or a Windows device name.
#[must_use]
pub fn safe_filename(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_control() || "/\\:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    out = out
        .trim()
        .trim_start_matches('.')
        .trim_end_matches(['.', ' '])
        .to_owned();
    let stem = out
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let reserved = ["CON", "PRN", "AUX", "NUL"].contains(&stem.as_str())
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.ends_with(|c: char| c.is_ascii_digit()));
    if out.is_empty() || reserved {
        out = format!("document_{out}");
    }
    out
}

/// Removes the temporary files an interrupted fetch left.
fn remove_partials(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".tradepost-") && name.ends_with(".part") {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Runs the import command with `{path}` replaced by the quoted path.
fn import(command: &str, path: &Path) -> Result<()> {
    let quoted = quote(&path.to_string_lossy());
    let line = if command.contains("{path}") {
        command.replace("{path}", &quoted)
    } else {
        format!("{command} {quoted}")
    };
    let mut shell = if cfg!(windows) {
        let mut c = Command::new("cmd");
        c.arg("/C").arg(&line);
        c
    } else {
        let mut c = Command::new("sh");
        c.arg("-c").arg(&line);
        c
    };
    let output = shell
        .env("TRADEPOST_FILE", path)
        .output()
        .map_err(|e| Error::Import(format!("`{line}` could not start: {e}")))?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: String = stderr
        .trim()
        .chars()
        .rev()
        .take(500)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    Err(Error::Import(format!(
        "`{line}` exited with {}{}",
        output
            .status
            .code()
            .map_or_else(|| "a signal".to_owned(), |c| c.to_string()),
        if tail.is_empty() {
            String::new()
        } else {
            format!(": {tail}")
        }
    )))
}

/// A path quoted for the shell the import command runs in.
fn quote(path: &str) -> String {
    if cfg!(windows) {
        format!("\"{path}\"")
    } else {
        format!("'{}'", path.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_from_partners_cannot_leave_the_folder_or_hide() {
        assert_eq!(safe_filename("PO-4711.xml"), "PO-4711.xml");
        assert_eq!(safe_filename("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(safe_filename("..\\boot.ini"), "_boot.ini");
        assert_eq!(safe_filename(".hidden"), "hidden");
        assert_eq!(safe_filename("a:b*c?.xml"), "a_b_c_.xml");
        assert_eq!(safe_filename("CON.xml"), "document_CON.xml");
        assert_eq!(safe_filename("com1"), "document_com1");
        assert_eq!(safe_filename(""), "document_");
        assert_eq!(
            safe_filename("Bestellung Müller.xml"),
            "Bestellung Müller.xml"
        );
    }

    #[test]
    fn a_taken_name_gets_the_document_id() {
        let dir = std::env::temp_dir().join(format!("tp-free-{}", std::process::id()));
        let _ = fs::create_dir_all(&dir);
        let _ = fs::write(dir.join("PO.xml"), b"x");
        let journal = Journal::default();
        assert_eq!(
            free_name(&dir, "PO.xml", "doc_1", &journal),
            "PO (doc_1).xml"
        );
        assert_eq!(free_name(&dir, "other.xml", "doc_1", &journal), "other.xml");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn paths_are_quoted_for_the_shell() {
        if !cfg!(windows) {
            assert_eq!(quote("/in/it's.xml"), r"'/in/it'\''s.xml'");
        }
    }
}
