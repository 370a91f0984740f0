//! Webhooks end to end: a receiver started by the test on 127.0.0.1 gets signed deliveries
//! (checked with the published public key, the endpoint's secret, and the independent
//! `standardwebhooks` verifier from npm), retries, 410, replays, rotation, pings, filters, the
//! delivery log, the URL rules, the tenant matrix, and the info-mail settings.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::{self, sleep};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use tradepost_e2e::{
    api_key, connect, invite_colleague, mails, wait_for_mail, Api, Company, Method,
};

// ---------------------------------------------------------------------------------------------
// The receiver
// ---------------------------------------------------------------------------------------------

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    method: String,
    path: String,
    headers: HashMap<String, String>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .map_or_else(|| panic!("no {name} header: {self:?}"), String::as_str)
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A scripted "status" that never answers (the attempt times out).
const HANG: u16 = 0;

/// A webhook receiver on 127.0.0.1: answers the scripted statuses in order (then 200), and
/// records every request.
struct Receiver {
    url: String,
    log: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(script: &[u16]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(
            script.iter().copied().collect::<VecDeque<u16>>(),
        ));
        let (log2, script2) = (log.clone(), script.clone());
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (log, script) = (log2.clone(), script2.clone());
                thread::spawn(move || serve(stream, &log, &script));
            }
        });
        Self { url, log }
    }

    fn received(&self) -> Vec<Received> {
        self.log.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived (at most `secs`); returns them.
    fn wait_for(&self, n: usize, secs: u64) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                started.elapsed() < Duration::from_secs(secs),
                "the receiver got {} of {n} requests within {secs} s: {got:?}",
                got.len()
            );
            sleep(Duration::from_millis(100));
        }
    }

    /// Waits for a request carrying an event of `kind` (at most `secs`); returns it.
    fn wait_for_type(&self, kind: &str, secs: u64) -> Received {
        let started = Instant::now();
        loop {
            if let Some(r) = self
                .received()
                .into_iter()
                .find(|r| r.json()["type"] == kind)
            {
                return r;
            }
            assert!(
                started.elapsed() < Duration::from_secs(secs),
                "no {kind} within {secs} s: {:?}",
                self.received()
            );
            sleep(Duration::from_millis(100));
        }
    }

    /// Asserts that nothing more than `n` requests arrive within `secs`.
    fn stays_at(&self, n: usize, secs: u64) {
        sleep(Duration::from_secs(secs));
        let got = self.received();
        assert_eq!(got.len(), n, "unexpected requests: {got:?}");
    }
}

fn serve(stream: TcpStream, log: &Mutex<Vec<Received>>, script: &Mutex<VecDeque<u16>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut words = line.split_whitespace();
    let method = words.next().unwrap_or_default().to_owned();
    let path = words.next().unwrap_or_default().to_owned();
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap_or_default();
    let status = script.lock().unwrap().pop_front().unwrap_or(200);
    log.lock().unwrap().push(Received {
        method,
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    if status == HANG {
        sleep(Duration::from_secs(20));
        return;
    }
    // A redirect points back here (it must not be followed); 429 asks for two minutes.
    let extra = match status {
        300..=399 => "location: /redirected\r\n",
        429 => "retry-after: 120\r\n",
        _ => "",
    };
    let answer = format!("answer {status} from the receiver");
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status} Status\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\
         {extra}connection: close\r\n\r\n{answer}",
        answer.len()
    );
    let _ = stream.flush();
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A customer and a supplier with an active relationship; the customer receives documents.
fn partners() -> (Company, Company) {
    let customer = Company::signup_confirmed("Customer");
    let supplier = Company::signup_confirmed("Supplier");
    connect(&customer, &supplier);
    (customer, supplier)
}

/// Registers an endpoint for `company`; the answer (with its secret).
fn register(api: &Api, url: &str, types: Option<&[&str]>) -> Value {
    let mut body = json!({"url": url, "description": "test receiver"});
    if let Some(types) = types {
        body["event_types"] = json!(types);
    }
    let created = api.post("/v1/webhooks", body, 201);
    assert!(created["id"].as_str().unwrap().starts_with("whk_"));
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    created
}

/// `supplier` uploads an order for `customer`; the document.
fn upload(supplier: &Company, customer: &Company) -> Value {
    supplier.api().upload(
        &customer.id,
        "order",
        "PO-4711.csv",
        b"sku;qty\nA-1;3\n".to_vec(),
        &[],
        201,
    )
}

fn public_key() -> String {
    let answer = Api::new().get("/v1/webhooks/public-key", 200);
    assert_eq!(answer["algorithm"], "ed25519");
    answer["key"].as_str().unwrap().to_owned()
}

fn signed_content(r: &Received) -> String {
    format!(
        "{}.{}.{}",
        r.header("webhook-id"),
        r.header("webhook-timestamp"),
        r.body
    )
}

/// Whether one `v1` signature of the request verifies with `secret` (checked here, by hand).
fn v1_verifies(r: &Received, secret: &str) -> bool {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").unwrap())
        .unwrap();
    r.header("webhook-signature").split(' ').any(|part| {
        part.strip_prefix("v1,").is_some_and(|sig| {
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
            mac.update(signed_content(r).as_bytes());
            mac.verify_slice(&STANDARD.decode(sig).unwrap()).is_ok()
        })
    })
}

/// Whether the `v1a` signature verifies with the published `whpk_` key.
fn v1a_verifies(r: &Received, public: &str) -> bool {
    let key: [u8; 32] = STANDARD
        .decode(public.strip_prefix("whpk_").unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let key = VerifyingKey::from_bytes(&key).unwrap();
    r.header("webhook-signature").split(' ').any(|part| {
        part.strip_prefix("v1a,").is_some_and(|sig| {
            let sig: [u8; 64] = STANDARD.decode(sig).unwrap().try_into().unwrap();
            key.verify(signed_content(r).as_bytes(), &Signature::from_bytes(&sig))
                .is_ok()
        })
    })
}

/// Runs the `standardwebhooks` npm package's verifier on the request; its answer.
fn npm_verifier_accepts(r: &Received, secret: &str) -> Result<(), String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let script = r#"
        const { Webhook } = require("standardwebhooks");
        const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
        try {
          new Webhook(input.secret).verify(input.body, input.headers);
          console.log("verified");
        } catch (e) { console.log("refused: " + e.message); process.exit(1); }
    "#;
    let input = json!({
        "secret": secret,
        "body": r.body,
        "headers": {
            "webhook-id": r.header("webhook-id"),
            "webhook-timestamp": r.header("webhook-timestamp"),
            // The verifier knows v1 only; it skips the v1a entry.
            "webhook-signature": r.header("webhook-signature"),
        },
    });
    let mut child = std::process::Command::new("node")
        .arg("-e")
        .arg(script)
        .current_dir(root)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("node should run (scripts/setup installs it and the npm packages)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() && text.contains("verified") {
        Ok(())
    } else {
        Err(text)
    }
}

fn deliveries(api: &Api, webhook: &str, status: Option<&str>) -> Vec<Value> {
    let path = match status {
        Some(s) => format!("/v1/webhooks/{webhook}/deliveries?status={s}"),
        None => format!("/v1/webhooks/{webhook}/deliveries"),
    };
    api.get(&path, 200)["data"].as_array().unwrap().clone()
}

/// Waits until the endpoint's log holds a delivery that satisfies `ok`; returns it.
fn wait_for_delivery(api: &Api, webhook: &str, ok: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let all = deliveries(api, webhook, None);
        if let Some(found) = all.iter().find(|d| ok(d)) {
            return found.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no matching delivery: {all:?}"
        );
        sleep(Duration::from_millis(200));
    }
}

/// Asks the dev endpoint to attempt the company's deliveries due by `ahead_secs` from now.
fn run_due(company: &Company, ahead_secs: u64) -> u64 {
    let as_of = SystemTime::now() + Duration::from_secs(ahead_secs);
    let secs = as_of.duration_since(UNIX_EPOCH).unwrap().as_secs();
    let as_of = chrono_like(secs);
    let answer = Api::new().post(
        "/v1/dev/deliveries/run",
        json!({"company_id": company.id, "as_of": as_of}),
        200,
    );
    answer["attempted"].as_u64().unwrap()
}

/// Unix seconds as RFC 3339 UTC (days-from-civil, no date crate needed).
fn chrono_like(secs: u64) -> String {
    let days = i64::try_from(secs / 86_400).unwrap();
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

fn now_rfc3339() -> String {
    chrono_like(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
}

// ---------------------------------------------------------------------------------------------
// Delivery
// ---------------------------------------------------------------------------------------------

#[test]
fn an_upload_reaches_the_receiver_signed_both_ways() {
    let (customer, supplier) = partners();
    let receiver = Receiver::start(&[]);
    let hook = register(customer.api(), &receiver.url, None);
    let secret = hook["secret"].as_str().unwrap();
    // That the database holds the secret only sealed is checked natively
    // (stories::people_of_both_companies_talk_…): reading the stack's D1 file from a second
    // process here made the stack itself answer 500 (SQLITE_BUSY) now and then.
    let started = Instant::now();
    let doc = upload(&supplier, &customer);
    // Subscribed to every type: the relationship's own events may come first.
    let r = &receiver.wait_for_type("document.deposited", 10);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, "/hook");
    assert!(r.header("content-type").starts_with("application/json"));
    let event = r.json();
    assert_eq!(event["type"], "document.deposited", "{event}");
    assert_eq!(event["company_id"], json!(customer.id));
    assert_eq!(event["data"]["document_id"], doc["id"], "{event}");
    assert_eq!(event["id"].as_str().unwrap(), r.header("webhook-id"));
    assert!(r.header("webhook-id").starts_with("evt_"));
    let timestamp: u64 = r.header("webhook-timestamp").parse().unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(now.abs_diff(timestamp) < 60, "{timestamp} vs {now}");

    assert!(v1a_verifies(r, &public_key()), "v1a: {r:?}");
    assert!(v1_verifies(r, secret), "v1: {r:?}");
    npm_verifier_accepts(r, secret).unwrap();
    // A tampered body fails all three.
    let mut forged = r.clone();
    forged.body = forged.body.replace("PO-4711", "PO-4712");
    assert!(!v1a_verifies(&forged, &public_key()));
    assert!(!v1_verifies(&forged, secret));
    assert!(npm_verifier_accepts(&forged, secret).is_err());

    let id = hook["id"].as_str().unwrap();
    let delivery = wait_for_delivery(customer.api(), id, |d| d["status"] == "succeeded");
    assert_eq!(delivery["event_id"], event["id"]);
    assert_eq!(delivery["event_type"], "document.deposited");
    assert_eq!(delivery["attempt_count"], 1);
    assert_eq!(delivery["last_status_code"], 200);
    let attempt = &delivery["attempts"][0];
    assert_eq!(attempt["seq"], 1);
    assert_eq!(attempt["status_code"], 200);
    assert!(attempt["duration_ms"].as_u64().is_some(), "{attempt}");
    assert_eq!(attempt["response_excerpt"], "answer 200 from the receiver");
    assert!(attempt["error"].is_null());
}

#[test]
fn a_failing_receiver_gets_the_same_event_until_it_answers() {
    let (customer, supplier) = partners();
    let receiver = Receiver::start(&[500, 500, 200]);
    let hook = register(customer.api(), &receiver.url, Some(&["document.deposited"]));
    let id = hook["id"].as_str().unwrap();
    upload(&supplier, &customer);
    receiver.wait_for(1, 10);
    // The first retry comes for real, about 5 s later, through a delayed queue message.
    let got = receiver.wait_for(2, 30);
    let pending = wait_for_delivery(customer.api(), id, |d| d["attempt_count"] == 2);
    assert_eq!(pending["status"], "pending", "{pending}");
    assert!(pending["next_attempt_at"].is_string());
    assert_eq!(run_due(&customer, 0), 0, "the third attempt is not due yet");
    // The third is due 5 minutes later: the dev run attempts it "as of" then.
    assert_eq!(run_due(&customer, 6 * 60), 1);
    let got3 = receiver.wait_for(3, 5);
    let ids: Vec<&str> = got3.iter().map(|r| r.header("webhook-id")).collect();
    assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
    assert!(got3.iter().all(|r| r.body == got[0].body));
    let done = wait_for_delivery(customer.api(), id, |d| d["status"] == "succeeded");
    let codes: Vec<Value> = done["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].clone())
        .collect();
    assert_eq!(codes, vec![json!(500), json!(500), json!(200)]);
    assert_eq!(done["attempt_count"], 3);
    // The queued retry message of the second attempt finds the delivery done: nothing more.
    receiver.stays_at(3, 2);
    let endpoint = customer.api().get(&format!("/v1/webhooks/{id}"), 200);
    assert!(endpoint["failing_since"].is_null(), "{endpoint}");
}

#[test]
fn after_the_eighth_failure_the_delivery_fails_and_the_admins_are_mailed() {
    let (customer, supplier) = partners();
    let receiver = Receiver::start(&[500, 503, 502, 500, 504, 500, 429, 500, 500]);
    let hook = register(customer.api(), &receiver.url, Some(&["document.deposited"]));
    let id = hook["id"].as_str().unwrap();
    upload(&supplier, &customer);
    receiver.wait_for(1, 10);
    // Each dev run attempts, as of half a day later than the one before, what is due by then;
    // the seven retries span about 27 hours, less than the five days that disable an endpoint.
    let started = Instant::now();
    let mut hours = 0;
    loop {
        let log = deliveries(customer.api(), id, None);
        if log.first().is_some_and(|d| d["status"] == "failed") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{log:?}");
        hours += 12;
        run_due(&customer, hours * 3600);
    }
    let failed = deliveries(customer.api(), id, Some("failed"));
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["attempt_count"], 8, "{}", failed[0]);
    assert_eq!(failed[0]["attempts"].as_array().unwrap().len(), 8);
    assert!(failed[0]["next_attempt_at"].is_null());
    let got = receiver.wait_for(8, 5);
    assert!(got
        .iter()
        .all(|r| r.header("webhook-id") == got[0].header("webhook-id")));
    assert_eq!(run_due(&customer, (hours + 24) * 3600), 0);
    receiver.stays_at(8, 1);
    let mail = wait_for_mail(&customer.admin.email, "webhook_failed");
    assert!(
        mail["subject"]
            .as_str()
            .unwrap()
            .contains("document.deposited"),
        "{mail}"
    );
    assert!(
        mail["text"]
            .as_str()
            .unwrap()
            .contains(&format!("/webhooks/{id}\n")),
        "{mail}"
    );
    let endpoint = customer.api().get(&format!("/v1/webhooks/{id}"), 200);
    assert!(endpoint["failing_since"].is_string(), "{endpoint}");
    assert_eq!(endpoint["enabled"], true, "not five days yet: {endpoint}");
}

#[test]
fn retry_after_sets_the_next_attempt_and_redirects_are_not_followed() {
    let (customer, supplier) = partners();
    let receiver = Receiver::start(&[429, 302]);
    let hook = register(customer.api(), &receiver.url, Some(&["document.deposited"]));
    let id = hook["id"].as_str().unwrap();
    upload(&supplier, &customer);
    receiver.wait_for(1, 10);
    let pending = wait_for_delivery(customer.api(), id, |d| d["attempt_count"] == 1);
    assert_eq!(pending["status"], "pending");
    let at = pending["attempts"][0]["at"].as_str().unwrap();
    let next = pending["next_attempt_at"].as_str().unwrap();
    // Retry-After: 120 replaces the 5 s of the schedule.
    let gap = seconds_of(next) - seconds_of(at);
    assert!((119..=121).contains(&gap), "{at} → {next}");
    assert_eq!(run_due(&customer, 60), 0);
    assert_eq!(run_due(&customer, 180), 1);
    let got = receiver.wait_for(2, 5);
    assert!(got.iter().all(|r| r.path == "/hook"), "{got:?}");
    let failed = wait_for_delivery(customer.api(), id, |d| d["status"] == "failed");
    assert_eq!(failed["last_status_code"], 302);
    assert_eq!(failed["attempt_count"], 2);
    receiver.stays_at(2, 1);
}

#[test]
fn a_timeout_or_a_closed_port_is_retried() {
    let (customer, supplier) = partners();
    // 429 first, so the hanging attempt is the second one, made by the dev run: the local
    // queue runs one batch at a time, and a batch waiting 15 s would hold up the other tests.
    let receiver = Receiver::start(&[429, HANG]);
    let hook = register(customer.api(), &receiver.url, Some(&["document.deposited"]));
    let id = hook["id"].as_str().unwrap();
    // Nobody listens on this port any more.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/hook", l.local_addr().unwrap())
    };
    let dead = register(customer.api(), &closed, Some(&["document.deposited"]));
    let dead_id = dead["id"].as_str().unwrap();
    upload(&supplier, &customer);
    let refused = wait_for_delivery(customer.api(), dead_id, |d| d["attempt_count"] == 1);
    assert_eq!(refused["status"], "pending");
    let attempt = &refused["attempts"][0];
    assert!(attempt["status_code"].is_null(), "{attempt}");
    assert!(
        attempt["error"]
            .as_str()
            .unwrap()
            .starts_with("network error"),
        "{attempt}"
    );
    wait_for_delivery(customer.api(), id, |d| d["attempt_count"] == 1);
    // The second attempt hangs: after 15 s it is a timeout, and the next one is scheduled.
    let started = Instant::now();
    run_due(&customer, 180);
    assert!(started.elapsed() >= Duration::from_secs(14));
    let timed_out = wait_for_delivery(customer.api(), id, |d| d["attempt_count"] == 2);
    assert_eq!(timed_out["status"], "pending");
    let attempt = &timed_out["attempts"][1];
    assert!(attempt["status_code"].is_null(), "{attempt}");
    assert!(
        attempt["error"].as_str().unwrap().starts_with("timeout"),
        "{attempt}"
    );
    assert!(
        attempt["duration_ms"].as_u64().unwrap() >= 14_000,
        "{attempt}"
    );
    run_due(&customer, 3600);
    let done = wait_for_delivery(customer.api(), id, |d| d["status"] == "succeeded");
    assert_eq!(done["attempt_count"], 3);
}

/// Seconds since the epoch of an RFC 3339 UTC time (`2026-11-23T16:46:53.025Z`).
fn seconds_of(text: &str) -> i64 {
    let (date, time) = text.split_once('T').unwrap();
    let d: Vec<i64> = date.split('-').map(|p| p.parse().unwrap()).collect();
    let t: Vec<i64> = time
        .trim_end_matches('Z')
        .split(':')
        .map(|p| p.split('.').next().unwrap().parse().unwrap())
        .collect();
    let (y, m) = if d[1] <= 2 {
        (d[0] - 1, d[1] + 9)
    } else {
        (d[0], d[1] - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d[2] - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400 + t[0] * 3600 + t[1] * 60 + t[2]
}

#[test]
fn the_cron_requeues_a_lost_retry_and_finds_every_event_consumed() {
    let (customer, supplier) = partners();
    let receiver = Receiver::start(&[429]);
    let hook = register(customer.api(), &receiver.url, Some(&["document.deposited"]));
    let id = hook["id"].as_str().unwrap();
    upload(&supplier, &customer);
    wait_for_delivery(customer.api(), id, |d| d["attempt_count"] == 1);
    let cron = |ahead_secs: u64| {
        let as_of = SystemTime::now() + Duration::from_secs(ahead_secs);
        let as_of = chrono_like(as_of.duration_since(UNIX_EPOCH).unwrap().as_secs());
        Api::new().post(
            "/v1/dev/deliveries/cron",
            json!({"company_id": customer.id, "as_of": as_of}),
            200,
        )
    };
    // The retry is due in 2 minutes (Retry-After): not yet overdue, nothing to re-queue.
    let early = cron(60);
    assert_eq!(early["attempts_requeued"], 0, "{early}");
    // Ten minutes on, its queue message counts as lost and is sent again; the events of the
    // company were all marked consumed, so none is resent.
    let late = cron(600);
    assert_eq!(late["attempts_requeued"], 1, "{late}");
    assert_eq!(late["events_resent"], 0, "{late}");
    receiver.wait_for(2, 10);
    let done = wait_for_delivery(customer.api(), id, |d| d["status"] == "succeeded");
    assert_eq!(done["attempt_count"], 2);
    Api::new()
        .send(
            Method::POST,
            "/v1/dev/deliveries/cron",
            Some(&json!({"company_id": "acme"})),
        )
        .expect_invalid_field("company_id");
}

#[test]
fn an_event_sent_twice_is_delivered_and_mailed_once() {
    let (customer, supplier) = partners();
    let receiver = Receiver::start(&[]);
    let hook = register(customer.api(), &receiver.url, Some(&["document.deposited"]));
    let id = hook["id"].as_str().unwrap();
    upload(&supplier, &customer);
    let first = receiver.wait_for(1, 10);
    wait_for_mail(&customer.admin.email, "document_received");
    // The queue delivers at least once: the same event arrives again (a dev endpoint puts it
    // on the queue once more, consumed as it is), and nothing is delivered or mailed twice.
    Api::new().post(
        "/v1/dev/deliveries/resend",
        json!({"event_id": first[0].header("webhook-id")}),
        202,
    );
    receiver.stays_at(1, 4);
    assert_eq!(deliveries(customer.api(), id, None).len(), 1);
    let received_mails = mails(&customer.admin.email)
        .iter()
        .filter(|m| m["template"] == "document_received")
        .count();
    assert_eq!(received_mails, 1);
    // An unknown event is a 404.
    Api::new()
        .send(
            Method::POST,
            "/v1/dev/deliveries/resend",
            Some(&json!({"event_id": "evt_00000000000000000000000000"})),
        )
        .expect_problem(404, "not_found");
}

#[test]
fn an_endpoint_failing_for_five_days_is_disabled() {
    let (customer, supplier) = partners();
    let receiver = Receiver::start(&[500, 500, 500]);
    let hook = register(customer.api(), &receiver.url, Some(&["document.deposited"]));
    let id = hook["id"].as_str().unwrap();
    upload(&supplier, &customer);
    wait_for_delivery(customer.api(), id, |d| d["attempt_count"] == 1);
    let failing = customer.api().get(&format!("/v1/webhooks/{id}"), 200);
    assert!(failing["failing_since"].is_string(), "{failing}");
    assert_eq!(failing["enabled"], true);
    // The next attempt, six days on, fails too: the endpoint has failed for five days.
    assert_eq!(run_due(&customer, 6 * 86_400), 1);
    let off = customer.api().get(&format!("/v1/webhooks/{id}"), 200);
    assert_eq!(off["enabled"], false, "{off}");
    assert_eq!(off["disabled_reason"], "failing");
    // What was still pending ends without another request.
    assert_eq!(run_due(&customer, 7 * 86_400), 1);
    receiver.stays_at(2, 1);
    let log = deliveries(customer.api(), id, None);
    assert_eq!(log[0]["status"], "failed", "{}", log[0]);
    assert_eq!(log[0]["attempt_count"], 2);
    upload(&supplier, &customer);
    receiver.stays_at(2, 2);
    let on = customer
        .api()
        .patch(&format!("/v1/webhooks/{id}"), json!({"enabled": true}), 200);
    assert!(
        on["disabled_reason"].is_null() && on["failing_since"].is_null(),
        "{on}"
    );
}

#[test]
fn gone_disables_the_endpoint_and_nothing_more_is_sent() {
    let (customer, supplier) = partners();
    let receiver = Receiver::start(&[410]);
    let hook = register(customer.api(), &receiver.url, Some(&["document.deposited"]));
    let id = hook["id"].as_str().unwrap();
    upload(&supplier, &customer);
    receiver.wait_for(1, 10);
    let failed = wait_for_delivery(customer.api(), id, |d| d["status"] == "failed");
    assert_eq!(failed["last_status_code"], 410);
    let endpoint = customer.api().get(&format!("/v1/webhooks/{id}"), 200);
    assert_eq!(endpoint["enabled"], false, "{endpoint}");
    assert_eq!(endpoint["disabled_reason"], "gone");
    upload(&supplier, &customer);
    receiver.stays_at(1, 3);
    assert_eq!(deliveries(customer.api(), id, None).len(), 1);
    // Replaying to a disabled endpoint is refused until it is switched on again.
    let dlv = failed["id"].as_str().unwrap();
    customer.api().refused(
        Method::POST,
        &format!("/v1/webhooks/{id}/deliveries/{dlv}/replay"),
        None,
        409,
        "webhook_disabled",
    );
    let on = customer
        .api()
        .patch(&format!("/v1/webhooks/{id}"), json!({"enabled": true}), 200);
    assert_eq!(on["enabled"], true);
    assert!(on["disabled_reason"].is_null());
}

#[test]
fn a_client_error_fails_without_retry() {
    let (customer, supplier) = partners();
    let receiver = Receiver::start(&[400]);
    let hook = register(customer.api(), &receiver.url, Some(&["document.deposited"]));
    let id = hook["id"].as_str().unwrap();
    upload(&supplier, &customer);
    receiver.wait_for(1, 10);
    let failed = wait_for_delivery(customer.api(), id, |d| d["status"] == "failed");
    assert_eq!(failed["attempt_count"], 1);
    assert!(failed["next_attempt_at"].is_null());
    assert_eq!(failed["attempts"][0]["status_code"], 400);
    assert_eq!(run_due(&customer, 86_400), 0);
    receiver.stays_at(1, 1);
    let endpoint = customer.api().get(&format!("/v1/webhooks/{id}"), 200);
    assert_eq!(
        endpoint["enabled"], true,
        "a 400 does not disable: {endpoint}"
    );
}

#[test]
fn replay_one_delivery_and_every_failed_one_since_a_time() {
    let (customer, supplier) = partners();
    let receiver = Receiver::start(&[400, 400]);
    let hook = register(customer.api(), &receiver.url, Some(&["document.deposited"]));
    let id = hook["id"].as_str().unwrap();
    let since = now_rfc3339();
    upload(&supplier, &customer);
    upload(&supplier, &customer);
    receiver.wait_for(2, 15);
    let started = Instant::now();
    while deliveries(customer.api(), id, Some("failed")).len() < 2 {
        assert!(started.elapsed() < Duration::from_secs(10));
        sleep(Duration::from_millis(200));
    }
    let failed = deliveries(customer.api(), id, Some("failed"));
    assert!(deliveries(customer.api(), id, Some("succeeded")).is_empty());
    customer
        .api()
        .send(
            Method::GET,
            &format!("/v1/webhooks/{id}/deliveries?status=lost"),
            None,
        )
        .expect_invalid_field("status");

    // One delivery: a new attempt with the same webhook-id.
    let first = failed[1]["id"].as_str().unwrap();
    let replayed = customer
        .api()
        .post_empty(&format!("/v1/webhooks/{id}/deliveries/{first}/replay"), 202);
    assert_eq!(replayed["status"], "pending");
    let got = receiver.wait_for(3, 10);
    assert_eq!(
        got[2].header("webhook-id"),
        failed[1]["event_id"].as_str().unwrap()
    );
    let done = wait_for_delivery(customer.api(), id, |d| {
        d["id"] == failed[1]["id"] && d["status"] == "succeeded"
    });
    assert_eq!(done["attempt_count"], 2);

    // Every failed one since a time: only the other one is left.
    let answer = customer.api().post(
        &format!("/v1/webhooks/{id}/deliveries/replay"),
        json!({"since": since}),
        202,
    );
    assert_eq!(answer["replayed"], 1, "{answer}");
    let got = receiver.wait_for(4, 10);
    assert_eq!(
        got[3].header("webhook-id"),
        failed[0]["event_id"].as_str().unwrap()
    );
    wait_for_delivery(customer.api(), id, |d| {
        d["id"] == failed[0]["id"] && d["status"] == "succeeded"
    });
    let none = customer.api().post(
        &format!("/v1/webhooks/{id}/deliveries/replay"),
        json!({"since": since}),
        202,
    );
    assert_eq!(none["replayed"], 0);
    customer
        .api()
        .send(
            Method::POST,
            &format!("/v1/webhooks/{id}/deliveries/replay"),
            Some(&json!({"since": "yesterday"})),
        )
        .expect_invalid_field("since");
}

#[test]
fn a_rotated_secret_signs_beside_the_new_one() {
    let customer = Company::signup_confirmed("Rotator");
    let receiver = Receiver::start(&[]);
    let hook = register(customer.api(), &receiver.url, None);
    let id = hook["id"].as_str().unwrap();
    let old = hook["secret"].as_str().unwrap();
    let rotated = customer
        .api()
        .post_empty(&format!("/v1/webhooks/{id}/rotate-secret"), 200);
    let new = rotated["secret"].as_str().unwrap();
    assert_ne!(new, old);
    assert!(
        rotated["previous_secret_expires_at"].is_string(),
        "{rotated}"
    );
    let shown = customer.api().get(&format!("/v1/webhooks/{id}"), 200);
    assert!(
        shown.get("secret").is_none(),
        "secrets are shown once: {shown}"
    );
    customer
        .api()
        .post_empty(&format!("/v1/webhooks/{id}/ping"), 202);
    let r = &receiver.wait_for(1, 10)[0];
    let signature = r.header("webhook-signature");
    assert_eq!(
        signature
            .split(' ')
            .filter(|s| s.starts_with("v1,"))
            .count(),
        2,
        "{signature}"
    );
    assert!(v1_verifies(r, new));
    assert!(v1_verifies(r, old));
    assert!(v1a_verifies(r, &public_key()));
    npm_verifier_accepts(r, new).unwrap();
    npm_verifier_accepts(r, old).unwrap();
}

#[test]
fn a_ping_reaches_only_its_endpoint() {
    let customer = Company::signup_confirmed("Pinger");
    let a = Receiver::start(&[]);
    let b = Receiver::start(&[]);
    let hook_a = register(customer.api(), &a.url, Some(&["talk.message"]));
    register(customer.api(), &b.url, None);
    let id = hook_a["id"].as_str().unwrap();
    let ping = customer
        .api()
        .post_empty(&format!("/v1/webhooks/{id}/ping"), 202);
    assert!(ping["delivery_id"].as_str().unwrap().starts_with("dlv_"));
    let r = &a.wait_for(1, 10)[0];
    let event = r.json();
    assert_eq!(event["type"], "webhook.ping", "{event}");
    assert_eq!(event["data"]["webhook_id"], hook_a["id"]);
    assert!(v1_verifies(r, hook_a["secret"].as_str().unwrap()));
    b.stays_at(0, 2);
    wait_for_delivery(customer.api(), id, |d| {
        d["event_type"] == "webhook.ping" && d["status"] == "succeeded"
    });
}

#[test]
fn endpoints_get_only_the_types_they_chose_and_nothing_while_disabled() {
    let (customer, supplier) = partners();
    let talk_only = Receiver::start(&[]);
    let switched_off = Receiver::start(&[]);
    let documents = Receiver::start(&[]);
    register(customer.api(), &talk_only.url, Some(&["talk.message"]));
    let off = customer.api().post(
        "/v1/webhooks",
        json!({"url": switched_off.url, "enabled": false}),
        201,
    );
    assert_eq!(off["enabled"], false);
    let docs = register(
        customer.api(),
        &documents.url,
        Some(&["document.deposited", "approval.requested"]),
    );
    assert_eq!(
        docs["event_types"],
        json!(["document.deposited", "approval.requested"])
    );
    upload(&supplier, &customer);
    documents.wait_for(1, 10);
    talk_only.stays_at(0, 2);
    switched_off.stays_at(0, 0);
    assert!(deliveries(customer.api(), off["id"].as_str().unwrap(), None).is_empty());
}

// ---------------------------------------------------------------------------------------------
// The endpoint API
// ---------------------------------------------------------------------------------------------

#[test]
fn endpoints_are_created_listed_changed_and_deleted() {
    let company = Company::signup_confirmed("Hooker");
    let receiver = Receiver::start(&[]);
    let reply = company.api().send(
        Method::POST,
        "/v1/webhooks",
        Some(&json!({"url": receiver.url, "event_types": ["talk.message"]})),
    );
    let created = reply.expect(201);
    let id = created["id"].as_str().unwrap();
    assert_eq!(
        reply.header("location").as_deref(),
        Some(format!("/v1/webhooks/{id}").as_str())
    );
    assert_eq!(created["url"], json!(receiver.url));
    assert_eq!(created["enabled"], true);
    assert!(created["disabled_reason"].is_null());
    let list = company.api().get("/v1/webhooks", 200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert!(list["data"][0].get("secret").is_none());
    let patched = company.api().patch(
        &format!("/v1/webhooks/{id}"),
        json!({"event_types": null, "description": "ERP", "enabled": false}),
        200,
    );
    assert!(patched["event_types"].is_null(), "{patched}");
    assert_eq!(patched["description"], "ERP");
    assert_eq!(patched["enabled"], false);
    assert!(patched["disabled_reason"].is_null());
    company.api().refused(
        Method::POST,
        &format!("/v1/webhooks/{id}/ping"),
        None,
        409,
        "webhook_disabled",
    );
    company
        .api()
        .send(
            Method::PATCH,
            &format!("/v1/webhooks/{id}"),
            Some(&json!({"event_types": ["document.exploded"]})),
        )
        .expect_invalid_field("event_types");
    company
        .api()
        .send(
            Method::POST,
            "/v1/webhooks",
            Some(&json!({"url": receiver.url, "event_types": []})),
        )
        .expect_invalid_field("event_types");
    company
        .api()
        .send(
            Method::POST,
            "/v1/webhooks",
            Some(&json!({"event_types": null})),
        )
        .expect_invalid_field("url");
    company.api().delete(&format!("/v1/webhooks/{id}"), 204);
    company.api().refused(
        Method::GET,
        &format!("/v1/webhooks/{id}"),
        None,
        404,
        "not_found",
    );
    // The public key needs no credentials and is the same every time.
    let key = public_key();
    assert!(key.starts_with("whpk_"));
    assert_eq!(STANDARD.decode(&key[5..]).unwrap().len(), 32);
    assert_eq!(public_key(), key);
    Api::new()
        .send(Method::POST, "/v1/webhooks/public-key", None)
        .expect_problem(405, "method_not_allowed");
}

#[test]
fn refused_urls_name_the_rule_they_break() {
    let company = Company::signup_confirmed("Ssrf");
    let table = [
        ("http://example.com/hook", "https_required"),
        ("http://localhost:8080/hook", "https_required"),
        ("ftp://example.com/hook", "malformed"),
        ("not a url", "malformed"),
        ("https://", "malformed"),
        ("https://user:secret@example.com/hook", "credentials_in_url"),
        ("https://localhost/hook", "localhost"),
        ("https://erp.localhost/hook", "localhost"),
        ("https://127.0.0.1/hook", "loopback_address"),
        ("https://[::1]/hook", "loopback_address"),
        ("https://2130706433/hook", "loopback_address"),
        ("https://0x7f.1/hook", "loopback_address"),
        ("https://0177.0.0.1/hook", "loopback_address"),
        ("https://[::ffff:127.0.0.1]/hook", "loopback_address"),
        ("https://10.0.0.8/hook", "private_address"),
        ("https://172.16.5.4/hook", "private_address"),
        ("https://192.168.0.1/hook", "private_address"),
        ("https://100.64.1.1/hook", "private_address"),
        ("https://[fd00::1]/hook", "private_address"),
        ("https://[::ffff:192.168.0.1]/hook", "private_address"),
        ("https://169.254.10.10/hook", "link_local_address"),
        ("https://[fe80::1]/hook", "link_local_address"),
        (
            "https://169.254.169.254/latest/meta-data/",
            "metadata_address",
        ),
        ("https://[fd00:ec2::254]/", "metadata_address"),
        (
            "https://metadata.google.internal/computeMetadata/v1/",
            "metadata_address",
        ),
        ("https://0.0.0.0/hook", "unspecified_address"),
        ("https://[::]/hook", "unspecified_address"),
    ];
    let long = format!("https://example.com/{}", "a".repeat(2000));
    let mut wrong = Vec::new();
    for (url, rule) in table.iter().copied().chain([(long.as_str(), "malformed")]) {
        let reply = company
            .api()
            .send(Method::POST, "/v1/webhooks", Some(&json!({"url": url})));
        if let Some(mismatch) = reply.problem_mismatch(422, Some("invalid_field"), Some("url")) {
            wrong.push(mismatch);
            continue;
        }
        let detail = reply.json()["detail"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if !detail.starts_with(&format!("url: {rule}:")) {
            wrong.push(format!("{url}: expected rule {rule}, detail {detail:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let list = company.api().get("/v1/webhooks", 200);
    assert!(list["data"].as_array().unwrap().is_empty());
    // The same rules hold for a change of URL.
    let ok = register(company.api(), "https://hooks.example.com/tradepost", None);
    let id = ok["id"].as_str().unwrap();
    let reply = company.api().send(
        Method::PATCH,
        &format!("/v1/webhooks/{id}"),
        Some(&json!({"url": "https://10.1.1.1/x"})),
    );
    let problem = reply.expect_invalid_field("url");
    assert!(problem["detail"]
        .as_str()
        .unwrap()
        .starts_with("url: private_address"));
}

#[test]
fn no_company_sees_or_replays_another_ones_webhooks() {
    let (customer, supplier) = partners();
    let receiver = Receiver::start(&[400]);
    let hook = register(customer.api(), &receiver.url, Some(&["document.deposited"]));
    let id = hook["id"].as_str().unwrap().to_owned();
    upload(&supplier, &customer);
    let delivery = wait_for_delivery(customer.api(), &id, |d| d["status"] == "failed");
    let dlv = delivery["id"].as_str().unwrap().to_owned();
    let before = customer.api().get(&format!("/v1/webhooks/{id}"), 200);

    let calls: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/v1/webhooks/{id}"), None),
        (
            Method::PATCH,
            format!("/v1/webhooks/{id}"),
            Some(json!({"description": "mine now"})),
        ),
        (Method::DELETE, format!("/v1/webhooks/{id}"), None),
        (Method::POST, format!("/v1/webhooks/{id}/ping"), None),
        (
            Method::POST,
            format!("/v1/webhooks/{id}/rotate-secret"),
            None,
        ),
        (Method::GET, format!("/v1/webhooks/{id}/deliveries"), None),
        (
            Method::POST,
            format!("/v1/webhooks/{id}/deliveries/{dlv}/replay"),
            None,
        ),
        (
            Method::POST,
            format!("/v1/webhooks/{id}/deliveries/replay"),
            Some(json!({"since": "2020-01-01T00:00:00Z"})),
        ),
    ];
    // A stranger, and the partner itself, get 404 everywhere and see no endpoint.
    let stranger = Company::signup_confirmed("Stranger");
    let stranger_key = api_key(&stranger, &["webhooks.manage"]);
    let mut wrong = Vec::new();
    for api in [stranger.api(), supplier.api(), &stranger_key.api] {
        for (method, path, body) in &calls {
            let reply = api.send(method.clone(), path, body.as_ref());
            wrong.extend(reply.problem_mismatch(404, Some("not_found"), None));
        }
        assert!(api.get("/v1/webhooks", 200)["data"]
            .as_array()
            .unwrap()
            .is_empty());
    }
    // The stranger's own endpoint cannot reach the customer's delivery either.
    let own = register(stranger.api(), "https://hooks.example.com/stranger", None);
    let own_id = own["id"].as_str().unwrap();
    wrong.extend(
        stranger
            .api()
            .send(
                Method::POST,
                &format!("/v1/webhooks/{own_id}/deliveries/{dlv}/replay"),
                None,
            )
            .problem_mismatch(404, Some("not_found"), None),
    );
    // A colleague without webhooks.manage, and a key without it: 403.
    let member = invite_colleague(&customer, &["documents.receive", "talk"]);
    let key = api_key(&customer, &["documents.receive"]);
    for api in [&member.api, &key.api] {
        for (method, path, body) in &calls {
            let reply = api.send(method.clone(), path, body.as_ref());
            wrong.extend(reply.problem_mismatch(403, Some("permission_missing"), None));
        }
        wrong.extend(
            api.send(Method::GET, "/v1/webhooks", None)
                .problem_mismatch(403, Some("permission_missing"), None),
        );
        wrong.extend(
            api.send(
                Method::POST,
                "/v1/webhooks",
                Some(&json!({"url": "https://hooks.example.com/x"})),
            )
            .problem_mismatch(403, Some("permission_missing"), None),
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Nothing changed, nothing was replayed.
    let after = customer.api().get(&format!("/v1/webhooks/{id}"), 200);
    assert_eq!(before, after);
    receiver.stays_at(1, 1);
    let log = deliveries(customer.api(), &id, None);
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["status"], "failed");
    assert_eq!(log[0]["attempt_count"], 1);
    // A key with the permission works for its own company.
    let manager = api_key(&customer, &["webhooks.manage"]);
    assert_eq!(
        manager.api.get("/v1/webhooks", 200)["data"][0]["id"],
        json!(id)
    );
}

// ---------------------------------------------------------------------------------------------
// Info mails
// ---------------------------------------------------------------------------------------------

#[test]
fn a_relationship_request_is_mailed_once_to_the_asked_company() {
    let customer = Company::signup_confirmed("Asker");
    let supplier = Company::signup_confirmed("Asked");
    tradepost_e2e::request(&customer, &supplier);
    let mail = wait_for_mail(&supplier.admin.email, "relationship_requested");
    assert!(
        mail["text"].as_str().unwrap().contains(&customer.name),
        "{mail}"
    );
    assert!(mail["link"].as_str().unwrap().ends_with("/partners"));
    sleep(Duration::from_secs(1));
    let requests = mails(&supplier.admin.email)
        .iter()
        .filter(|m| {
            m["subject"]
                .as_str()
                .unwrap_or_default()
                .contains(&customer.name)
        })
        .count();
    assert_eq!(
        requests,
        1,
        "one mail per request: {:?}",
        mails(&supplier.admin.email)
    );
}

#[test]
fn approvals_and_messages_are_mailed_and_delivered() {
    let (customer, supplier) = partners();
    let receiver = Receiver::start(&[]);
    register(
        supplier.api(),
        &receiver.url,
        Some(&["approval.decided", "talk.message"]),
    );
    let doc = upload(&supplier, &customer);
    let doc_id = doc["id"].as_str().unwrap();
    let path = format!("/v1/documents/{doc_id}/proofs");
    let request = supplier
        .api()
        .raw(Method::POST, &path)
        .header("Tradepost-Filename", "proof-4711.pdf")
        .header("Content-Type", "application/pdf")
        .body(b"%PDF-1.7\nproof\n%%EOF\n".to_vec());
    let approval = supplier.api().run(Method::POST, &path, request).expect(201);
    let approval_id = approval["id"].as_str().unwrap();

    let asked = wait_for_mail(&customer.admin.email, "approval_requested");
    assert!(
        asked["subject"]
            .as_str()
            .unwrap()
            .contains("proof-4711.pdf"),
        "{asked}"
    );
    assert!(asked["subject"].as_str().unwrap().contains(&supplier.name));
    assert!(asked["link"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/approvals/{approval_id}")));

    customer.api().post(
        &format!("/v1/approvals/{approval_id}/approve"),
        json!({"comment": "Colours look right"}),
        200,
    );
    let decided = wait_for_mail(&supplier.admin.email, "approval_decided");
    assert!(decided["subject"].as_str().unwrap().contains("approved"));
    assert!(
        decided["text"]
            .as_str()
            .unwrap()
            .contains("> Colours look right"),
        "{decided}"
    );
    let event = receiver.wait_for_type("approval.decided", 10).json();
    assert_eq!(event["data"]["approval_id"], json!(approval_id));
    assert_eq!(event["data"]["decision"], "approved");

    let thread = customer.api().post(
        "/v1/threads",
        json!({"partner": supplier.id, "subject": "Order 4711", "text": "When can you ship?"}),
        201,
    );
    let thread_id = thread["id"].as_str().unwrap();
    let message = wait_for_mail(&supplier.admin.email, "new_message");
    assert!(message["subject"].as_str().unwrap().contains("Order 4711"));
    assert!(message["text"]
        .as_str()
        .unwrap()
        .contains("> When can you ship?"));
    assert!(message["link"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/threads/{thread_id}")));
    let event = receiver.wait_for_type("talk.message", 10).json();
    assert_eq!(event["data"]["thread_id"], json!(thread_id));
    assert_eq!(event["data"]["excerpt"], "When can you ship?");
}

#[test]
fn people_choose_which_events_they_get_by_mail() {
    let (customer, supplier) = partners();
    let admin = &customer.admin;
    let defaults = admin.api.get("/v1/me/notifications", 200);
    assert_eq!(defaults["default"], true);
    assert_eq!(
        defaults["events"],
        json!([
            "document.deposited",
            "approval.requested",
            "approval.decided",
            "talk.message",
            "relationship.requested",
            "appointment.proposed",
            "appointment.decided",
            "invoice.disputed",
            "invoice.paid",
            "invoice.overdue",
            "task.assigned",
            "task.due",
            "complaint.filed",
            "complaint.status_changed",
            "complaint.commented",
            "quote.requested",
            "quote.quoted",
            "quote.status_changed",
            "quote.commented"
        ])
    );
    admin
        .api
        .send(
            Method::PUT,
            "/v1/me/notifications",
            Some(&json!({"events": ["talk.message", "card.received"]})),
        )
        .expect_invalid_field("events[1]");
    let key = api_key(&customer, &["documents.receive"]);
    key.api.refused(
        Method::GET,
        "/v1/me/notifications",
        None,
        403,
        "user_required",
    );
    // The admin opts out of documents; a German colleague opts in; a Polish one keeps defaults.
    let chosen = admin.api.put(
        "/v1/me/notifications",
        json!({"events": ["talk.message"]}),
        200,
    );
    assert_eq!(chosen["default"], false);
    assert_eq!(chosen["events"], json!(["talk.message"]));
    let german = invite_colleague(&customer, &["documents.receive"]);
    german.api.patch("/v1/me", json!({"language": "de"}), 200);
    german.api.put(
        "/v1/me/notifications",
        json!({"events": ["document.deposited", "talk.message"]}),
        200,
    );
    let polish = invite_colleague(&customer, &["documents.receive"]);
    polish.api.patch("/v1/me", json!({"language": "pl"}), 200);
    let no_permission = invite_colleague(&customer, &["talk"]);

    let doc = upload(&supplier, &customer);
    let de = wait_for_mail(&german.email, "document_received");
    assert_eq!(de["language"], "de");
    assert!(
        de["subject"]
            .as_str()
            .unwrap()
            .starts_with("Neues Dokument von"),
        "{de}"
    );
    let link = de["link"].as_str().unwrap();
    assert!(
        link.ends_with(&format!("/documents/{}", doc["id"].as_str().unwrap())),
        "{link}"
    );
    let pl = wait_for_mail(&polish.email, "document_received");
    assert_eq!(pl["language"], "pl");
    assert!(pl["subject"].as_str().unwrap().starts_with("Nowy dokument"));
    // Given time, the admin (opted out) and the colleague who may not receive documents got
    // nothing, and nobody got the mail twice.
    sleep(Duration::from_secs(2));
    let count = |to: &str| {
        mails(to)
            .iter()
            .filter(|m| m["template"] == "document_received")
            .count()
    };
    assert_eq!(count(&admin.email), 0);
    assert_eq!(count(&no_permission.email), 0);
    assert_eq!(count(&german.email), 1);
    assert_eq!(count(&polish.email), 1);
}
