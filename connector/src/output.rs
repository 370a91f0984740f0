//! Plain lines for people, or one JSON object per line for scripts (`--json`).

use serde::Serialize;
use serde_json::{json, Value};

use crate::error::Error;

/// Where results go.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub json: bool,
}

impl Out {
    /// A result: `human` for people, `value` for scripts; both on standard output.
    pub fn result(&self, human: &str, value: &impl Serialize) {
        if self.json {
            println!("{}", serde_json::to_string(value).unwrap_or_default());
        } else {
            println!("{human}");
        }
    }

    /// Something worth knowing that is not a result (on standard error for people).
    pub fn note(&self, text: &str) {
        if self.json {
            println!("{}", json!({"note": text}));
        } else {
            eprintln!("{text}");
        }
    }

    /// A warning: the program goes on.
    pub fn warn(&self, text: &str) {
        if self.json {
            println!("{}", json!({"warning": text}));
        } else {
            eprintln!("warning: {text}");
        }
    }

    /// One run of a sync operation.
    pub fn run(&self, operation: &str, files: u64, errors: u64, messages: &[String]) {
        let at = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        if self.json {
            println!(
                "{}",
                json!({"run": operation, "at": at, "files": files, "errors": errors, "messages": messages})
            );
        } else {
            println!("{at} {operation}: {files} files, {errors} errors");
            for m in messages {
                println!("  {m}");
            }
        }
    }

    /// The error a command ended with.
    pub fn error(&self, err: &Error) {
        if self.json {
            let mut v = json!({"error": err.kind(), "message": err.to_string(), "exit_code": err.exit_code()});
            if let (Some(p), Some(map)) = (err.problem(), v.as_object_mut()) {
                map.insert(
                    "problem".into(),
                    serde_json::to_value(p).unwrap_or(Value::Null),
                );
            }
            println!("{v}");
        } else {
            eprintln!("tradepost: {err}");
        }
    }
}
