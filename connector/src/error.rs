//! What can go wrong, each with the exit code the program ends with (docs/connector.md lists them).

use std::fmt;

/// An error of a command, with the exit code it ends the program with.
#[derive(Debug)]
pub enum Error {
    /// No base URL or API key, or an unreadable config file. Exit 3.
    Config(String),
    /// The key is wrong or revoked (401), or lacks a permission (403). Exit 4.
    Auth(Problem),
    /// An unknown partner, document or upload (404). Exit 5.
    NotFound(Problem),
    /// The API refused the request or the file (409, 413, 415, 422, other 4xx). Exit 6.
    Refused(Problem),
    /// The API could not be reached, or answered a server error. Exit 7; worth retrying.
    Unavailable(String),
    /// A fetched file does not match its SHA-256 or size. Exit 8.
    Integrity(String),
    /// The import command of `--then` failed. Exit 9.
    Import(String),
    /// A local file or folder could not be read or written. Exit 10.
    Io(String),
}

/// An RFC 9457 problem as the API answers it.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct Problem {
    #[serde(default)]
    pub status: u16,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default)]
    pub field: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.status, self.code)?;
        if let Some(field) = &self.field {
            write!(f, " (field `{field}`)")?;
        }
        match &self.detail {
            Some(detail) => write!(f, ": {detail}"),
            None if !self.title.is_empty() => write!(f, ": {}", self.title),
            None => Ok(()),
        }
    }
}

impl Error {
    /// The process exit code for this error.
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Config(_) => 3,
            Self::Auth(_) => 4,
            Self::NotFound(_) => 5,
            Self::Refused(_) => 6,
            Self::Unavailable(_) => 7,
            Self::Integrity(_) => 8,
            Self::Import(_) => 9,
            Self::Io(_) => 10,
        }
    }

    /// A short stable name for `--json` output.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Config(_) => "config",
            Self::Auth(_) => "auth",
            Self::NotFound(_) => "not_found",
            Self::Refused(_) => "refused",
            Self::Unavailable(_) => "unavailable",
            Self::Integrity(_) => "integrity",
            Self::Import(_) => "import",
            Self::Io(_) => "io",
        }
    }

    /// Whether trying the same again later may succeed (the network, the server), as opposed to
    /// a refusal that will stand (a file that goes to `failed/`).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::Io(_))
    }

    /// The problem behind an API refusal, if this is one.
    #[must_use]
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            Self::Auth(p) | Self::NotFound(p) | Self::Refused(p) => Some(p),
            _ => None,
        }
    }

    /// An error for an API answer of `status` with `problem` as its body.
    #[must_use]
    pub fn from_problem(problem: Problem) -> Self {
        match problem.status {
            401 | 403 => Self::Auth(problem),
            404 => Self::NotFound(problem),
            500..=599 => Self::Unavailable(problem.to_string()),
            _ => Self::Refused(problem),
        }
    }

    /// A local I/O failure on `what`.
    pub fn io(what: impl fmt::Display, err: &std::io::Error) -> Self {
        Self::Io(format!("{what}: {err}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(m) => write!(f, "configuration: {m}"),
            Self::Auth(p) if p.status == 401 => write!(
                f,
                "the API key was not accepted (wrong, revoked or expired): {p}"
            ),
            Self::Auth(p) => write!(f, "not allowed: {p}"),
            Self::NotFound(p) => write!(f, "not found: {p}"),
            Self::Refused(p) => write!(f, "refused: {p}"),
            Self::Unavailable(m) => write!(f, "the API is not available: {m}"),
            Self::Integrity(m) => write!(f, "integrity check failed: {m}"),
            Self::Import(m) => write!(f, "import command failed: {m}"),
            Self::Io(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Runs `f` again while it fails with [`Error::Unavailable`] (the network, a server error, a
/// stack that is restarting), up to five times in all, 1, 2, 4 and 8 s apart. Only for calls
/// that are safe to repeat: every call of the API the connector makes is (uploads carry an
/// idempotency key, parts replace each other, acknowledgements and reports are recorded once).
///
/// # Errors
/// The last error, or the first one that is not transient.
pub fn retrying<T>(mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let mut wait = std::time::Duration::from_secs(1);
    for _ in 0..4 {
        match f() {
            Err(Error::Unavailable(_)) => {
                std::thread::sleep(wait);
                wait *= 2;
            }
            other => return other,
        }
    }
    f()
}
