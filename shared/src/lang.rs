//! The languages Tradepost speaks to people in (mails, and whatever the portal asks for), and how
//! one is chosen: an explicit setting first, else the browser's `Accept-Language`, else English.

use serde::{Deserialize, Serialize};

/// A supported language, stored and sent as its ISO 639-1 code.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// English, the fallback for everything.
    #[default]
    En,
    /// German.
    De,
    /// Polish.
    Pl,
}

impl Language {
    /// Every supported language, fallback first.
    pub const ALL: [Language; 3] = [Language::En, Language::De, Language::Pl];

    /// The ISO 639-1 code: `en`, `de`, `pl`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Pl => "pl",
        }
    }

    /// Parses a language code given in a request field. Surrounding spaces and case are ignored.
    ///
    /// # Errors
    /// A 422 naming `field` when the code is not one of the supported languages.
    pub fn parse(field: &str, text: &str) -> crate::Result<Language> {
        let wanted = text.trim();
        Self::ALL
            .into_iter()
            .find(|lang| lang.as_str().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| crate::Error::invalid(field, "must be one of en, de, pl"))
    }

    /// Picks the supported language the client prefers most from an `Accept-Language` header
    /// (RFC 9110 §12.5.4): entries are ranked by `q` (ties keep header order), `q=0` means "not
    /// this one", regional variants count for their base language (`de-AT` is German), and
    /// anything unusable is skipped. Falls back to English.
    #[must_use]
    pub fn from_accept_language(header: &str) -> Language {
        let mut ranked: Vec<(u16, Language)> = header
            .split(',')
            .filter_map(|entry| {
                let mut parts = entry.split(';');
                let tag = parts.next()?.trim();
                let primary = tag.split(['-', '_']).next()?;
                let lang = Self::ALL
                    .into_iter()
                    .find(|lang| lang.as_str().eq_ignore_ascii_case(primary))?;
                let mut quality = 1000;
                for param in parts {
                    if let Some((name, value)) = param.split_once('=') {
                        if name.trim().eq_ignore_ascii_case("q") {
                            quality = parse_quality(value.trim())?;
                        }
                    }
                }
                (quality > 0).then_some((quality, lang))
            })
            .collect();
        // A stable sort keeps header order among equal weights.
        ranked.sort_by_key(|&(quality, _)| std::cmp::Reverse(quality));
        ranked.first().map_or(Language::En, |&(_, lang)| lang)
    }
}

/// A `qvalue` (`0`, `0.5`, `1.000`) in thousandths; `None` when it is not one.
fn parse_quality(text: &str) -> Option<u16> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(3)
        .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

impl std::fmt::Display for Language {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_parse_and_serde() {
        for lang in Language::ALL {
            assert_eq!(Language::parse("language", lang.as_str()).unwrap(), lang);
            let json = serde_json::to_string(&lang).unwrap();
            assert_eq!(json, format!("\"{}\"", lang.as_str()));
            assert_eq!(serde_json::from_str::<Language>(&json).unwrap(), lang);
        }
        assert_eq!(Language::parse("language", " DE ").unwrap(), Language::De);
        assert_eq!(Language::default(), Language::En);
    }

    #[test]
    fn unknown_codes_are_refused_naming_the_field() {
        for bad in ["fr", "", "english", "de-DE"] {
            let err = Language::parse("language", bad).unwrap_err();
            assert_eq!(err.status(), 422, "{bad}");
            assert_eq!(err.problem().field.as_deref(), Some("language"));
        }
        assert!(serde_json::from_str::<Language>("\"fr\"").is_err());
    }

    #[test]
    fn accept_language_picks_the_best_supported_entry() {
        let table = [
            ("", Language::En),
            ("*", Language::En),
            ("fr-FR, fr;q=0.9", Language::En),
            ("de-DE,de;q=0.9,en;q=0.8", Language::De),
            ("pl", Language::Pl),
            ("fr;q=1, pl;q=0.7, de;q=0.5", Language::Pl),
            ("en;q=0.1, de;q=0.9", Language::De),
            ("de;q=0.5, pl;q=0.5", Language::De),
            ("pl;q=0, de", Language::De),
            ("de;q=0", Language::En),
            ("DE-at", Language::De),
            ("pl_PL", Language::Pl),
            ("de;q=banana, pl;q=0.2", Language::Pl),
            ("de;q=1.5, pl;q=0.2", Language::Pl),
            ("en-US,en;q=0.9,pl;q=0.8", Language::En),
            (" de ; q=0.800 , en ; q=0.799", Language::De),
        ];
        for (header, expected) in table {
            assert_eq!(
                Language::from_accept_language(header),
                expected,
                "{header:?}"
            );
        }
    }

    #[test]
    fn qvalues_parse_as_rfc_9110_defines_them() {
        assert_eq!(parse_quality("1"), Some(1000));
        assert_eq!(parse_quality("1.000"), Some(1000));
        assert_eq!(parse_quality("0.5"), Some(500));
        assert_eq!(parse_quality("0.05"), Some(50));
        assert_eq!(parse_quality("0"), Some(0));
        assert_eq!(parse_quality("1.001"), None);
        assert_eq!(parse_quality("0.1234"), None);
        assert_eq!(parse_quality("-1"), None);
        assert_eq!(parse_quality("0.x"), None);
    }
}
