//! `tradepost sync`: the hot folders of an ERP kept in step with its mailbox.
//!
//! ```text
//! <root>/outbox/<partner>/[<type>/]FILE   dropped by the ERP: sent, then moved to sent/
//! <root>/sent/…, <root>/failed/…           sent files; refused ones with FILE.error.txt beside
//! <root>/inbox/                            what arrived (fetch, atomic, acknowledged after import)
//! <root>/status/*.json                     status reports: moved to status/done/ or status/failed/
//! <root>/.tradepost/state.json             the connector's id and each operation's last run
//! ```
//!
//! Each operation runs on its own interval; the admin can change them in the portal (the
//! connector registers itself and reports every run). A restart resumes: a file still in
//! `outbox/` is sent again with the same idempotency key (so the API answers with the document
//! the first try made), a multipart upload resumes from its remembered id, the inbox's journal
//! keeps every name it handed out.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError, Sender as Tx};
use std::time::{Duration, SystemTime};

use base64::Engine;
use chrono::{DateTime, SecondsFormat, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::client::{Api, Outgoing};
use crate::error::{Error, Result};
use crate::fetch::Fetcher;
use crate::output::Out;
use crate::portal::{self, Connector, Run, OPERATIONS};
use crate::report;
use crate::send::{content_type, Sender};
use crate::state;

/// Files younger than this may still be being written by the ERP; they wait for the next run.
const SETTLE: Duration = Duration::from_secs(2);
/// How often the settings are asked for between runs, by default.
pub const POLL: Duration = Duration::from_secs(30);
/// The name of a file's metadata beside it in `outbox/`: `FILE.tradepost.json`.
const SIDECAR: &str = ".tradepost.json";

/// The sync's settings.
pub struct Settings {
    pub root: PathBuf,
    pub name: String,
    pub default_to: Option<String>,
    pub default_type: String,
    pub intervals: [(&'static str, Duration); 3],
    pub then: Option<String>,
    pub parallel: usize,
    pub listen: Option<String>,
    pub webhook_secret: Option<String>,
    pub once: bool,
    /// How often the settings are read between runs.
    pub poll: Duration,
    pub multipart_threshold: u64,
    pub part_size: u64,
}

/// What the sync remembers across restarts.
#[derive(Debug, Default, Serialize, Deserialize)]
struct SyncState {
    connector_id: Option<String>,
    /// When each operation last started (RFC 3339).
    last_run: BTreeMap<String, String>,
}

/// One operation's schedule as it stands.
#[derive(Debug, Clone)]
struct Schedule {
    enabled: bool,
    every: Duration,
    run_at: Option<SystemTime>,
    /// The one-time run done last: the portal clears it once it has the run's report, and
    /// until then (or when this machine's clock is behind) it must not run again.
    done_run_at: Option<SystemTime>,
}

/// What a run of one operation counted.
#[derive(Debug, Default)]
struct Tally {
    files: u64,
    errors: u64,
    messages: Vec<String>,
}

impl Tally {
    fn fail(&mut self, message: String) {
        self.errors += 1;
        if self.messages.len() < 10 {
            self.messages.push(message);
        }
    }
}

/// Runs the sync until it is stopped (or, with `once`, each enabled operation once). `true`
/// when every run went without an error.
///
/// # Errors
/// The root folder cannot be used or the state file is unreadable.
pub fn run(api: &Api, settings: &Settings, out: &Out) -> Result<bool> {
    for dir in ["outbox", "sent", "failed", "inbox", "status", ".tradepost"] {
        let path = settings.root.join(dir);
        fs::create_dir_all(&path).map_err(|e| Error::io(path.display(), &e))?;
    }
    let state_path = settings.root.join(".tradepost").join("state.json");
    let mut memo: SyncState = state::load(&state_path)?;
    let mut schedules: BTreeMap<&'static str, Schedule> = settings
        .intervals
        .iter()
        .map(|(op, every)| {
            (
                *op,
                Schedule {
                    enabled: true,
                    every: *every,
                    run_at: None,
                    done_run_at: None,
                },
            )
        })
        .collect();

    let connector = match portal::register(api, &settings.name, &settings.intervals) {
        Ok(c) => {
            out.note(&format!(
                "registered as connector {} ({})",
                c.id, settings.name
            ));
            Some(c)
        }
        Err(e) => {
            out.warn(&format!(
                "could not register with the portal, running on the local intervals: {e}"
            ));
            None
        }
    };
    if let Some(c) = &connector {
        apply(&mut schedules, c);
        if memo.connector_id.as_deref() != Some(&c.id) {
            memo.connector_id = Some(c.id.clone());
            state::save(&state_path, &memo)?;
        }
    }
    let connector_id = connector.map(|c| c.id);
    let plan: Vec<String> = schedules
        .iter()
        .map(|(op, s)| match s.enabled {
            true => format!("{op} every {}", crate::config::format_interval(s.every)),
            false => format!("{op} off"),
        })
        .collect();
    out.note(&format!(
        "syncing {}: {}",
        settings.root.display(),
        plan.join(", ")
    ));

    let (wake_tx, wake) = mpsc::channel::<()>();
    if let Some(addr) = &settings.listen {
        let secret = settings.webhook_secret.clone().ok_or_else(|| {
            Error::Config(
                "--listen needs the webhook endpoint's secret (--webhook-secret whsec_…)".into(),
            )
        })?;
        listen(addr, secret, wake_tx, out)?;
    }

    let mut all_ok = true;
    let mut last_poll = SystemTime::now();
    let mut woken = false;
    loop {
        let now = SystemTime::now();
        for op in OPERATIONS {
            let Some(schedule) = schedules.get(op).cloned() else {
                continue;
            };
            let last = memo.last_run.get(op).and_then(|t| parse_time(t));
            let due_by_interval = schedule.enabled
                && last.is_none_or(|l| now.duration_since(l).unwrap_or_default() >= schedule.every);
            let due_by_admin = schedule.run_at.is_some_and(|at| at <= now);
            let due_by_webhook = woken && op == "fetch" && schedule.enabled;
            if !(due_by_interval || due_by_admin || due_by_webhook || settings.once) {
                continue;
            }
            if settings.once && !schedule.enabled {
                continue;
            }
            let started = SystemTime::now();
            let tally = match op {
                "send" => send_outbox(api, settings),
                "fetch" => fetch_inbox(api, settings),
                _ => apply_status_files(api, settings),
            };
            let finished = SystemTime::now();
            all_ok &= tally.errors == 0;
            out.run(op, tally.files, tally.errors, &tally.messages);
            memo.last_run.insert(op.to_owned(), format_time(started));
            state::save(&state_path, &memo)?;
            if let Some(id) = &connector_id {
                let run = Run {
                    operation: op,
                    started_at: format_time(started),
                    finished_at: format_time(finished),
                    files: tally.files,
                    errors: tally.errors,
                    message: (!tally.messages.is_empty()).then(|| tally.messages.join("\n")),
                };
                match portal::report(api, id, &run) {
                    Ok(c) => apply(&mut schedules, &c),
                    Err(e) => out.warn(&format!("could not report the {op} run: {e}")),
                }
            }
            if let Some(s) = schedules.get_mut(op) {
                // The one-time run is done whether or not the report reached the portal.
                if s.run_at.is_some_and(|at| at <= started) {
                    s.done_run_at = s.run_at.take();
                }
            }
        }
        if settings.once {
            return Ok(all_ok);
        }
        woken = false;
        if let Some(id) = &connector_id {
            if last_poll.elapsed().unwrap_or_default() >= settings.poll {
                last_poll = SystemTime::now();
                match portal::poll(api, id) {
                    Ok(c) => apply(&mut schedules, &c),
                    Err(e) => out.warn(&format!("could not read the settings: {e}")),
                }
            }
        }
        match wake.recv_timeout(Duration::from_secs(1)) {
            Ok(()) => {
                woken = true;
                while wake.try_recv().is_ok() {}
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {}
        }
    }
}

fn apply(schedules: &mut BTreeMap<&'static str, Schedule>, connector: &Connector) {
    for op in &connector.operations {
        if let Some(s) = OPERATIONS
            .iter()
            .find(|o| **o == op.operation)
            .and_then(|o| schedules.get_mut(o))
        {
            s.enabled = op.enabled;
            s.every = Duration::from_secs(op.interval_secs.max(1));
            s.run_at = op
                .run_at
                .as_deref()
                .and_then(parse_time)
                .filter(|at| Some(*at) != s.done_run_at);
        }
    }
}

/// A file of `outbox/` and where it goes.
struct Pending {
    path: PathBuf,
    /// The path below `outbox/` (kept below `sent/` and `failed/`).
    relative: PathBuf,
    doc: std::result::Result<Outgoing, String>,
}

/// Sends every settled file of `outbox/`.
fn send_outbox(api: &Api, settings: &Settings) -> Tally {
    let outbox = settings.root.join("outbox");
    let mut files = Vec::new();
    collect(&outbox, &outbox, &mut files);
    let pending: Vec<Pending> = files
        .into_iter()
        .map(|path| {
            let relative = path.strip_prefix(&outbox).unwrap_or(&path).to_path_buf();
            let doc = outgoing(&path, &relative, settings);
            Pending {
                path,
                relative,
                doc,
            }
        })
        .collect();
    let sender = Sender {
        api,
        state_dir: settings.root.join(".tradepost"),
        multipart_threshold: settings.multipart_threshold,
        part_size: settings.part_size,
        progress: false,
    };
    let results = crate::work::in_parallel(pending, settings.parallel, |p| {
        let outcome = match &p.doc {
            Ok(doc) => sender.send(&p.path, doc, None).map(|s| s.document.id),
            Err(reason) => Err(Error::Refused(crate::error::Problem {
                status: 422,
                code: "invalid_field".into(),
                detail: Some(reason.clone()),
                ..Default::default()
            })),
        };
        let shown = p.relative.display().to_string();
        match outcome {
            Ok(id) => match file_away(&settings.root, "sent", &p, None) {
                Ok(()) => Ok(()),
                Err(e) => Err(format!("{shown}: sent as {id}, but {e}")),
            },
            Err(e) if e.is_transient() || matches!(e, Error::Auth(_)) => {
                Err(format!("{shown}: {e} (stays in outbox/ for the next run)"))
            }
            Err(e) => Err(
                match file_away(&settings.root, "failed", &p, Some(&e.to_string())) {
                    Ok(()) => format!("{shown}: {e} (moved to failed/)"),
                    Err(m) => format!("{shown}: {e}; and {m}"),
                },
            ),
        }
    });
    let mut tally = Tally::default();
    for result in results {
        match result {
            Ok(()) => tally.files += 1,
            Err(message) => tally.fail(message),
        }
    }
    tally
}

/// The files of `dir` (recursively) the sync may take: settled, not hidden, not temporary,
/// not a sidecar.
fn collect(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || name.ends_with(".tmp") || name.ends_with(".part") {
            continue;
        }
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            // outbox/<partner>/<type>/ at the deepest.
            if path
                .strip_prefix(root)
                .map_or(0, |r| r.components().count())
                < 2
            {
                collect(root, &path, out);
            }
        } else if meta.is_file() && !name.ends_with(SIDECAR) {
            let settled = meta
                .modified()
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age >= SETTLE);
            if settled {
                out.push(path);
            }
        }
    }
}

/// Metadata of a file beside it (`FILE.tradepost.json`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Sidecar {
    to: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    reference: Option<String>,
    in_reply_to: Option<String>,
    filename: Option<String>,
}

/// Where a file of `outbox/` goes: `<partner>/[<type>/]FILE`, the sidecar, or the defaults.
fn outgoing(
    path: &Path,
    relative: &Path,
    settings: &Settings,
) -> std::result::Result<Outgoing, String> {
    let dirs: Vec<String> = relative
        .parent()
        .map(|p| {
            p.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    let sidecar_path = sidecar_of(path);
    let sidecar: Sidecar = match fs::read_to_string(&sidecar_path) {
        Ok(text) => {
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", sidecar_path.display()))?
        }
        Err(_) => Sidecar::default(),
    };
    let to = sidecar
        .to
        .or_else(|| dirs.first().cloned())
        .or_else(|| settings.default_to.clone())
        .ok_or("no partner: put the file into outbox/<partner handle>/ (or set default_to)")?;
    let kind = sidecar
        .kind
        .or_else(|| dirs.get(1).cloned())
        .unwrap_or_else(|| settings.default_type.clone());
    let filename = sidecar.filename.unwrap_or_else(|| {
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    Ok(Outgoing {
        to,
        kind,
        filename,
        content_type: content_type(path).to_owned(),
        reference: sidecar.reference,
        in_reply_to: sidecar.in_reply_to,
    })
}

fn sidecar_of(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!("{name}{SIDECAR}"))
}

/// Moves a file of `outbox/` (and its sidecar) below `<root>/<to>/`, keeping its path; with
/// `reason`, writes `FILE.error.txt` beside it.
fn file_away(root: &Path, to: &str, p: &Pending, reason: Option<&str>) -> Result<()> {
    let target = move_file(&p.path, root.join(to).join(&p.relative), reason)?;
    let sidecar = sidecar_of(&p.path);
    if sidecar.is_file() {
        let _ = fs::rename(&sidecar, sidecar_of(&target));
    }
    Ok(())
}

/// Moves `from` to `target` (its name prefixed with the time when a file has it already); with
/// `reason`, writes `NAME.error.txt` beside it first. The path it got.
fn move_file(from: &Path, mut target: PathBuf, reason: Option<&str>) -> Result<PathBuf> {
    let name = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    if let Some(dir) = target.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), &e))?;
    }
    if target.exists() {
        let stamp = DateTime::<Utc>::from(SystemTime::now()).format("%Y%m%dT%H%M%S%.3f");
        target = target.with_file_name(format!("{stamp} {}", name(&target)));
    }
    if let Some(reason) = reason {
        let note = target.with_file_name(format!("{}.error.txt", name(&target)));
        state::write_atomic(&note, format!("{reason}\n").as_bytes())?;
    }
    fs::rename(from, &target).map_err(|e| Error::io(target.display(), &e))?;
    Ok(target)
}

fn fetch_inbox(api: &Api, settings: &Settings) -> Tally {
    let fetcher = Fetcher {
        api,
        into: settings.root.join("inbox"),
        then: settings.then.clone(),
        filter: Vec::new(),
        parallel: settings.parallel,
    };
    let mut tally = Tally::default();
    match fetcher.run() {
        Ok(outcome) => {
            tally.files = outcome.fetched.len() as u64;
            for m in outcome.failed {
                tally.fail(format!("{} ({}): {}", m.document_id, m.filename, m.error));
            }
        }
        Err(e) => tally.fail(e.to_string()),
    }
    tally
}

/// Sends the reports of every settled file in `status/`.
fn apply_status_files(api: &Api, settings: &Settings) -> Tally {
    let dir = settings.root.join("status");
    let mut tally = Tally::default();
    let Ok(entries) = fs::read_dir(&dir) else {
        return tally;
    };
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.metadata().is_ok_and(|m| m.is_file()))
        .map(|e| e.path())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            !name.starts_with('.') && !name.ends_with(".tmp") && !name.ends_with(".error.txt")
        })
        .filter(|p| {
            fs::metadata(p)
                .ok()
                .and_then(|m| m.modified().ok())
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age >= SETTLE)
        })
        .collect();
    files.sort();
    for path in files {
        let shown = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                tally.fail(format!("{shown}: {e}"));
                continue;
            }
        };
        let mut problems = Vec::new();
        let mut transient = false;
        match report::parse_file(&text) {
            Ok(reports) => {
                for (i, r) in reports.iter().enumerate() {
                    match report::send(api, r) {
                        Ok(_) => tally.files += 1,
                        Err(e) => {
                            transient |= e.is_transient() || matches!(e, Error::Auth(_));
                            problems.push(format!("report {}: {e}", i + 1));
                        }
                    }
                }
            }
            Err(e) => problems.push(format!("not a status file: {e}")),
        }
        if problems.is_empty() {
            let _ = move_file(&path, dir.join("done").join(&shown), None);
        } else if transient {
            // Sent again next time; a report already recorded is not recorded twice.
            tally.fail(format!(
                "{shown}: {} (stays for the next run)",
                problems.join("; ")
            ));
        } else {
            let reason = problems.join("\n");
            let _ = move_file(&path, dir.join("failed").join(&shown), Some(&reason));
            tally.fail(format!(
                "{shown}: {} (moved to status/failed/)",
                problems.join("; ")
            ));
        }
    }
    tally
}

/// Listens for our webhooks on `addr`: a verified `document.*` event wakes the fetch at once.
fn listen(addr: &str, secret: String, wake: Tx<()>, out: &Out) -> Result<()> {
    let server = tiny_http::Server::http(addr)
        .map_err(|e| Error::Config(format!("--listen {addr}: {e}")))?;
    let key = webhook_key(&secret)?;
    out.note(&format!("listening for webhooks on http://{addr}/"));
    std::thread::spawn(move || {
        for mut request in server.incoming_requests() {
            let header = |name: &str| {
                request
                    .headers()
                    .iter()
                    .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
                    .map(|h| h.value.as_str().to_owned())
            };
            let (id, ts, sig) = (
                header("webhook-id"),
                header("webhook-timestamp"),
                header("webhook-signature"),
            );
            let mut body = Vec::new();
            let read = request.as_reader().take(1 << 20).read_to_end(&mut body);
            let verified = read.is_ok()
                && match (id, ts, sig) {
                    (Some(id), Some(ts), Some(sig)) => {
                        verify(&key, &id, &ts, &body, &sig, SystemTime::now())
                    }
                    _ => false,
                };
            let status = if verified { 204 } else { 401 };
            if verified {
                let event: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                let kind = event
                    .get("type")
                    .and_then(|t| t.as_str())
                    .unwrap_or_default();
                if kind.starts_with("document.") {
                    let _ = wake.send(());
                }
            }
            let _ = request.respond(tiny_http::Response::empty(status));
        }
    });
    Ok(())
}

/// The key of a `whsec_…` secret.
fn webhook_key(secret: &str) -> Result<Vec<u8>> {
    let raw = secret.strip_prefix("whsec_").unwrap_or(secret);
    base64::engine::general_purpose::STANDARD
        .decode(raw)
        .map_err(|_| {
            Error::Config("the webhook secret must be the endpoint's whsec_… secret".into())
        })
}

/// Checks a Standard Webhooks `v1` signature (HMAC-SHA256 over `id.timestamp.body`) and that
/// the timestamp is within five minutes of `now`.
fn verify(key: &[u8], id: &str, ts: &str, body: &[u8], signatures: &str, now: SystemTime) -> bool {
    let Ok(secs) = ts.trim().parse::<i64>() else {
        return false;
    };
    let now_secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    if (now_secs - secs).abs() > 300 {
        return false;
    }
    signatures.split(' ').any(|s| {
        let Some(sig) = s.strip_prefix("v1,") else {
            return false;
        };
        let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(sig) else {
            return false;
        };
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
            return false;
        };
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(ts.trim().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac.verify_slice(&sig).is_ok()
    })
}

fn format_time(t: SystemTime) -> String {
    DateTime::<Utc>::from(t).to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_time(text: &str) -> Option<SystemTime> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(SystemTime::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhook_signatures_are_checked_as_standard_webhooks_define_them() {
        // The example of the Standard Webhooks specification.
        let key = webhook_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap_or_default();
        let body = br#"{"test": 2432232314}"#;
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let ts = "1614265330";
        let sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_614_265_330);
        assert!(verify(&key, id, ts, body, sig, at));
        assert!(verify(&key, id, ts, body, &format!("v1a,xyz {sig}"), at));
        assert!(!verify(&key, id, ts, b"{}", sig, at), "another body");
        assert!(
            !verify(&key, id, ts, body, sig, at + Duration::from_secs(301)),
            "too late"
        );
        assert!(!verify(&key, id, ts, body, "v1,AAAA", at));
    }

    #[test]
    fn outbox_folders_name_the_partner_and_the_type() {
        let settings = Settings {
            root: PathBuf::from("/r"),
            name: "t".into(),
            default_to: None,
            default_type: "order".into(),
            intervals: [
                ("send", Duration::from_secs(1)),
                ("fetch", Duration::from_secs(1)),
                ("status", Duration::from_secs(1)),
            ],
            then: None,
            parallel: 1,
            listen: None,
            webhook_secret: None,
            once: true,
            poll: POLL,
            multipart_threshold: 1,
            part_size: 1,
        };
        let doc = outgoing(
            Path::new("/r/outbox/acme/PO.xml"),
            Path::new("acme/PO.xml"),
            &settings,
        );
        assert!(doc
            .as_ref()
            .is_ok_and(|d| d.to == "acme" && d.kind == "order" && d.filename == "PO.xml"));
        let doc = outgoing(
            Path::new("/r/outbox/acme/invoice/I.xml"),
            Path::new("acme/invoice/I.xml"),
            &settings,
        );
        assert!(doc.is_ok_and(|d| d.kind == "invoice" && d.content_type == "application/xml"));
        let doc = outgoing(
            Path::new("/r/outbox/PO.xml"),
            Path::new("PO.xml"),
            &settings,
        );
        assert!(doc.is_err_and(|e| e.contains("outbox/<partner handle>/")));
    }
}
