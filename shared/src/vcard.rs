//! Digital business cards: the card a person fills in, its validation, and its export as a
//! vCard 4.0 (RFC 6350) that address books on every platform import.

use chrono::{Datelike as _, Timelike as _};
use serde::{Deserialize, Serialize};

use crate::time::Timestamp;
use crate::{validate, Result};

/// Longest name, in characters.
pub const NAME_MAX: usize = 120;
/// Longest value of every other field, in characters.
pub const FIELD_MAX: usize = 200;
/// Longest line of a vCard in octets, without the line break (RFC 6350 §3.2).
const LINE_OCTETS: usize = 75;

/// A person's business card, as entered and as stored (JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Card {
    /// Full name as it should be shown, e.g. "Anna Łukasiewicz".
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    /// Job title.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub title: Option<String>,
    /// Company name.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub company: Option<String>,
    /// Work e-mail address.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub email: Option<String>,
    /// Work phone.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub phone: Option<String>,
    /// Mobile phone.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub mobile: Option<String>,
    /// Street and number.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub street: Option<String>,
    /// Postal code.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub postal_code: Option<String>,
    /// City.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub city: Option<String>,
    /// Country.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub country: Option<String>,
}

impl Card {
    /// Checks and normalises every field: texts trimmed (blank optional fields dropped), the name
    /// 1 to 120 characters, every other field at most 200, the e-mail a valid address (lower-cased),
    /// phone numbers only of digits, spaces and `+ - / ( ) .`.
    ///
    /// # Errors
    /// A 422 naming the first field that is not acceptable.
    pub fn validated(self) -> Result<Card> {
        let optional = |field: &str, value: Option<String>| {
            validate::optional_text(field, value.as_deref(), FIELD_MAX)
        };
        let email = match optional("email", self.email)? {
            Some(address) => Some(validate::email("email", &address)?),
            None => None,
        };
        Ok(Card {
            name: validate::text("name", &self.name, 1, NAME_MAX)?,
            title: optional("title", self.title)?,
            company: optional("company", self.company)?,
            email,
            phone: phone("phone", optional("phone", self.phone)?)?,
            mobile: phone("mobile", optional("mobile", self.mobile)?)?,
            street: optional("street", self.street)?,
            postal_code: optional("postal_code", self.postal_code)?,
            city: optional("city", self.city)?,
            country: optional("country", self.country)?,
        })
    }
}

fn phone(field: &str, value: Option<String>) -> Result<Option<String>> {
    let allowed = |c: char| c.is_ascii_digit() || " +-/().".contains(c);
    match value {
        Some(number) if !number.chars().all(allowed) => Err(crate::Error::invalid(
            field,
            "may contain only digits, spaces and + - / ( ) .",
        )),
        Some(number) if !number.chars().any(|c| c.is_ascii_digit()) => {
            Err(crate::Error::invalid(field, "must contain digits"))
        }
        other => Ok(other),
    }
}

/// Renders a card as a vCard 4.0: CRLF line ends, values escaped as RFC 6350 §3.4 demands, long
/// lines folded at 75 octets without splitting a character.
///
/// The structured name (`N`) is derived from the full name: "Family, Given" when written so,
/// otherwise the last word is taken as the family name and the rest as given names. `uid` identifies the card across updates (a contact id),
/// `revision` is when it last changed.
#[must_use]
pub fn to_vcard(card: &Card, uid: &str, revision: Timestamp) -> String {
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&fold(&text));
        out.push_str("\r\n");
    };
    line("BEGIN:VCARD".to_owned());
    line("VERSION:4.0".to_owned());
    line(format!("FN:{}", escape(&card.name)));
    let (family, given) = split_name(&card.name);
    line(format!("N:{};{};;;", escape(family), escape(given)));
    if let Some(company) = &card.company {
        line(format!("ORG:{}", escape(company)));
    }
    if let Some(title) = &card.title {
        line(format!("TITLE:{}", escape(title)));
    }
    if let Some(email) = &card.email {
        line(format!("EMAIL:{}", escape(email)));
    }
    if let Some(phone) = &card.phone {
        line(format!("TEL;TYPE=work,voice:{}", escape(phone)));
    }
    if let Some(mobile) = &card.mobile {
        line(format!("TEL;TYPE=cell:{}", escape(mobile)));
    }
    let address = [&card.street, &card.city, &card.postal_code, &card.country];
    if address.iter().any(|part| part.is_some()) {
        let part = |p: &Option<String>| p.as_deref().map(escape).unwrap_or_default();
        // PO box; extended address; street; locality; region; postal code; country.
        line(format!(
            "ADR;TYPE=work:;;{};{};;{};{}",
            part(&card.street),
            part(&card.city),
            part(&card.postal_code),
            part(&card.country)
        ));
    }
    line(format!("UID:{}", escape(uid)));
    line(format!(
        "REV:{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        revision.year(),
        revision.month(),
        revision.day(),
        revision.hour(),
        revision.minute(),
        revision.second()
    ));
    line("END:VCARD".to_owned());
    out
}

/// Splits a full name into family and given names: "Family, Given" when written that way,
/// otherwise the last word is the family name.
fn split_name(name: &str) -> (&str, &str) {
    let name = name.trim();
    let (family, given) = match name.split_once(',') {
        Some((family, given)) => (family, given),
        None => match name.rsplit_once(char::is_whitespace) {
            Some((given, family)) => (family, given),
            None => (name, ""),
        },
    };
    (family.trim(), given.trim())
}

/// Escapes a text value (RFC 6350 §3.4): backslash, comma, semicolon and line breaks.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ',' => out.push_str("\\,"),
            ';' => out.push_str("\\;"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            other => out.push(other),
        }
    }
    out
}

/// Folds a content line (RFC 6350 §3.2): no physical line longer than 75 octets, continuation
/// lines start with one space, and a multi-octet UTF-8 character is never split.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + line.len() / LINE_OCTETS * 3);
    let mut used = 0;
    for c in line.chars() {
        if used + c.len_utf8() > LINE_OCTETS {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += c.len_utf8();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn revision() -> Timestamp {
        crate::time::parse("t", "2026-03-01T09:08:07.654Z").unwrap()
    }

    fn full_card() -> Card {
        Card {
            name: "Anna Łukasiewicz".into(),
            title: Some("Einkaufsleiterin".into()),
            company: Some("Müller & Söhne GmbH".into()),
            email: Some("anna@mueller.example".into()),
            phone: Some("+49 (0)30 123-456".into()),
            mobile: Some("+48 601 234 567".into()),
            street: Some("Hauptstraße 1".into()),
            postal_code: Some("10115".into()),
            city: Some("Berlin".into()),
            country: Some("Deutschland".into()),
        }
    }

    fn unfold(text: &str) -> String {
        text.replace("\r\n ", "")
    }

    #[test]
    fn a_full_card_renders_every_property_in_order() {
        let text = to_vcard(&full_card(), "con_01kjmma2g0gxmsgyn6f8d6eyz4", revision());
        let expected = [
            "BEGIN:VCARD",
            "VERSION:4.0",
            "FN:Anna Łukasiewicz",
            "N:Łukasiewicz;Anna;;;",
            "ORG:Müller & Söhne GmbH",
            "TITLE:Einkaufsleiterin",
            "EMAIL:anna@mueller.example",
            "TEL;TYPE=work,voice:+49 (0)30 123-456",
            "TEL;TYPE=cell:+48 601 234 567",
            "ADR;TYPE=work:;;Hauptstraße 1;Berlin;;10115;Deutschland",
            "UID:con_01kjmma2g0gxmsgyn6f8d6eyz4",
            "REV:20260301T090807Z",
            "END:VCARD",
        ]
        .join("\r\n")
            + "\r\n";
        assert_eq!(text, expected);
    }

    #[test]
    fn a_minimal_card_has_only_the_required_properties() {
        let card = Card {
            name: "Zoë".into(),
            ..Card::default()
        };
        let text = to_vcard(&card, "u1", revision());
        assert_eq!(
            text,
            "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Zoë\r\nN:Zoë;;;;\r\nUID:u1\r\nREV:20260301T090807Z\r\nEND:VCARD\r\n"
        );
        assert!(!text.contains("ADR"));
        assert!(!text.contains("TEL"));
    }

    #[test]
    fn structured_names_split_family_from_given() {
        assert_eq!(
            split_name("Anna Maria Łukasiewicz"),
            ("Łukasiewicz", "Anna Maria")
        );
        assert_eq!(split_name("Gößwein, Jörg"), ("Gößwein", "Jörg"));
        assert_eq!(split_name(" Madonna "), ("Madonna", ""));
    }

    #[test]
    fn line_ends_are_crlf_only() {
        let text = to_vcard(&full_card(), "u1", revision());
        assert_eq!(text.matches('\n').count(), text.matches("\r\n").count());
        assert_eq!(text.matches('\r').count(), text.matches("\r\n").count());
    }

    #[test]
    fn special_characters_are_escaped() {
        assert_eq!(escape(r"a\b"), r"a\\b");
        assert_eq!(escape("Sales, EMEA; Ops"), r"Sales\, EMEA\; Ops");
        assert_eq!(
            escape("line1\nline2\r\nline3\rline4"),
            r"line1\nline2\nline3\nline4"
        );
        let card = Card {
            name: "Doe, John".into(),
            title: Some("Head of R&D; Tools\nand more".into()),
            company: Some(r"Back\Slash Ltd.".into()),
            ..Card::default()
        };
        let text = to_vcard(&card, "u1", revision());
        assert!(text.contains("FN:Doe\\, John\r\n"), "{text}");
        assert!(text.contains("N:Doe;John;;;\r\n"), "{text}");
        assert!(
            text.contains("TITLE:Head of R&D\\; Tools\\nand more\r\n"),
            "{text}"
        );
        assert!(text.contains("ORG:Back\\\\Slash Ltd.\r\n"), "{text}");
    }

    #[test]
    fn long_lines_fold_at_75_octets() {
        let card = Card {
            name: "A".repeat(200),
            ..Card::default()
        };
        let text = to_vcard(&card, "u1", revision());
        for physical in text.split("\r\n") {
            assert!(
                physical.len() <= 75,
                "{} octets: {physical:?}",
                physical.len()
            );
        }
        assert!(text.contains("\r\n A"));
        assert!(unfold(&text).contains(&format!("FN:{}\r\n", "A".repeat(200))));
        let fn_line = text.split("\r\n").find(|l| l.starts_with("FN:")).unwrap();
        assert_eq!(fn_line.len(), 75);
    }

    #[test]
    fn folding_never_splits_a_utf8_character() {
        // "ł" is two octets: after "FN:" (3 octets) 36 of them fill 75 octets exactly; the
        // 37th must move whole to the next line.
        let name = "ł".repeat(100);
        let folded = fold(&format!("FN:{name}"));
        let lines: Vec<&str> = folded.split("\r\n").collect();
        assert_eq!(lines[0].len(), 75);
        assert!(lines.iter().all(|l| l.len() <= 75));
        assert_eq!(lines[1].len(), 75, "a space plus 37 two-octet characters");
        assert_eq!(folded.replace("\r\n ", ""), format!("FN:{name}"));

        // A three-octet character that would straddle the limit moves whole.
        let folded = fold(&format!("{}€€", "x".repeat(73)));
        assert_eq!(folded, format!("{}\r\n €€", "x".repeat(73)));
        assert_eq!(fold(&"y".repeat(75)), "y".repeat(75));
    }

    #[test]
    fn german_and_polish_names_survive_escaping_and_folding() {
        let card = Card {
            name: "Małgorzata Gößwein-Żółtowska".into(),
            company: Some(
                "Zakład Poligraficzny Łódź sp. z o.o., Abteilung Qualitätssicherung und Äußeres"
                    .into(),
            ),
            ..Card::default()
        };
        let text = to_vcard(&card, "u1", revision());
        let unfolded = unfold(&text);
        assert!(unfolded.contains("FN:Małgorzata Gößwein-Żółtowska\r\n"));
        assert!(unfolded.contains("N:Gößwein-Żółtowska;Małgorzata;;;\r\n"));
        assert!(unfolded.contains(
            "ORG:Zakład Poligraficzny Łódź sp. z o.o.\\, Abteilung Qualitätssicherung und Äußeres\r\n"
        ));
        assert!(text.split("\r\n").all(|l| l.len() <= 75));
    }

    #[test]
    fn validation_trims_normalises_and_refuses_blanks() {
        let blank = Card {
            name: "Anna".into(),
            title: Some("   ".into()),
            ..Card::default()
        };
        assert_eq!(
            blank.validated().unwrap_err().problem().field.as_deref(),
            Some("title")
        );
        let card = Card {
            name: "  Anna Łukasiewicz ".into(),
            email: Some(" Anna@Mueller.Example ".into()),
            phone: Some(" +49 30 1234/56 ".into()),
            ..Card::default()
        }
        .validated()
        .unwrap();
        assert_eq!(card.name, "Anna Łukasiewicz");
        assert_eq!(card.email.as_deref(), Some("anna@mueller.example"));
        assert_eq!(card.title, None);
        assert_eq!(card.phone.as_deref(), Some("+49 30 1234/56"));
        assert_eq!(full_card().validated().unwrap(), full_card());
    }

    #[test]
    fn validation_names_the_offending_field() {
        let cases: Vec<(&str, Card)> = vec![
            ("name", Card::default()),
            (
                "name",
                Card {
                    name: "x".repeat(121),
                    ..Card::default()
                },
            ),
            (
                "title",
                Card {
                    title: Some("x".repeat(201)),
                    ..full_card()
                },
            ),
            (
                "company",
                Card {
                    company: Some("x".repeat(201)),
                    ..full_card()
                },
            ),
            (
                "street",
                Card {
                    street: Some("x".repeat(201)),
                    ..full_card()
                },
            ),
            (
                "postal_code",
                Card {
                    postal_code: Some("x".repeat(201)),
                    ..full_card()
                },
            ),
            (
                "city",
                Card {
                    city: Some("x".repeat(201)),
                    ..full_card()
                },
            ),
            (
                "country",
                Card {
                    country: Some("x".repeat(201)),
                    ..full_card()
                },
            ),
            (
                "email",
                Card {
                    email: Some("not-an-address".into()),
                    ..full_card()
                },
            ),
            (
                "phone",
                Card {
                    phone: Some("+49 30 CALL-ME".into()),
                    ..full_card()
                },
            ),
            (
                "phone",
                Card {
                    phone: Some("+()".into()),
                    ..full_card()
                },
            ),
            (
                "mobile",
                Card {
                    mobile: Some("0171;DROP".into()),
                    ..full_card()
                },
            ),
        ];
        for (field, card) in cases {
            let err = card.validated().unwrap_err();
            assert_eq!(err.status(), 422, "{field}");
            assert_eq!(err.problem().field.as_deref(), Some(field));
        }
        assert!(Card {
            name: "x".repeat(120),
            ..full_card()
        }
        .validated()
        .is_ok());
        assert!(Card {
            city: Some("x".repeat(200)),
            ..full_card()
        }
        .validated()
        .is_ok());
    }

    #[test]
    fn cards_deserialise_strictly() {
        let card: Card = serde_json::from_str(r#"{"name":"Anna","city":"Kraków"}"#).unwrap();
        assert_eq!(card.city.as_deref(), Some("Kraków"));
        assert_eq!(card.email, None);
        assert!(serde_json::from_str::<Card>(r#"{"name":"Anna","fax":"1"}"#).is_err());
        assert!(serde_json::from_str::<Card>(r#"{"city":"Kraków"}"#).is_err());
        let json = serde_json::to_string(&full_card()).unwrap();
        assert_eq!(serde_json::from_str::<Card>(&json).unwrap(), full_card());
    }
}
