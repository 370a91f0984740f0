//! `tradepost`: the ERP connector. Sends files into partners' mailboxes, fetches what arrived
//! (verified, atomic, acknowledged after the import), reports status, and keeps hot folders in
//! step with the mailbox (`sync`). docs/connector.md is the integrator's guide.

mod client;
mod config;
mod error;
mod fetch;
mod output;
mod portal;
mod report;
mod send;
mod state;
mod sync;
mod work;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use serde_json::json;

use crate::client::{Api, Outgoing};
use crate::error::{Error, Result};
use crate::output::Out;

/// The Tradepost ERP connector.
#[derive(Parser)]
#[command(name = "tradepost", version, about, long_about = None)]
struct Cli {
    /// The API's base URL, e.g. https://tradepost.example.
    #[arg(long, env = "TRADEPOST_URL", global = true)]
    url: Option<String>,
    /// The company's API key (tp_…); never printed.
    #[arg(long, env = "TRADEPOST_API_KEY", hide_env_values = true, global = true)]
    api_key: Option<String>,
    /// The config file (default: ./tradepost.toml, then ~/.config/tradepost/config.toml).
    #[arg(long, env = "TRADEPOST_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// One JSON object per line on standard output, for scripts.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show whom the API key acts for.
    Whoami,
    /// Send a file into a partner's mailbox.
    Send {
        file: PathBuf,
        /// The partner: its handle or company id (co_…).
        #[arg(long)]
        to: String,
        /// order, order_response, quote, invoice, delivery_note, rfq, complaint, other.
        #[arg(long = "type", default_value = "order")]
        kind: String,
        /// Your own reference, e.g. the order number.
        #[arg(long)]
        reference: Option<String>,
        /// The document this one answers (doc_…).
        #[arg(long)]
        in_reply_to: Option<String>,
        #[command(flatten)]
        upload: UploadArgs,
    },
    /// Answer a received document (an order response, say): sent to its sender, as a reply.
    Reply {
        /// The document answered (doc_…).
        document: String,
        file: PathBuf,
        #[arg(long = "type", default_value = "order_response")]
        kind: String,
        #[arg(long)]
        reference: Option<String>,
        #[command(flatten)]
        upload: UploadArgs,
    },
    /// Download what arrived, check it, and acknowledge it as imported.
    Fetch {
        /// The folder the files land in.
        #[arg(long)]
        into: PathBuf,
        /// Import command run for each file before it is acknowledged; {path} is its path.
        #[arg(long)]
        then: Option<String>,
        /// Only from this partner (co_…).
        #[arg(long)]
        partner: Option<String>,
        /// Only documents of this type.
        #[arg(long = "type")]
        kind: Option<String>,
        /// Downloads at once.
        #[arg(long, default_value_t = 4)]
        parallel: usize,
    },
    /// Report a received document's status to its sender.
    Status {
        /// The document (doc_…), or its reference (the order number).
        document: String,
        /// accepted, rejected, in_progress, shipped, delivered, completed.
        status: String,
        #[arg(long)]
        note: Option<String>,
        /// Why (needed for rejected).
        #[arg(long)]
        reason: Option<String>,
        #[arg(long)]
        carrier: Option<String>,
        #[arg(long = "tracking")]
        tracking_number: Option<String>,
    },
    /// Keep hot folders in step with the mailbox (outbox/, sent/, failed/, inbox/, status/).
    Sync(SyncArgs),
}

#[derive(clap::Args)]
struct UploadArgs {
    /// The name the partner sees (default: the file's name).
    #[arg(long)]
    filename: Option<String>,
    /// The content type (default: from the file's extension).
    #[arg(long)]
    content_type: Option<String>,
    /// Your own idempotency key (default: derived from the file and where it goes).
    #[arg(long)]
    idempotency_key: Option<String>,
    /// Files larger than this many MiB go up in parts.
    #[arg(long, default_value_t = send::DEFAULT_MULTIPART_THRESHOLD >> 20)]
    multipart_threshold_mib: u64,
    /// The size of a part in MiB (5 to 100).
    #[arg(long, default_value_t = send::DEFAULT_PART_SIZE >> 20)]
    part_size_mib: u64,
}

#[derive(clap::Args)]
struct SyncArgs {
    /// The folder holding outbox/, sent/, failed/, inbox/ and status/.
    #[arg(long)]
    root: Option<PathBuf>,
    /// Run each operation once and exit (for cron or a scheduled task).
    #[arg(long)]
    once: bool,
    /// The connector's name in the portal (default: the host's name).
    #[arg(long)]
    name: Option<String>,
    /// The partner for files put directly into outbox/.
    #[arg(long)]
    to: Option<String>,
    /// The type of files not in a type folder (default order).
    #[arg(long = "type")]
    kind: Option<String>,
    /// How often to send (hh:mm:ss, or 30s, 5m, 1h; default 00:01:00).
    #[arg(long, value_parser = config::parse_interval)]
    send_interval: Option<Duration>,
    /// How often to fetch (default 00:05:00).
    #[arg(long, value_parser = config::parse_interval)]
    fetch_interval: Option<Duration>,
    /// How often to pick up status files (default 00:05:00).
    #[arg(long, value_parser = config::parse_interval)]
    status_interval: Option<Duration>,
    /// Import command for each fetched file; {path} is its path.
    #[arg(long)]
    then: Option<String>,
    /// Listen for our webhooks here (e.g. 127.0.0.1:9911) to fetch as soon as something arrives.
    #[arg(long)]
    listen: Option<String>,
    /// The webhook endpoint's secret (whsec_…), to verify what arrives on --listen.
    #[arg(long, env = "TRADEPOST_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
    /// Files sent and fetched at once.
    #[arg(long)]
    parallel: Option<usize>,
    /// How often to read the portal's settings between runs (default 00:00:30).
    #[arg(long, value_parser = config::parse_interval)]
    poll_interval: Option<Duration>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Out { json: cli.json };
    match run(cli, out) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            out.error(&e);
            ExitCode::from(e.exit_code())
        }
    }
}

fn run(cli: Cli, out: Out) -> Result<u8> {
    let (file, _) = config::load(cli.config.as_deref())?;
    let connection = config::connection(cli.url.as_deref(), cli.api_key.as_deref(), &file)?;
    let api = Api::new(&connection)?;
    let progress = !cli.json && std::io::stderr().is_terminal();
    let state_dir = file
        .state_dir
        .clone()
        .unwrap_or_else(config::default_state_dir);
    match cli.command {
        Command::Whoami => {
            let me = api.me()?;
            let company = &me["company"];
            let human = format!(
                "{} ({}, {}) as {} {}\npermissions: {}\nkey: {}",
                company["name"].as_str().unwrap_or("?"),
                company["handle"].as_str().unwrap_or("?"),
                company["id"].as_str().unwrap_or("?"),
                me["kind"].as_str().unwrap_or("?"),
                me["api_key"]["name"]
                    .as_str()
                    .or(me["user"]["name"].as_str())
                    .unwrap_or(""),
                me["permissions"]
                    .as_array()
                    .map(|p| p
                        .iter()
                        .filter_map(|v| v.as_str())
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default(),
                config::redacted(&connection.api_key),
            );
            out.result(&human, &me);
            Ok(0)
        }
        Command::Send {
            file: path,
            to,
            kind,
            reference,
            in_reply_to,
            upload,
        } => {
            let doc = outgoing(&path, to, kind, reference, in_reply_to, &upload);
            send_one(&api, &path, &doc, &upload, state_dir, progress, out)
        }
        Command::Reply {
            document,
            file: path,
            kind,
            reference,
            upload,
        } => {
            let answered: client::Document = api.get(&format!("/v1/documents/{document}"))?;
            let doc = outgoing(
                &path,
                answered.partner.id,
                kind,
                reference,
                Some(document),
                &upload,
            );
            send_one(&api, &path, &doc, &upload, state_dir, progress, out)
        }
        Command::Fetch {
            into,
            then,
            partner,
            kind,
            parallel,
        } => {
            let mut filter = Vec::new();
            if let Some(p) = partner {
                filter.push(("partner".to_owned(), p));
            }
            if let Some(k) = kind {
                filter.push(("type".to_owned(), k));
            }
            let fetcher = fetch::Fetcher {
                api: &api,
                into,
                then,
                filter,
                parallel,
            };
            let outcome = fetcher.run()?;
            for f in &outcome.fetched {
                out.result(
                    &format!(
                        "{}  {}  from {}  ({} bytes, SHA-256 ok)",
                        f.document_id,
                        f.path.display(),
                        f.partner,
                        f.size
                    ),
                    &json!({"fetched": f}),
                );
            }
            for m in &outcome.failed {
                out.result(
                    &format!(
                        "{}  {}  NOT fetched: {}",
                        m.document_id, m.filename, m.error
                    ),
                    &json!({"failed": m}),
                );
            }
            if !out.json {
                eprintln!(
                    "{} fetched, {} failed",
                    outcome.fetched.len(),
                    outcome.failed.len()
                );
            }
            Ok(outcome.failed.first().map_or(0, |m| m.exit_code))
        }
        Command::Status {
            document,
            status,
            note,
            reason,
            carrier,
            tracking_number,
        } => {
            let (document, reference) = if document.starts_with("doc_") {
                (Some(document), None)
            } else {
                (None, Some(document))
            };
            let r = report::Report {
                document,
                reference,
                status,
                note,
                reason,
                carrier,
                tracking_number,
            };
            let doc = report::send(&api, &r)?;
            out.result(
                &format!("{}  {}  is {}", doc.id, doc.filename, doc.status),
                &doc,
            );
            Ok(0)
        }
        Command::Sync(args) => {
            let s = &file.sync;
            let interval =
                |flag: Option<Duration>, file: &Option<String>, default: u64| -> Result<Duration> {
                    match (flag, file) {
                        (Some(d), _) => Ok(d),
                        (None, Some(t)) => config::parse_interval(t).map_err(Error::Config),
                        (None, None) => Ok(Duration::from_secs(default)),
                    }
                };
            let root = args.root.or_else(|| s.root.clone()).ok_or_else(|| {
                Error::Config("no sync folder: give --root or [sync] root".into())
            })?;
            let settings = sync::Settings {
                name: args
                    .name
                    .or_else(|| s.name.clone())
                    .unwrap_or_else(default_name),
                default_to: args.to.or_else(|| s.default_to.clone()),
                default_type: args
                    .kind
                    .or_else(|| s.default_type.clone())
                    .unwrap_or_else(|| "order".into()),
                intervals: [
                    ("send", interval(args.send_interval, &s.send_interval, 60)?),
                    (
                        "fetch",
                        interval(args.fetch_interval, &s.fetch_interval, 300)?,
                    ),
                    (
                        "status",
                        interval(args.status_interval, &s.status_interval, 300)?,
                    ),
                ],
                then: args.then.or_else(|| s.then.clone()),
                parallel: args.parallel.or(s.parallel).unwrap_or(4),
                listen: args.listen.or_else(|| s.listen.clone()),
                webhook_secret: args.webhook_secret.or_else(|| s.webhook_secret.clone()),
                once: args.once,
                poll: args.poll_interval.unwrap_or(sync::POLL),
                multipart_threshold: send::DEFAULT_MULTIPART_THRESHOLD,
                part_size: send::DEFAULT_PART_SIZE,
                root,
            };
            let clean = sync::run(&api, &settings, &out)?;
            Ok(if clean { 0 } else { PARTIAL })
        }
    }
}

/// The exit code of a `sync --once` in which some files failed or wait for a retry (the rest went
/// through). A `fetch` ends with the exit code of its first failed document instead.
const PARTIAL: u8 = 11;

fn outgoing(
    path: &std::path::Path,
    to: String,
    kind: String,
    reference: Option<String>,
    in_reply_to: Option<String>,
    upload: &UploadArgs,
) -> Outgoing {
    Outgoing {
        to,
        kind,
        filename: upload.filename.clone().unwrap_or_else(|| {
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        }),
        content_type: upload
            .content_type
            .clone()
            .unwrap_or_else(|| send::content_type(path).to_owned()),
        reference,
        in_reply_to,
    }
}

fn send_one(
    api: &Api,
    path: &std::path::Path,
    doc: &Outgoing,
    upload: &UploadArgs,
    state_dir: PathBuf,
    progress: bool,
    out: Out,
) -> Result<u8> {
    let sender = send::Sender {
        api,
        state_dir,
        multipart_threshold: upload.multipart_threshold_mib << 20,
        part_size: upload.part_size_mib << 20,
        progress,
    };
    let sent = sender.send(path, doc, upload.idempotency_key.as_deref())?;
    let d = &sent.document;
    let mut human = format!(
        "{}  {}  to {}  ({} bytes, status {})",
        d.id, d.filename, d.partner.handle, d.size, d.status
    );
    if sent.replayed {
        human.push_str("  [sent before: the same document]");
    }
    if let Some(n) = sent.parts_resumed.filter(|n| *n > 0) {
        human.push_str(&format!("  [resumed: {n} parts were up already]"));
    }
    out.result(&human, &sent);
    Ok(0)
}

fn default_name() -> String {
    portal::host_name().unwrap_or_else(|| "tradepost connector".to_owned())
}
