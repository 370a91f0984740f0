//! What the connector's end-to-end tests share: companies with an ERP (an API key and a
//! folder), running the `tradepost` binary in that folder, and reading folders back.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;
use tradepost_e2e::*;

/// The connector binary.
pub fn bin() -> PathBuf {
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
pub struct Erp {
    pub company: Company,
    pub key: Key,
    pub dir: PathBuf,
}

impl Erp {
    pub fn new(hint: &str) -> Self {
        let company = Company::signup_confirmed(hint);
        let key = api_key(&company, &["documents.send", "documents.receive"]);
        let dir = std::env::temp_dir().join(format!("tp-connector-{hint}-{}", unique(8)));
        fs::create_dir_all(&dir).unwrap();
        Self { company, key, dir }
    }

    /// The command with this company's key, in its folder (so no config file of the machine
    /// or the user is read, and the state stays in the folder).
    pub fn command(&self, args: &[&str]) -> Command {
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
    pub fn run(&self, args: &[&str]) -> Output {
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
    pub fn json(&self, args: &[&str], code: i32) -> Vec<Value> {
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
    pub fn spawn(&self, args: &[&str]) -> Running {
        let log = fs::File::create(self.dir.join(format!("{}.log", args[0]))).unwrap();
        self.command(args)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .map(Running)
            .unwrap()
    }
}

/// A connector running in the background; killed (SIGKILL) when dropped, so a failing test
/// leaves no process behind.
pub struct Running(Child);

impl Running {
    /// Kills it at once (SIGKILL: no chance to tidy up) and waits until it is gone.
    pub fn kill(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop();
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
pub fn erps() -> (Erp, Erp) {
    let customer = Erp::new("customer");
    let supplier = Erp::new("supplier");
    connect(&customer.company, &supplier.company);
    (customer, supplier)
}

/// The regular files directly in `dir` (not hidden), by name.
pub fn files_in(dir: &Path) -> BTreeMap<String, Vec<u8>> {
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
pub fn order_files(dir: &Path, count: usize) -> BTreeMap<String, Vec<u8>> {
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
pub fn count_documents(api: &Api, mailbox: &str) -> usize {
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

pub fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "waited {limit:?} for {what}");
        sleep(Duration::from_millis(50));
    }
}

pub fn assert_same_files(
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
