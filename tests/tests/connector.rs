//! The ERP connector (`tradepost`, connector/) run as integrators run it, against the stack:
//! sending, fetching with an import command, status reports and replies by hand; a thousand
//! files through hot folders; the connector killed in the middle of a send and of a fetch; a
//! gigabyte sent in parts, interrupted and resumed. The binary comes from `TRADEPOST_BIN`, or
//! the workspace's `target/debug/tradepost` (`cargo build -p tradepost-connector`).

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tradepost_e2e::*;

/// The connector binary.
fn bin() -> PathBuf {
    let path = std::env::var_os("TRADEPOST_BIN").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/tradepost"),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "{} does not exist: build it with `cargo build -p tradepost-connector` (scripts/test does)",
        path.display()
    );
    path
}

/// A company with an API key for its ERP and a folder for its connector.
struct Erp {
    company: Company,
    key: Key,
    dir: PathBuf,
}

impl Erp {
    fn new(hint: &str) -> Self {
        let company = Company::signup_confirmed(hint);
        let key = api_key(&company, &["documents.send", "documents.receive"]);
        let dir = std::env::temp_dir().join(format!("tp-connector-{hint}-{}", unique(8)));
        fs::create_dir_all(&dir).unwrap();
        Self { company, key, dir }
    }

    /// The command with this company's key, in its folder (so no config file of the machine
    /// or the user is read, and the state stays in the folder).
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(bin());
        c.args(args)
            .current_dir(&self.dir)
            .env("TRADEPOST_URL", base_url())
            .env("TRADEPOST_API_KEY", &self.key.key)
            .env("HOME", &self.dir)
            .env("XDG_CONFIG_HOME", self.dir.join("config"))
            .env("XDG_STATE_HOME", self.dir.join("state"))
            .env_remove("TRADEPOST_CONFIG")
            .stdin(Stdio::null());
        c
    }

    /// Runs the command to its end; its output, checked never to show the key.
    fn run(&self, args: &[&str]) -> Output {
        let out = self.command(args).output().unwrap();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !all.contains(&self.key.key),
            "tradepost {args:?} printed the API key"
        );
        out
    }

    /// Runs the command with `--json` and expects exit code `code`; the JSON lines it printed.
    fn json(&self, args: &[&str], code: i32) -> Vec<Value> {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run(&all);
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert_eq!(
            out.status.code(),
            Some(code),
            "tradepost {args:?}: stdout {stdout}\nstderr {}",
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }

    /// Starts the command in the background, its output into `<dir>/<args[0]>.log`.
    fn spawn(&self, args: &[&str]) -> Child {
        let log = fs::File::create(self.dir.join(format!("{}.log", args[0]))).unwrap();
        self.command(args)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap()
    }
}

impl Drop for Erp {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// A customer and a supplier with an active relationship, each with its ERP.
fn erps() -> (Erp, Erp) {
    let customer = Erp::new("customer");
    let supplier = Erp::new("supplier");
    connect(&customer.company, &supplier.company);
    (customer, supplier)
}

/// The regular files directly in `dir` (not hidden), by name.
fn files_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .flatten()
        .filter(|e| e.metadata().is_ok_and(|m| m.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .map(|n| {
            let bytes = fs::read(dir.join(&n)).unwrap();
            (n, bytes)
        })
        .collect()
}

/// Writes `count` order files of 100 B to 20 KiB into `dir`; their contents by name.
fn order_files(dir: &Path, count: usize) -> BTreeMap<String, Vec<u8>> {
    fs::create_dir_all(dir).unwrap();
    let mut out = BTreeMap::new();
    for i in 0..count {
        let seed = u64::try_from(i).unwrap() * 7919 + 17;
        let len = 100 + usize::try_from(seed % 20_000).unwrap();
        let name = format!("PO-{i:05}.xml");
        let bytes = pseudo_random_bytes(len, seed);
        fs::write(dir.join(&name), &bytes).unwrap();
        out.insert(name, bytes);
    }
    // Files younger than two seconds may still be being written; the sync waits for them.
    sleep(Duration::from_millis(2100));
    out
}

/// How many documents `api`'s company holds in `mailbox`.
fn count_documents(api: &Api, mailbox: &str) -> usize {
    let mut n = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("box", mailbox), ("limit", "200")];
        if let Some(c) = &cursor {
            query.push(("cursor", c.as_str()));
        }
        let page = api.documents(&query);
        n += page["data"].as_array().map_or(0, Vec::len);
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return n,
        }
    }
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "waited {limit:?} for {what}");
        sleep(Duration::from_millis(50));
    }
}

fn assert_same_files(
    got: &BTreeMap<String, Vec<u8>>,
    want: &BTreeMap<String, Vec<u8>>,
    what: &str,
) {
    let missing: Vec<_> = want
        .keys()
        .filter(|k| !got.contains_key(*k))
        .take(5)
        .collect();
    let extra: Vec<_> = got
        .keys()
        .filter(|k| !want.contains_key(*k))
        .take(5)
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{what}: {} files, want {}; missing e.g. {missing:?}, extra e.g. {extra:?}",
        got.len(),
        want.len()
    );
    for (name, bytes) in want {
        assert_same_bytes(&got[name], bytes, &format!("{what}: {name}"));
    }
}

#[test]
fn an_erp_sends_fetches_imports_reports_and_replies_by_hand() {
    let (customer, supplier) = erps();

    let me = customer.json(&["whoami"], 0);
    assert_eq!(
        me[0]["company"]["id"],
        customer.company.id.as_str(),
        "{me:?}"
    );
    let human = customer.run(&["whoami"]);
    assert!(String::from_utf8_lossy(&human.stdout).contains(&customer.company.handle));

    // Send an order; sending the same file again (a retry after a crash) is the same document.
    let order = customer.dir.join("PO-4711.xml");
    fs::write(&order, b"<Order><ID>PO-4711</ID></Order>").unwrap();
    let args = [
        "send",
        "PO-4711.xml",
        "--to",
        supplier.company.handle.as_str(),
        "--type",
        "order",
        "--reference",
        "PO-4711",
    ];
    let sent = customer.json(&args, 0);
    let doc_id = sent[0]["document"]["id"].as_str().unwrap().to_owned();
    assert_eq!(sent[0]["replayed"], false, "{sent:?}");
    let again = customer.json(&args, 0);
    assert_eq!(again[0]["document"]["id"], doc_id.as_str(), "{again:?}");
    assert_eq!(again[0]["replayed"], true, "{again:?}");

    // The supplier's import command fails: the file is there, the document not acknowledged.
    let inbox = supplier.dir.join("inbox");
    let failing = supplier.json(&["fetch", "--into", "inbox", "--then", "exit 3"], 9);
    assert_eq!(
        failing[0]["failed"]["document_id"],
        doc_id.as_str(),
        "{failing:?}"
    );
    assert!(failing[0]["failed"]["error"]
        .as_str()
        .unwrap()
        .contains("exited with 3"));
    let doc = supplier
        .key
        .api
        .get(&format!("/v1/documents/{doc_id}"), 200);
    assert_eq!(doc["status"], "downloaded", "{doc}");
    // The next fetch imports it (into imported/) and acknowledges; no second copy in inbox/.
    fs::create_dir_all(supplier.dir.join("imported")).unwrap();
    let fetched = supplier.json(
        &["fetch", "--into", "inbox", "--then", "cp {path} imported/"],
        0,
    );
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    assert_eq!(fetched[0]["fetched"]["document_id"], doc_id.as_str());
    let names: Vec<_> = files_in(&inbox).into_keys().collect();
    assert_eq!(names, ["PO-4711.xml"]);
    assert_eq!(
        fs::read(supplier.dir.join("imported/PO-4711.xml")).unwrap(),
        b"<Order><ID>PO-4711</ID></Order>"
    );
    let doc = supplier
        .key
        .api
        .get(&format!("/v1/documents/{doc_id}"), 200);
    assert_eq!(doc["status"], "imported", "{doc}");
    assert!(
        supplier.json(&["fetch", "--into", "inbox"], 0).is_empty(),
        "nothing new"
    );

    // A status report by the customer's reference, then a reply: an order response.
    let shipped = supplier.json(
        &[
            "status",
            "PO-4711",
            "shipped",
            "--carrier",
            "DHL",
            "--tracking",
            "1Z999",
        ],
        0,
    );
    assert_eq!(shipped[0]["status"], "shipped", "{shipped:?}");
    let seen = customer
        .key
        .api
        .get(&format!("/v1/documents/{doc_id}"), 200);
    let last = seen["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["carrier"].as_str(), last["tracking_number"].as_str()),
        (Some("DHL"), Some("1Z999"))
    );
    fs::write(supplier.dir.join("ORDRSP-4711.xml"), b"<OrderResponse/>").unwrap();
    let reply = supplier.json(&["reply", &doc_id, "ORDRSP-4711.xml"], 0);
    let reply_id = reply[0]["document"]["id"].as_str().unwrap().to_owned();
    let answer = customer
        .key
        .api
        .get(&format!("/v1/documents/{reply_id}"), 200);
    assert_eq!(answer["type"], "order_response", "{answer}");
    assert_eq!(answer["in_reply_to"], doc_id.as_str(), "{answer}");

    // Clear errors: a wrong key, an unknown partner, a status the document cannot take.
    let mut wrong = customer.command(&["whoami"]);
    let out = wrong.env("TRADEPOST_API_KEY", "tp_wrong").output().unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("API key was not accepted"));
    let unknown = customer.json(&["send", "PO-4711.xml", "--to", "no-such-partner-x"], 6);
    assert_eq!(unknown[0]["problem"]["field"], "recipient", "{unknown:?}");
    let refused = customer.json(&["status", &reply_id, "rejected"], 6);
    assert_eq!(refused[0]["problem"]["field"], "reason", "{refused:?}");
    let no_file = customer.json(&["send", "nothing.xml", "--to", "x"], 10);
    assert!(no_file[0]["message"]
        .as_str()
        .unwrap()
        .contains("nothing.xml"));
    let mut no_key = customer.command(&["whoami"]);
    let out = no_key.env_remove("TRADEPOST_API_KEY").output().unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TRADEPOST_API_KEY"));
}

#[test]
fn the_admin_runs_an_operation_now_and_our_webhook_wakes_the_fetch() {
    let (customer, supplier) = erps();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let hook = supplier.company.api().post(
        "/v1/webhooks",
        json!({"url": format!("http://127.0.0.1:{port}/tradepost"), "event_types": ["document.deposited"]}),
        201,
    );
    let secret = hook["secret"].as_str().unwrap();
    let listen = format!("127.0.0.1:{port}");
    let name = format!("ERP {}", unique(6));
    let mut sync = supplier.spawn(&[
        "sync",
        "--root",
        "sync",
        "--name",
        &name,
        "--send-interval",
        "1h",
        "--fetch-interval",
        "1h",
        "--status-interval",
        "1h",
        "--poll-interval",
        "1s",
        "--listen",
        &listen,
        "--webhook-secret",
        secret,
    ]);
    let admin = supplier.company.api();
    let mut connector = Value::Null;
    wait_until(
        "the connector's first runs in the portal",
        Duration::from_secs(30),
        || {
            let list = admin.get("/v1/connectors", 200);
            connector = list["data"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == name.as_str())
                .cloned()
                .unwrap_or_default();
            connector["operations"]
                .as_array()
                .is_some_and(|ops| ops.iter().all(|o| !o["last_run"].is_null()))
        },
    );
    let id = connector["id"].as_str().unwrap().to_owned();
    assert_eq!(
        connector["operations"][1]["interval"], "01:00:00",
        "{connector}"
    );
    let runs = |op: &str| {
        admin.get(&format!("/v1/connectors/{id}/runs?operation={op}"), 200)["data"]
            .as_array()
            .map_or(0, Vec::len)
    };

    // A document arrives: the webhook wakes the fetch long before its hour is up.
    fs::write(customer.dir.join("PO-1.xml"), b"<Order/>").unwrap();
    customer.json(
        &["send", "PO-1.xml", "--to", supplier.company.handle.as_str()],
        0,
    );
    let inbox = supplier.dir.join("sync/inbox");
    wait_until("the webhook-woken fetch", Duration::from_secs(30), || {
        files_in(&inbox).contains_key("PO-1.xml")
    });

    // The admin runs the status operation now: within the poll interval it runs once more.
    let before = runs("status");
    let patched = admin.patch(
        &format!("/v1/connectors/{id}/operations/status"),
        json!({"run_in_minutes": 0}),
        200,
    );
    assert!(!patched["operations"][2]["run_at"].is_null(), "{patched}");
    wait_until(
        "the status run the admin asked for",
        Duration::from_secs(20),
        || runs("status") > before,
    );
    let after = admin.get(&format!("/v1/connectors/{id}"), 200);
    assert!(
        after["operations"][2]["run_at"].is_null(),
        "the one-time run is done: {after}"
    );
    sleep(Duration::from_secs(3));
    assert_eq!(runs("status"), before + 1, "run once, not again and again");

    // Switched off, an operation does not run even when its interval has passed.
    admin.patch(
        &format!("/v1/connectors/{id}/operations/send"),
        json!({"enabled": false, "interval": "00:00:10"}),
        200,
    );
    let sends = runs("send");
    sleep(Duration::from_secs(12));
    assert_eq!(runs("send"), sends, "a switched-off operation ran");
    sync.kill().unwrap();
    sync.wait().unwrap();
}

#[test]
fn a_thousand_files_go_round_trip_through_hot_folders_once_and_byte_for_byte() {
    let (customer, supplier) = erps();
    let files = order_files(
        &customer
            .dir
            .join("sync/outbox")
            .join(&supplier.company.handle),
        1000,
    );

    let started = Instant::now();
    customer.json(&["sync", "--root", "sync", "--once", "--parallel", "8"], 0);
    let send_time = started.elapsed();
    let sent = files_in(
        &customer
            .dir
            .join("sync/sent")
            .join(&supplier.company.handle),
    );
    assert_same_files(&sent, &files, "the customer's sent/");
    assert!(files_in(
        &customer
            .dir
            .join("sync/outbox")
            .join(&supplier.company.handle)
    )
    .is_empty());

    let started = Instant::now();
    supplier.json(&["sync", "--root", "sync", "--once", "--parallel", "8"], 0);
    let fetch_time = started.elapsed();
    assert_same_files(
        &files_in(&supplier.dir.join("sync/inbox")),
        &files,
        "the supplier's inbox/",
    );
    assert_eq!(count_documents(&supplier.key.api, "inbox"), 1000);
    let imported = supplier
        .key
        .api
        .documents(&[("status", "imported"), ("limit", "1")]);
    assert_eq!(
        imported["counts"]["new"], 0,
        "every document acknowledged: {imported}"
    );
    eprintln!(
        "round trip of 1000 files: sent in {send_time:.1?} ({:.0} files/s), fetched in {fetch_time:.1?} ({:.0} files/s)",
        1000.0 / send_time.as_secs_f64(),
        1000.0 / fetch_time.as_secs_f64()
    );
}

#[test]
fn a_connector_killed_in_the_middle_of_a_send_and_of_a_fetch_loses_and_doubles_nothing() {
    let (customer, supplier) = erps();
    let outbox = customer
        .dir
        .join("sync/outbox")
        .join(&supplier.company.handle);
    let files = order_files(&outbox, 300);
    let sent_dir = customer
        .dir
        .join("sync/sent")
        .join(&supplier.company.handle);

    // Killed (SIGKILL) once a few files went out, then started again until all are sent.
    let mut sync = customer.spawn(&["sync", "--root", "sync", "--parallel", "4"]);
    wait_until("the first sent files", Duration::from_secs(60), || {
        files_in(&sent_dir).len() >= 40
    });
    sync.kill().unwrap();
    sync.wait().unwrap();
    assert!(files_in(&outbox).len() < 300 - 40 + 1);
    customer.json(&["sync", "--root", "sync", "--once"], 0);
    assert_same_files(&files_in(&sent_dir), &files, "sent/ after the restart");
    assert_eq!(
        count_documents(&supplier.key.api, "inbox"),
        300,
        "no file sent twice"
    );

    // The same for the fetch: whatever is in inbox/ after the kill is whole.
    let inbox = supplier.dir.join("sync/inbox");
    let mut sync = supplier.spawn(&["sync", "--root", "sync", "--parallel", "4"]);
    wait_until("the first fetched files", Duration::from_secs(60), || {
        files_in(&inbox).len() >= 40
    });
    sync.kill().unwrap();
    sync.wait().unwrap();
    let after_kill = files_in(&inbox);
    for (name, bytes) in &after_kill {
        assert_same_bytes(bytes, &files[name], &format!("{name} right after the kill"));
    }
    supplier.json(&["sync", "--root", "sync", "--once"], 0);
    assert_same_files(&files_in(&inbox), &files, "inbox/ after the restart");
    let leftovers: Vec<_> = fs::read_dir(&inbox)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".part") || n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    let new = supplier.key.api.documents(&[("limit", "1")]);
    assert_eq!(
        new["counts"]["new"], 0,
        "every document acknowledged: {new}"
    );
}

#[test]
fn a_gigabyte_sent_in_parts_resumes_after_an_interruption_and_arrives_whole() {
    let (customer, supplier) = erps();
    let mib: usize = std::env::var("TRADEPOST_BIG_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1024);
    let path = customer.dir.join("artwork.bin");
    let mut file = fs::File::create(&path).unwrap();
    let mut whole = sha2_hasher();
    for i in 0..mib {
        let chunk = pseudo_random_bytes(MIB, u64::try_from(i).unwrap() + 1);
        whole.update(&chunk);
        file.write_all(&chunk).unwrap();
    }
    drop(file);
    let want_sha = whole.hex();
    let args = [
        "send",
        "artwork.bin",
        "--to",
        supplier.company.handle.as_str(),
        "--type",
        "other",
        "--part-size-mib",
        "16",
    ];

    // Interrupted (SIGKILL) once some parts are up.
    let uploads = customer.dir.join("state/tradepost/uploads");
    let mut send = customer.spawn(&args);
    let mut upload_id = String::new();
    wait_until(
        "the upload's id in the state folder",
        Duration::from_secs(60),
        || {
            let memo = fs::read_dir(&uploads)
                .ok()
                .and_then(|mut d| d.next())
                .and_then(Result::ok);
            if let Some(v) = memo
                .and_then(|e| fs::read(e.path()).ok())
                .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            {
                upload_id = v["upload_id"].as_str().unwrap_or_default().to_owned();
            }
            !upload_id.is_empty()
        },
    );
    let parts_up = |api: &Api| {
        api.get(&format!("/v1/uploads/{upload_id}"), 200)["parts"]
            .as_array()
            .map_or(0, Vec::len)
    };
    let before = mib.div_ceil(16).min(8) / 2;
    wait_until("some parts up", Duration::from_secs(300), || {
        parts_up(&customer.key.api) >= before.max(1)
    });
    send.kill().unwrap();
    send.wait().unwrap();
    let up = parts_up(&customer.key.api);

    // Resumed: the parts that were up are not sent again.
    let started = Instant::now();
    let sent = customer.json(&args, 0);
    let resumed = sent[0]["parts_resumed"].as_u64().unwrap();
    assert!(
        resumed >= u64::try_from(up).unwrap().saturating_sub(1) && resumed >= 1,
        "{sent:?} with {up} parts up"
    );
    assert_eq!(sent[0]["document"]["sha256"], want_sha.as_str(), "{sent:?}");
    assert_eq!(
        sent[0]["document"]["size"],
        u64::try_from(mib * MIB).unwrap()
    );
    let send_time = started.elapsed();

    // The supplier fetches it: the connector checks the SHA-256; the test checks it again.
    let started = Instant::now();
    let fetched = supplier.json(&["fetch", "--into", "inbox"], 0);
    let fetch_time = started.elapsed();
    assert_eq!(
        fetched[0]["fetched"]["sha256"],
        want_sha.as_str(),
        "{fetched:?}"
    );
    let mut got = sha2_hasher();
    let mut reader = fs::File::open(supplier.dir.join("inbox/artwork.bin")).unwrap();
    std::io::copy(&mut reader, &mut got).unwrap();
    assert_eq!(got.hex(), want_sha);
    eprintln!(
        "{mib} MiB: {up} parts up before the interruption, the rest sent in {send_time:.1?}, fetched in {fetch_time:.1?}"
    );
}

/// SHA-256 over data written to it.
struct Hasher(sha2::Sha256);

fn sha2_hasher() -> Hasher {
    use sha2::Digest as _;
    Hasher(sha2::Sha256::new())
}

impl Hasher {
    fn update(&mut self, bytes: &[u8]) {
        use sha2::Digest as _;
        self.0.update(bytes);
    }

    fn hex(self) -> String {
        use sha2::Digest as _;
        self.0
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

impl Write for Hasher {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
