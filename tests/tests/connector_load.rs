//! The ERP connector under load and under kills, against the stack: a thousand files round
//! trip through hot folders; the connector killed (SIGKILL) in the middle of a send and of a
//! fetch; a gigabyte sent in parts, interrupted and resumed. Heavy enough to disturb the other
//! tests' timing (thousands of events, a gigabyte through the local R2), so they are ignored in
//! the main run and `scripts/test` runs them alone afterwards:
//! `cargo test -p tradepost-e2e --test connector_load -- --ignored --test-threads=1`.

#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

mod connector_kit;

use std::fs;
use std::io::Write;
use std::time::{Duration, Instant};

use connector_kit::*;
use serde_json::Value;
use tradepost_e2e::*;

#[test]
#[ignore = "heavy: scripts/test runs it alone after the main suite (cargo test -p tradepost-e2e --test connector_load -- --ignored --test-threads=1)"]
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
#[ignore = "heavy: scripts/test runs it alone after the main suite (cargo test -p tradepost-e2e --test connector_load -- --ignored --test-threads=1)"]
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
    let sync = customer.spawn(&["sync", "--root", "sync", "--parallel", "4"]);
    wait_until("the first sent files", Duration::from_secs(60), || {
        files_in(&sent_dir).len() >= 40
    });
    sync.kill();
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
    let sync = supplier.spawn(&["sync", "--root", "sync", "--parallel", "4"]);
    wait_until("the first fetched files", Duration::from_secs(60), || {
        files_in(&inbox).len() >= 40
    });
    sync.kill();
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
#[ignore = "heavy: scripts/test runs it alone after the main suite (cargo test -p tradepost-e2e --test connector_load -- --ignored --test-threads=1)"]
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
    let send = customer.spawn(&args);
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
    send.kill();
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
