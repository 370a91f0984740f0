//! Where the base URL, the API key and the sync settings come from: flags first, then the
//! environment (`TRADEPOST_URL`, `TRADEPOST_API_KEY`), then the config file (`--config`,
//! `TRADEPOST_CONFIG`, `./tradepost.toml`, or the user's config folder).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::{Error, Result};

/// The config file, every key optional (docs/connector.md shows a full one).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub url: Option<String>,
    pub api_key: Option<String>,
    /// A file holding the key (so the config file itself may be shared).
    pub api_key_file: Option<PathBuf>,
    /// Where `send` keeps what it needs to resume a multipart upload.
    pub state_dir: Option<PathBuf>,
    #[serde(default)]
    pub sync: SyncFile,
}

/// The `[sync]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncFile {
    pub root: Option<PathBuf>,
    pub name: Option<String>,
    pub default_to: Option<String>,
    pub default_type: Option<String>,
    pub send_interval: Option<String>,
    pub fetch_interval: Option<String>,
    pub status_interval: Option<String>,
    pub then: Option<String>,
    pub listen: Option<String>,
    pub webhook_secret: Option<String>,
    pub parallel: Option<usize>,
}

/// The connection every command needs.
#[derive(Clone)]
pub struct Connection {
    pub url: String,
    pub api_key: String,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself.
        f.debug_struct("Connection")
            .field("url", &self.url)
            .field("api_key", &redacted(&self.api_key))
            .finish()
    }
}

/// A key as it may be shown: its prefix only (`tp_AbCd…`).
#[must_use]
pub fn redacted(key: &str) -> String {
    let shown: String = key.chars().take(7).collect();
    format!("{shown}…")
}

/// Reads the config file: the one named, or the first that exists of `./tradepost.toml` and
/// the user's `tradepost/config.toml`; none at all is an empty config.
///
/// # Errors
/// A named file that cannot be read, or a file that is not valid TOML of this shape.
pub fn load(named: Option<&Path>) -> Result<(File, Option<PathBuf>)> {
    let path = match named {
        Some(p) => Some(p.to_path_buf()),
        None => candidates().into_iter().find(|p| p.is_file()),
    };
    let Some(path) = path else {
        return Ok((File::default(), None));
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
    let file: File =
        toml::from_str(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
    Ok((file, Some(path)))
}

fn candidates() -> Vec<PathBuf> {
    let mut out = vec![PathBuf::from("tradepost.toml")];
    if let Some(dir) = config_home() {
        out.push(dir.join("tradepost").join("config.toml"));
    }
    out
}

fn config_home() -> Option<PathBuf> {
    if cfg!(windows) {
        std::env::var_os("APPDATA").map(PathBuf::from)
    } else {
        std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
    }
}

/// The folder `send` keeps its resume state in when none is configured.
#[must_use]
pub fn default_state_dir() -> PathBuf {
    let base = if cfg!(windows) {
        std::env::var_os("LOCALAPPDATA").map(PathBuf::from)
    } else {
        std::env::var_os("XDG_STATE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
    };
    base.unwrap_or_else(std::env::temp_dir).join("tradepost")
}

/// The connection from the flag values (which clap already filled from the environment), else
/// the file.
///
/// # Errors
/// No URL or no key anywhere, or an unreadable key file.
pub fn connection(url: Option<&str>, key: Option<&str>, file: &File) -> Result<Connection> {
    let url = url
        .map(str::to_owned)
        .or_else(|| file.url.clone())
        .ok_or_else(|| {
            Error::Config(
                "no base URL: give --url, TRADEPOST_URL or `url` in the config file".into(),
            )
        })?;
    let api_key = match (key, &file.api_key, &file.api_key_file) {
        (Some(k), _, _) => k.to_owned(),
        (None, Some(k), _) => k.clone(),
        (None, None, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("api_key_file {}: {e}", path.display())))?
            .trim()
            .to_owned(),
        (None, None, None) => {
            return Err(Error::Config(
                "no API key: give --api-key, TRADEPOST_API_KEY or `api_key` in the config file"
                    .into(),
            ))
        }
    };
    if !url.starts_with("http://") && !url.starts_with("https://") {
        return Err(Error::Config(format!(
            "the base URL must start with https:// (or http:// locally), not `{url}`"
        )));
    }
    Ok(Connection {
        url: url.trim_end_matches('/').to_owned(),
        api_key,
    })
}

/// Parses an interval as `hh:mm:ss` (as the portal shows it), `90s`, `5m`, `1h` or plain seconds.
///
/// # Errors
/// Anything else, or zero.
pub fn parse_interval(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let secs = if let Some((h, rest)) = t.split_once(':') {
        let (m, s) = rest
            .split_once(':')
            .ok_or_else(|| format!("`{text}`: write hh:mm:ss"))?;
        let part = |p: &str| {
            p.parse::<u64>()
                .map_err(|_| format!("`{text}`: write hh:mm:ss"))
        };
        part(h)? * 3600 + part(m)? * 60 + part(s)?
    } else {
        let (digits, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len()));
        let n: u64 = digits
            .parse()
            .map_err(|_| format!("`{text}`: write hh:mm:ss, or a number with s, m or h"))?;
        match unit {
            "" | "s" => n,
            "m" => n * 60,
            "h" => n * 3600,
            _ => return Err(format!("`{text}`: the unit must be s, m or h")),
        }
    };
    if secs == 0 {
        return Err(format!("`{text}`: an interval must be longer than zero"));
    }
    Ok(Duration::from_secs(secs))
}

/// An interval as `hh:mm:ss`.
#[must_use]
pub fn format_interval(d: Duration) -> String {
    let s = d.as_secs();
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_as_the_portal_writes_them_and_in_short_forms() {
        assert_eq!(parse_interval("00:05:00"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_interval("1:00:30"), Ok(Duration::from_secs(3630)));
        assert_eq!(parse_interval("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_interval("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_interval("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_interval("2h"), Ok(Duration::from_secs(7200)));
        assert!(parse_interval("0").is_err());
        assert!(parse_interval("5 minutes").is_err());
        assert!(parse_interval("1:2").is_err());
        assert_eq!(format_interval(Duration::from_secs(3630)), "01:00:30");
    }

    #[test]
    fn the_key_is_never_shown_whole() {
        let c = Connection {
            url: "https://x".into(),
            api_key: "tp_secretsecretsecret".into(),
        };
        let shown = format!("{c:?}");
        assert!(!shown.contains("secretsecret"), "{shown}");
        assert!(shown.contains("tp_secr…"), "{shown}");
    }

    #[test]
    fn a_missing_url_or_key_names_where_to_give_it() {
        let file = File::default();
        let err = connection(None, Some("tp_x"), &file)
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("TRADEPOST_URL")));
        let err = connection(Some("https://x"), None, &file)
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("TRADEPOST_API_KEY")));
        let ok = connection(Some("https://x/"), Some("tp_x"), &file).ok();
        assert_eq!(ok.map(|c| c.url), Some("https://x".to_owned()));
    }
}
