//! A small W3C WebDriver client for the portal's browser tests: it starts Debian's
//! `chromedriver` on a free port, opens one headless Chromium session, and offers what a test
//! of a clerk's clicks needs (navigate, find by CSS, click, type, read text and attributes,
//! wait until, run a script, screenshot). Every action that looks for an element waits for it,
//! and retries while the page re-renders, so tests never sleep for a fixed time.
//!
//! When a test panics, [`Browser`]'s `Drop` keeps a screenshot under
//! `test-artifacts/screenshots/<test>.png`; it always ends the session and chromedriver.
// Test support code: a broken expectation must stop the test with a message saying what was
// expected, so panicking is its purpose here.
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use reqwest::blocking::Client;
use serde_json::{json, Value};

/// How long finding an element or waiting for a condition may take by default: the machine is
/// shared and the stack answers slowly under a parallel test run.
pub const WAIT: Duration = Duration::from_secs(30);

/// The W3C key under which an element reference travels.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// One headless Chromium, driven through its own chromedriver.
pub struct Browser {
    http: Client,
    driver: Child,
    driver_url: String,
    session: String,
    /// The portal's base URL (`TRADEPOST_URL`).
    pub base: String,
    name: String,
}

/// A WebDriver error answer: `error` code and message.
#[derive(Debug)]
pub struct DriverError {
    pub error: String,
    pub message: String,
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("a local address").port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium for the test `name` (used for screenshots).
    /// `CHROMEDRIVER` and `CHROMIUM` override the binaries.
    #[must_use]
    pub fn start(name: &str) -> Self {
        let http = Client::builder()
            .timeout(Duration::from_secs(120))
            .build()
            .expect("the WebDriver HTTP client should build");
        let driver_bin = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
        let mut last_error = String::new();
        for _ in 0..3 {
            let port = free_port();
            let mut driver = Command::new(&driver_bin)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| {
                    panic!(
                        "cannot start {driver_bin} ({e}); scripts/setup installs chromium-driver"
                    )
                });
            let driver_url = format!("http://127.0.0.1:{port}");
            let started = Instant::now();
            let mut ready = false;
            while started.elapsed() < Duration::from_secs(20) {
                if let Ok(r) = http.get(format!("{driver_url}/status")).send() {
                    if r.json::<Value>()
                        .is_ok_and(|v| v["value"]["ready"] == json!(true))
                    {
                        ready = true;
                        break;
                    }
                }
                if let Ok(Some(status)) = driver.try_wait() {
                    last_error = format!("chromedriver exited with {status}");
                    break;
                }
                sleep(Duration::from_millis(100));
            }
            if !ready {
                let _ = driver.kill();
                let _ = driver.wait();
                if last_error.is_empty() {
                    last_error = "chromedriver did not become ready within 20 s".into();
                }
                continue;
            }
            match Self::new_session(&http, &driver_url) {
                Ok(session) => {
                    return Self {
                        http,
                        driver,
                        driver_url,
                        session,
                        base: crate::base_url(),
                        name: name.to_owned(),
                    };
                }
                Err(e) => {
                    last_error = format!("new session: {e}");
                    let _ = driver.kill();
                    let _ = driver.wait();
                }
            }
        }
        panic!("could not start a browser for {name}: {last_error}");
    }

    fn new_session(http: &Client, driver_url: &str) -> Result<String, String> {
        let binary = std::env::var("CHROMIUM").unwrap_or_else(|_| {
            if std::path::Path::new("/usr/lib/chromium/chromium").exists() {
                "/usr/lib/chromium/chromium".into()
            } else {
                "/usr/bin/chromium".into()
            }
        });
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "pageLoadStrategy": "normal",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": binary,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-extensions",
                    "--no-first-run", "--lang=en-US", "--window-size=1280,900",
                ],
                "prefs": {"intl.accept_languages": "en-US,en"},
            },
        }}});
        let answer: Value = http
            .post(format!("{driver_url}/session"))
            .json(&caps)
            .send()
            .map_err(|e| e.to_string())?
            .json()
            .map_err(|e| e.to_string())?;
        answer["value"]["sessionId"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| answer.to_string())
    }

    /// One WebDriver command; the answer's `value`, or the driver's error.
    ///
    /// # Errors
    /// The WebDriver error (`no such element`, `stale element reference`, …).
    pub fn command(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, DriverError> {
        let url = format!("{}/session/{}{path}", self.driver_url, self.session);
        let request = match method {
            "GET" => self.http.get(url),
            "DELETE" => self.http.delete(url),
            _ => self.http.post(url).json(&body.unwrap_or_else(|| json!({}))),
        };
        let response = request.send().map_err(|e| DriverError {
            error: "transport".into(),
            message: e.to_string(),
        })?;
        let ok = response.status().is_success();
        let answer: Value = response.json().map_err(|e| DriverError {
            error: "bad answer".into(),
            message: e.to_string(),
        })?;
        if ok {
            Ok(answer["value"].clone())
        } else {
            Err(DriverError {
                error: answer["value"]["error"]
                    .as_str()
                    .unwrap_or("unknown")
                    .to_owned(),
                message: answer["value"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            })
        }
    }

    fn must(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.command(method, path, body)
            .unwrap_or_else(|e| panic!("WebDriver {method} {path}: {} ({})", e.error, e.message))
    }

    /// Opens `path` of the portal (or an absolute URL).
    pub fn goto(&self, path: &str) {
        let url = if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        };
        self.must("POST", "/url", Some(json!({ "url": url })));
    }

    /// The current URL.
    #[must_use]
    pub fn url(&self) -> String {
        self.must("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its value.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.must(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": args})),
        )
    }

    /// The element ids matching `css` right now.
    #[must_use]
    pub fn find_all(&self, css: &str) -> Vec<String> {
        match self.command(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        ) {
            Ok(Value::Array(items)) => items
                .iter()
                .filter_map(|e| e[ELEMENT].as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Waits until `check` gives `Some`, up to `timeout`; panics with `what` otherwise.
    pub fn wait_until<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut check: impl FnMut() -> Option<T>,
    ) -> T {
        let started = Instant::now();
        loop {
            if let Some(found) = check() {
                return found;
            }
            assert!(
                started.elapsed() < timeout,
                "waited {timeout:?} for {what}; the page ({}) shows:\n{}",
                self.url(),
                self.page_text()
            );
            sleep(Duration::from_millis(150));
        }
    }

    /// Waits for an element matching `css`; its id.
    pub fn find(&self, css: &str) -> String {
        self.wait_until(&format!("an element {css:?}"), WAIT, || {
            self.find_all(css).into_iter().next()
        })
    }

    /// Whether an element matching `css` is on the page right now.
    #[must_use]
    pub fn exists(&self, css: &str) -> bool {
        !self.find_all(css).is_empty()
    }

    /// Clicks the first element matching `css`, waiting for it and retrying while the page
    /// re-renders (a stale or not yet clickable element).
    pub fn click(&self, css: &str) {
        self.wait_until(&format!("a clickable {css:?}"), WAIT, || {
            let id = self.find_all(css).into_iter().next()?;
            self.command("POST", &format!("/element/{id}/click"), None)
                .ok()
        });
    }

    /// Clicks the link or button matching `css` whose text contains `text`.
    pub fn click_text(&self, css: &str, text: &str) {
        self.wait_until(
            &format!("a clickable {css:?} saying {text:?}"),
            WAIT,
            || {
                let id = self.find_all(css).into_iter().find(|id| {
                    self.command("GET", &format!("/element/{id}/text"), None)
                        .is_ok_and(|t| t.as_str().unwrap_or_default().contains(text))
                })?;
                self.command("POST", &format!("/element/{id}/click"), None)
                    .ok()
            },
        );
    }

    /// Replaces the value of the field matching `css` with `text` (typed as keys).
    pub fn fill(&self, css: &str, text: &str) {
        self.wait_until(&format!("a field {css:?} to type into"), WAIT, || {
            let id = self.find_all(css).into_iter().next()?;
            self.command("POST", &format!("/element/{id}/clear"), None)
                .ok()?;
            self.command(
                "POST",
                &format!("/element/{id}/value"),
                Some(json!({ "text": text })),
            )
            .ok()
        });
    }

    /// Chooses the option with `value` in the select matching `css`.
    pub fn select(&self, css: &str, value: &str) {
        self.find(&format!("{css} option[value={value:?}]"));
        self.execute(
            "const s = document.querySelector(arguments[0]); s.value = arguments[1]; \
             s.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![json!(css), json!(value)],
        );
    }

    /// The visible text of the first element matching `css` (waiting for it).
    pub fn text(&self, css: &str) -> String {
        self.wait_until(&format!("the text of {css:?}"), WAIT, || {
            let id = self.find_all(css).into_iter().next()?;
            self.command("GET", &format!("/element/{id}/text"), None)
                .ok()
                .map(|t| t.as_str().unwrap_or_default().to_owned())
        })
    }

    /// Waits until the first element matching `css` shows text containing `want`; the text.
    pub fn wait_text(&self, css: &str, want: &str) -> String {
        self.wait_until(&format!("{css:?} to say {want:?}"), WAIT, || {
            self.find_all(css).into_iter().find_map(|id| {
                let text = self
                    .command("GET", &format!("/element/{id}/text"), None)
                    .ok()?;
                let text = text.as_str().unwrap_or_default();
                text.contains(want).then(|| text.to_owned())
            })
        })
    }

    /// An attribute of the first element matching `css` (waiting for it), if set.
    pub fn attribute(&self, css: &str, name: &str) -> Option<String> {
        let id = self.find(css);
        self.command("GET", &format!("/element/{id}/attribute/{name}"), None)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
    }

    /// A DOM property of the first element matching `css` (waiting for it): `value`, `checked`.
    pub fn property(&self, css: &str, name: &str) -> Value {
        let id = self.find(css);
        self.command("GET", &format!("/element/{id}/property/{name}"), None)
            .unwrap_or(Value::Null)
    }

    /// The whole page's visible text (for failure messages and broad checks).
    #[must_use]
    pub fn page_text(&self) -> String {
        self.command(
            "POST",
            "/execute/sync",
            Some(json!({"script": "return document.body ? document.body.innerText : ''", "args": []})),
        )
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
    }

    /// The browser console's uncaught script errors since the last call (chromedriver's log).
    #[must_use]
    pub fn script_errors(&self) -> Vec<String> {
        let Ok(Value::Array(entries)) =
            self.command("POST", "/se/log", Some(json!({"type": "browser"})))
        else {
            return Vec::new();
        };
        entries
            .iter()
            .filter(|e| e["level"] == "SEVERE")
            .filter_map(|e| e["message"].as_str())
            .filter(|m| m.contains("Uncaught") || m.contains("Error"))
            .filter(|m| !m.contains("Failed to load resource"))
            .map(str::to_owned)
            .collect()
    }

    /// Saves a PNG screenshot of the window at `path`.
    pub fn screenshot(&self, path: &std::path::Path) {
        use base64::Engine as _;
        let Ok(data) = self.command("GET", "/screenshot", None) else {
            return;
        };
        let Ok(png) =
            base64::engine::general_purpose::STANDARD.decode(data.as_str().unwrap_or_default())
        else {
            return;
        };
        if let Some(dir) = path.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = std::fs::write(path, png);
    }

    /// Where this test's failure screenshot goes.
    #[must_use]
    pub fn screenshot_path(&self) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../test-artifacts/screenshots")
            .join(format!("{}.png", self.name))
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let path = self.screenshot_path();
            self.screenshot(&path);
            eprintln!("screenshot of the failed page: {}", path.display());
        }
        let _ = self.command("DELETE", "", None);
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
