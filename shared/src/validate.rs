//! Field validation shared by every endpoint: each function takes the field's name, checks and
//! normalises the value, and fails with a 422 that names the field and says what is allowed.
//!
//! Lengths are counted in characters (Unicode scalar values), not bytes, so "Łódź" is four.

use crate::{Error, Result};

/// Longest accepted e-mail address (RFC 5321 path limit).
pub const EMAIL_MAX: usize = 254;
/// Default page size of list endpoints.
pub const LIMIT_DEFAULT: u32 = 50;
/// Largest page size of list endpoints.
pub const LIMIT_MAX: u32 = 200;

/// Characters refused anywhere in an address: they would need quoting in a mail header, and no
/// business address uses them.
const EMAIL_FORBIDDEN: &[char] = &['<', '>', '(', ')', '[', ']', ',', ';', ':', '"', '\\'];

/// Normalises and checks an e-mail address: trimmed, lower-cased, exactly one `@`, a non-empty
/// local part, a domain of non-empty dot-separated labels with at least one dot, no whitespace,
/// control or header-special characters, at most 254 characters.
///
/// # Errors
/// A 422 naming `field` when the address is not acceptable.
pub fn email(field: &str, text: &str) -> Result<String> {
    let address = text.trim().to_lowercase();
    let invalid = |why: &str| {
        Err(Error::invalid(
            field,
            format!("must be an e-mail address: {why}"),
        ))
    };
    if address.is_empty() {
        return invalid("it is empty");
    }
    if address.chars().count() > EMAIL_MAX {
        return invalid("at most 254 characters");
    }
    if address
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || EMAIL_FORBIDDEN.contains(&c))
    {
        return invalid("no spaces or special characters such as < > , ;");
    }
    let Some((local, domain)) = address.split_once('@') else {
        return invalid("it has no @");
    };
    if domain.contains('@') {
        return invalid("only one @");
    }
    if local.is_empty() {
        return invalid("nothing before the @");
    }
    if !domain.contains('.') || domain.split('.').any(str::is_empty) {
        return invalid("the part after the @ must be a domain such as example.com");
    }
    Ok(address)
}

/// Normalises and checks a company handle (its short public name): lower-cased, 3–32 characters
/// of `a`–`z`, `0`–`9` and `-`, starting with a letter, without a trailing or doubled `-`.
///
/// # Errors
/// A 422 naming `field` when the handle is not acceptable.
pub fn handle(field: &str, text: &str) -> Result<String> {
    let handle = text.trim().to_ascii_lowercase();
    let len = handle.chars().count();
    let invalid = |why: &str| Err(Error::invalid(field, why.to_owned()));
    if !(3..=32).contains(&len) {
        return invalid("must be 3 to 32 characters long");
    }
    if !handle
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return invalid("may contain only letters a-z, digits and -");
    }
    if !handle.starts_with(|c: char| c.is_ascii_lowercase()) {
        return invalid("must start with a letter");
    }
    if handle.ends_with('-') || handle.contains("--") {
        return invalid("must not end with - or contain --");
    }
    Ok(handle)
}

/// Trims a text and checks its length in characters.
///
/// # Errors
/// A 422 naming `field` and the limits when the trimmed text is shorter than `min_chars` or
/// longer than `max_chars`.
pub fn text(field: &str, text: &str, min_chars: usize, max_chars: usize) -> Result<String> {
    let trimmed = text.trim();
    let len = trimmed.chars().count();
    if len < min_chars || len > max_chars {
        let detail = if min_chars == 0 {
            format!("must be at most {max_chars} characters")
        } else if min_chars == max_chars {
            format!("must be exactly {max_chars} characters")
        } else {
            format!("must be {min_chars} to {max_chars} characters")
        };
        return Err(Error::invalid(field, detail));
    }
    Ok(trimmed.to_owned())
}

/// An optional text: absent or blank becomes `None`, anything else is trimmed and limited.
///
/// # Errors
/// A 422 naming `field` when the trimmed text is empty (send `null` to leave a field unset) or
/// longer than `max_chars`.
pub fn optional_text(field: &str, value: Option<&str>, max_chars: usize) -> Result<Option<String>> {
    match value {
        None => Ok(None),
        Some(t) => text(field, t, 1, max_chars).map(Some),
    }
}

/// A percentage between 0 and 100 inclusive.
///
/// # Errors
/// A 422 naming `field` for NaN, infinities and values outside 0–100.
pub fn percent(field: &str, value: f64) -> Result<f64> {
    if value.is_finite() && (0.0..=100.0).contains(&value) {
        Ok(value)
    } else {
        Err(Error::invalid(field, "must be a number from 0 to 100"))
    }
}

/// The page size of a list request, from the raw `limit` query parameter: 50 when absent,
/// otherwise an integer from 1 to 200.
///
/// # Errors
/// A 422 on field `limit` when the value is not such an integer.
pub fn limit(raw: Option<&str>) -> Result<u32> {
    let Some(raw) = raw else {
        return Ok(LIMIT_DEFAULT);
    };
    match raw.trim().parse::<u32>() {
        Ok(n) if (1..=LIMIT_MAX).contains(&n) => Ok(n),
        _ => Err(Error::invalid(
            "limit",
            "must be a whole number from 1 to 200",
        )),
    }
}

/// A company's display name: trimmed, 2 to 120 characters.
///
/// # Errors
/// A 422 naming `field` when the name is too short or too long.
pub fn company_name(field: &str, value: &str) -> Result<String> {
    text(field, value, 2, 120)
}

/// A figure as a caller sends it: a JSON string (exact: `"0.052"`) or a JSON number, read as
/// its text and checked by the caller (`quote::quantity_e3`, `quote::price_e4`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(untagged)]
pub enum Figure {
    Text(String),
    Number(serde_json::Number),
}

impl Figure {
    /// The text of the figure, to be checked.
    #[must_use]
    pub fn text(&self) -> String {
        match self {
            Self::Text(t) => t.clone(),
            Self::Number(n) => n.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(err: &Error) -> Option<String> {
        err.problem().field
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            email("email", "  Anna.Nowak@Example.PL ").unwrap(),
            "anna.nowak@example.pl"
        );
        assert_eq!(
            email("email", "a+tag@sub.example.com").unwrap(),
            "a+tag@sub.example.com"
        );
        assert_eq!(email("email", "jörg@müller.de").unwrap(), "jörg@müller.de");
    }

    #[test]
    fn bad_emails_are_refused_naming_the_field() {
        let too_long = format!("{}@example.com", "a".repeat(243));
        let just_fits = format!("{}@example.com", "a".repeat(242));
        assert_eq!(just_fits.len(), 254);
        assert!(email("email", &just_fits).is_ok());
        for bad in [
            "",
            "   ",
            "plain",
            "@example.com",
            "a@b@example.com",
            "a@localhost",
            "a@.example.com",
            "a@example.com.",
            "a@example..com",
            "a b@example.com",
            "a@exa mple.com",
            "a\n@example.com",
            "Anna <a@example.com>",
            "a,b@example.com",
            "a;b@example.com",
            too_long.as_str(),
        ] {
            let err = email("contact.email", bad).unwrap_err();
            assert_eq!(err.status(), 422, "{bad:?}");
            assert_eq!(field_of(&err).as_deref(), Some("contact.email"), "{bad:?}");
        }
    }

    #[test]
    fn handles_follow_the_rules() {
        assert_eq!(handle("handle", "Acme-Print").unwrap(), "acme-print");
        assert_eq!(handle("handle", "abc").unwrap(), "abc");
        assert_eq!(handle("handle", "a1-b2-c3").unwrap(), "a1-b2-c3");
        assert!(handle("handle", &"a".repeat(32)).is_ok());
        for bad in [
            "ab",
            &"a".repeat(33),
            "1abc",
            "-abc",
            "abc-",
            "ab--c",
            "ab_c",
            "ab c",
            "łódź",
            "",
        ] {
            let err = handle("handle", bad).unwrap_err();
            assert_eq!(err.status(), 422, "{bad:?}");
            assert_eq!(field_of(&err).as_deref(), Some("handle"));
        }
    }

    #[test]
    fn text_trims_and_counts_characters() {
        assert_eq!(text("name", "  Łódź  ", 4, 4).unwrap(), "Łódź");
        assert_eq!(text("name", "ab", 2, 3).unwrap(), "ab");
        let err = text("name", " a ", 2, 120).unwrap_err();
        assert_eq!(field_of(&err).as_deref(), Some("name"));
        assert!(err.problem().detail.contains("2 to 120"));
        let err = text("note", &"ä".repeat(11), 0, 10).unwrap_err();
        assert!(err.problem().detail.contains("at most 10"));
        assert!(text("note", &"ä".repeat(10), 0, 10).is_ok());
    }

    #[test]
    fn optional_text_refuses_blank_and_keeps_absent() {
        assert_eq!(optional_text("note", None, 5).unwrap(), None);
        assert_eq!(
            optional_text("note", Some("   "), 5).unwrap_err().status(),
            422
        );
        assert_eq!(
            optional_text("note", Some(" hi "), 5).unwrap().as_deref(),
            Some("hi")
        );
        let err = optional_text("note", Some("toolong"), 5).unwrap_err();
        assert_eq!(field_of(&err).as_deref(), Some("note"));
    }

    #[test]
    fn percent_is_finite_and_within_bounds() {
        for ok in [0.0, 12.5, 100.0] {
            assert_eq!(percent("discount", ok).unwrap(), ok);
        }
        for bad in [-0.1, 100.01, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let err = percent("discount", bad).unwrap_err();
            assert_eq!(field_of(&err).as_deref(), Some("discount"), "{bad}");
        }
    }

    #[test]
    fn limit_defaults_and_bounds() {
        assert_eq!(limit(None).unwrap(), 50);
        assert_eq!(limit(Some("1")).unwrap(), 1);
        assert_eq!(limit(Some("200")).unwrap(), 200);
        for bad in ["0", "201", "-1", "", "ten", "1.5", "99999999999"] {
            let err = limit(Some(bad)).unwrap_err();
            assert_eq!(err.status(), 422, "{bad:?}");
            assert_eq!(field_of(&err).as_deref(), Some("limit"));
        }
    }

    #[test]
    fn company_names_are_two_to_120_characters() {
        assert_eq!(company_name("name", " Acme GmbH ").unwrap(), "Acme GmbH");
        assert!(company_name("name", "X").is_err());
        assert!(company_name("name", &"x".repeat(120)).is_ok());
        assert!(company_name("name", &"x".repeat(121)).is_err());
    }
}
