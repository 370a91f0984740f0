//! A company's profile: legal name, VAT id, addresses (billing, delivery, branches), the party
//! identifiers order files use for it (Peppol EAS scheme and id: `0088` GLN, `0192` a
//! Norwegian organisation number, `9930` a German VAT id, …), and what tells a partner who is
//! who: the VAT id's format checked, the verified e-mail domain, names that closely resemble a
//! company the viewer already deals with.

use serde::{Deserialize, Serialize};

use crate::{validate, Error, Result};

/// A postal address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// A name for it ("Warehouse Poznań", "Head office"); required for branches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub street: String,
    pub postal_code: String,
    pub city: String,
    /// ISO 3166-1 alpha-2 (`DE`, `PL`).
    pub country: String,
}

/// A party identifier of the company as order files carry it: `scheme` is a Peppol EAS code
/// (four digits, e.g. `0088` for a GLN), `id` the identifier in that scheme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyId {
    pub scheme: String,
    pub id: String,
}

impl PartyId {
    /// `scheme:id`, as a Peppol participant id is written (`0088:7300010000001`).
    #[must_use]
    pub fn display(&self) -> String {
        format!("{}:{}", self.scheme, self.id)
    }
}

/// The addresses and identifiers of a profile (stored as one JSON document).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Places {
    #[serde(default)]
    pub billing_address: Option<Address>,
    #[serde(default)]
    pub delivery_addresses: Vec<Address>,
    /// Branches with their own addresses (the organisation structure).
    #[serde(default)]
    pub branches: Vec<Address>,
    #[serde(default)]
    pub identifiers: Vec<PartyId>,
}

/// At most this many delivery addresses, branches or identifiers.
pub const MAX_ENTRIES: usize = 50;

fn check_address(field: &str, a: &Address, label_required: bool) -> Result<Address> {
    let label = validate::optional_text(&format!("{field}.label"), a.label.as_deref(), 100)?;
    if label_required && label.is_none() {
        return Err(Error::invalid(
            format!("{field}.label"),
            "a branch needs a name",
        ));
    }
    let country = a.country.trim().to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(Error::invalid(
            format!("{field}.country"),
            "must be an ISO 3166-1 alpha-2 code such as DE or PL",
        ));
    }
    Ok(Address {
        label,
        street: validate::text(&format!("{field}.street"), &a.street, 1, 200)?,
        postal_code: validate::text(&format!("{field}.postal_code"), &a.postal_code, 1, 20)?,
        city: validate::text(&format!("{field}.city"), &a.city, 1, 100)?,
        country,
    })
}

fn check_list(field: &str, list: &[Address], labelled: bool) -> Result<Vec<Address>> {
    if list.len() > MAX_ENTRIES {
        return Err(Error::invalid(
            field,
            format!("at most {MAX_ENTRIES} entries"),
        ));
    }
    list.iter()
        .enumerate()
        .map(|(i, a)| check_address(&format!("{field}[{i}]"), a, labelled))
        .collect()
}

/// Checks a party identifier: the scheme four digits, the id plain text; a GLN (`0088`) has
/// 13 digits with its GS1 check digit right.
///
/// # Errors
/// A 422 naming `field.scheme` or `field.id`.
pub fn check_party_id(field: &str, p: &PartyId) -> Result<PartyId> {
    let scheme = p.scheme.trim().to_owned();
    if scheme.len() != 4 || !scheme.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(
            format!("{field}.scheme"),
            "must be a Peppol EAS code of four digits, e.g. 0088 for a GLN",
        ));
    }
    let id = validate::text(&format!("{field}.id"), &p.id, 1, 50)?;
    if id.chars().any(char::is_whitespace) {
        return Err(Error::invalid(
            format!("{field}.id"),
            "must not contain spaces",
        ));
    }
    if scheme == "0088" && !gln_valid(&id) {
        return Err(Error::invalid(
            format!("{field}.id"),
            "a GLN has 13 digits and a valid GS1 check digit",
        ));
    }
    Ok(PartyId { scheme, id })
}

/// Checks everything of `places`, naming the offending field.
///
/// # Errors
/// A 422 naming the field (`branches[1].country`, `identifiers[0].id`, …).
pub fn check_places(p: &Places) -> Result<Places> {
    if p.identifiers.len() > MAX_ENTRIES {
        return Err(Error::invalid(
            "identifiers",
            format!("at most {MAX_ENTRIES} entries"),
        ));
    }
    let identifiers = p
        .identifiers
        .iter()
        .enumerate()
        .map(|(i, id)| check_party_id(&format!("identifiers[{i}]"), id))
        .collect::<Result<Vec<_>>>()?;
    for (i, id) in identifiers.iter().enumerate() {
        if identifiers[..i].contains(id) {
            return Err(Error::invalid(format!("identifiers[{i}]"), "given twice"));
        }
    }
    Ok(Places {
        billing_address: p
            .billing_address
            .as_ref()
            .map(|a| check_address("billing_address", a, false))
            .transpose()?,
        delivery_addresses: check_list("delivery_addresses", &p.delivery_addresses, false)?,
        branches: check_list("branches", &p.branches, true)?,
        identifiers,
    })
}

/// Whether `gln` is 13 digits whose last is the GS1 check digit of the first twelve.
#[must_use]
pub fn gln_valid(gln: &str) -> bool {
    let digits: Vec<u32> = gln.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 13 || gln.len() != 13 {
        return false;
    }
    let sum: u32 = digits[..12]
        .iter()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { *d } else { d * 3 })
        .sum();
    (10 - sum % 10) % 10 == digits[12]
}

/// A VAT id as stored: upper case, without spaces, dots or dashes (`DE123456789`).
#[must_use]
pub fn normalise_vat_id(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .flat_map(char::to_uppercase)
        .collect()
}

/// Whether a normalised VAT id has the format of its country (the EU's VIES formats, Great
/// Britain, Switzerland and Norway), with the check digits of Germany and Poland verified.
/// A format, not a registration: no register is asked.
#[must_use]
pub fn vat_format_valid(vat: &str) -> bool {
    let Some((country, rest)) = vat.split_at_checked(2) else {
        return false;
    };
    let digits = |n: usize| rest.len() == n && rest.bytes().all(|b| b.is_ascii_digit());
    let alnum = |min: usize, max: usize| {
        (min..=max).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    match country {
        "DE" => digits(9) && de_check(rest),
        "PL" => digits(10) && pl_check(rest),
        "AT" => {
            rest.len() == 9
                && rest.starts_with('U')
                && rest[1..].bytes().all(|b| b.is_ascii_digit())
        }
        "BE" => digits(10),
        "BG" => digits(9) || digits(10),
        "CY" => rest.len() == 9 && rest[..8].bytes().all(|b| b.is_ascii_digit()),
        "CZ" => digits(8) || digits(9) || digits(10),
        "DK" | "FI" | "HU" | "LU" | "MT" | "SI" => digits(8),
        "EE" | "EL" | "PT" | "GR" => digits(9),
        "ES" | "FR" | "IE" | "NL" | "CH" | "GB" => alnum(8, 14),
        "HR" | "IT" | "LV" => digits(11),
        "LT" => digits(9) || digits(12),
        "RO" => (2..=10).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit()),
        "SE" => digits(12),
        "SK" => digits(10),
        "NO" => alnum(9, 12),
        _ => false,
    }
}

/// Germany's check digit (ISO 7064 MOD 11,10) over the nine digits.
fn de_check(digits: &str) -> bool {
    let d: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    let mut product = 10;
    for digit in &d[..8] {
        let mut sum = (digit + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (2 * sum) % 11;
    }
    let check = (11 - product) % 10;
    check == d[8]
}

/// Poland's NIP check digit (weights 6 5 7 2 3 4 5 6 7, modulo 11).
fn pl_check(digits: &str) -> bool {
    const WEIGHTS: [u32; 9] = [6, 5, 7, 2, 3, 4, 5, 6, 7];
    let d: Vec<u32> = digits.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = WEIGHTS.iter().zip(&d).map(|(w, x)| w * x).sum();
    sum % 11 != 10 && sum % 11 == d[9]
}

/// Mail providers anyone can get an address at: their domain proves nothing about a company.
const FREE_MAIL: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.de",
    "gmx.net",
    "web.de",
    "t-online.de",
    "freenet.de",
    "mail.de",
    "posteo.de",
    "wp.pl",
    "o2.pl",
    "onet.pl",
    "interia.pl",
    "op.pl",
    "gazeta.pl",
    "poczta.fm",
    "example.com",
];

/// The domain an address proves the company controls, unless anyone can have one there.
#[must_use]
pub fn company_domain(email: &str) -> Option<String> {
    let domain = email.rsplit_once('@')?.1.trim().to_ascii_lowercase();
    (!domain.is_empty() && !FREE_MAIL.contains(&domain.as_str())).then_some(domain)
}

/// The TXT record's name that proves `domain`.
#[must_use]
pub fn challenge_name(domain: &str) -> String {
    format!("_tradepost-challenge.{domain}")
}

/// The TXT record's value that proves a claim with `token`.
#[must_use]
pub fn challenge_value(token: &str) -> String {
    format!("tradepost-verification={token}")
}

/// A domain a company may claim: a host name of at least two labels (letters, digits, inner
/// hyphens; at most 253 characters), lower case, without a trailing dot, and no free-mail
/// provider's (nobody proves `gmail.com` for one company).
///
/// # Errors
/// 422 naming `field`.
pub fn domain_name(field: &str, text: &str) -> Result<String> {
    let domain = text.trim().trim_end_matches('.').to_ascii_lowercase();
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    let labels: Vec<&str> = domain.split('.').collect();
    if domain.len() > 253 || labels.len() < 2 || !labels.iter().all(|l| label_ok(l)) {
        return Err(Error::invalid(
            field,
            "must be a domain name like example.com",
        ));
    }
    if FREE_MAIL.contains(&domain.as_str()) {
        return Err(Error::invalid(
            field,
            "is a free-mail provider's domain, which no company can prove for itself",
        ));
    }
    Ok(domain)
}

/// The TXT records of a DNS-over-HTTPS JSON answer (`application/dns-json`, as Cloudflare's
/// and Google's resolvers give it): each record's character strings joined, quotes removed.
#[must_use]
pub fn txt_records(answer: &serde_json::Value) -> Vec<String> {
    answer["Answer"]
        .as_array()
        .map(|records| {
            records
                .iter()
                .filter(|r| r["type"].as_u64() == Some(16))
                .filter_map(|r| r["data"].as_str())
                .map(|data| {
                    if data.contains('"') {
                        data.split('"').skip(1).step_by(2).collect::<String>()
                    } else {
                        data.to_owned()
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A company name reduced to what tells it apart: lower case, letters folded to ASCII where
/// they have a plain form (ä → a, ł → l), legal forms and punctuation dropped
/// ("Druckerei Müller GmbH & Co. KG" → "druckerei muller").
#[must_use]
pub fn name_key(name: &str) -> String {
    const FORMS: &[&str] = &[
        "gmbh", "mbh", "ag", "kg", "ohg", "gbr", "ug", "co", "e", "k", "ek", "se", "sp", "z", "o",
        "oo", "spolka", "s", "a", "sa", "sc", "ltd", "limited", "inc", "llc", "plc", "bv", "nv",
        "sarl", "sas", "srl", "spa", "und", "and",
    ];
    let folded: String = name
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'ä' | 'á' | 'à' | 'â' | 'ą' => 'a',
            'ö' | 'ó' | 'ò' | 'ô' => 'o',
            'ü' | 'ú' | 'ù' | 'û' => 'u',
            'é' | 'è' | 'ê' | 'ę' => 'e',
            'ł' => 'l',
            'ś' | 'ß' => 's',
            'ć' | 'č' => 'c',
            'ń' => 'n',
            'ź' | 'ż' | 'ž' => 'z',
            c if c.is_alphanumeric() => c,
            _ => ' ',
        })
        .collect();
    folded
        .split_whitespace()
        .filter(|w| !FORMS.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether two names closely resemble each other: the same once reduced ([`name_key`]), or
/// within two letters' edit of each other for names of six letters or more.
#[must_use]
pub fn resembles(a: &str, b: &str) -> bool {
    let (a, b) = (name_key(a), name_key(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    a.chars().count().min(b.chars().count()) >= 6 && edit_distance(&a, &b) <= 2
}

/// Levenshtein distance.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = if ca == *cb {
                previous
            } else {
                1 + previous.min(row[j]).min(current)
            };
            previous = current;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glns_are_checked_with_the_gs1_digit() {
        assert!(gln_valid("7300010000001"));
        assert_eq!(
            domain_name("d", " Druckerei-Muster.DE. ").ok().as_deref(),
            Some("druckerei-muster.de")
        );
        for bad in ["de", "-x.de", "a..de", "a_b.de", "gmail.com", "x.de/", ""] {
            assert!(domain_name("d", bad).is_err(), "{bad}");
        }
        let answer = serde_json::json!({"Status": 0, "Answer": [
            {"name": "_tradepost-challenge.x.de", "type": 16, "data": "\"tradepost-verification=\" \"abc\""},
            {"name": "x.de", "type": 5, "data": "y.de."},
            {"name": "_tradepost-challenge.x.de", "type": 16, "data": "plain"}]});
        assert_eq!(
            txt_records(&answer),
            ["tradepost-verification=abc", "plain"]
        );
        assert!(txt_records(&serde_json::json!({"Status": 3})).is_empty());
        assert!(gln_valid("4000001000005"));
        assert!(!gln_valid("7300010000002"));
        assert!(!gln_valid("730001000000"));
        assert!(!gln_valid("73000100000a1"));
    }

    #[test]
    fn vat_ids_are_checked_by_country_with_german_and_polish_check_digits() {
        assert_eq!(normalise_vat_id("de 136.695-976"), "DE136695976");
        for good in [
            "DE136695976",
            "PL5260250274",
            "ATU13585627",
            "FR40303265045",
            "NL004495445B01",
        ] {
            assert!(vat_format_valid(good), "{good}");
        }
        for bad in [
            "DE136695977",
            "PL5260250275",
            "DE12345",
            "XX123456789",
            "AT13585627",
            "",
            "D",
        ] {
            assert!(!vat_format_valid(bad), "{bad}");
        }
    }

    #[test]
    fn party_ids_name_the_field_that_is_wrong() {
        let bad = |scheme: &str, id: &str| {
            check_party_id(
                "identifiers[2]",
                &PartyId {
                    scheme: scheme.into(),
                    id: id.into(),
                },
            )
            .unwrap_err()
            .problem()
            .field
        };
        assert_eq!(bad("88", "x").as_deref(), Some("identifiers[2].scheme"));
        assert_eq!(
            bad("0088", "7300010000002").as_deref(),
            Some("identifiers[2].id")
        );
        assert_eq!(bad("0192", "").as_deref(), Some("identifiers[2].id"));
        let ok = check_party_id(
            "i",
            &PartyId {
                scheme: " 0088".into(),
                id: "7300010000001".into(),
            },
        );
        assert_eq!(
            ok.map(|p| p.display()).ok().as_deref(),
            Some("0088:7300010000001")
        );
    }

    #[test]
    fn addresses_name_their_field() {
        let places = Places {
            branches: vec![Address {
                label: None,
                street: "Ulica 1".into(),
                postal_code: "00-001".into(),
                city: "Warszawa".into(),
                country: "pl".into(),
            }],
            ..Places::default()
        };
        let err = check_places(&places).unwrap_err();
        assert_eq!(err.problem().field.as_deref(), Some("branches[0].label"));
        let mut places = places;
        places.branches[0].label = Some("Oddział".into());
        places.branches[0].country = "Polska".into();
        let err = check_places(&places).unwrap_err();
        assert_eq!(err.problem().field.as_deref(), Some("branches[0].country"));
        places.branches[0].country = "pl".into();
        assert_eq!(check_places(&places).unwrap().branches[0].country, "PL");
    }

    #[test]
    fn only_a_companys_own_domain_counts() {
        assert_eq!(
            company_domain("ada@Druckerei-Muster.de").as_deref(),
            Some("druckerei-muster.de")
        );
        assert_eq!(company_domain("ada@gmail.com"), None);
        assert_eq!(company_domain("no-at-sign"), None);
    }

    #[test]
    fn lookalike_names_are_caught_and_different_ones_are_not() {
        assert!(resembles("Druckerei Muster GmbH", "Druckerei Muster"));
        assert!(resembles(
            "Druckerei Müller GmbH & Co. KG",
            "Druckerei Muller KG"
        ));
        assert!(resembles("Druckerei Muster GmbH", "Druckerel Muster GmbH"));
        assert!(resembles(
            "Wydawnictwo Przykład Sp. z o.o.",
            "Wydawnictwo Przyklad S.A."
        ));
        assert!(!resembles(
            "Druckerei Muster GmbH",
            "Papierhandel Nord GmbH"
        ));
        assert!(
            !resembles("ABC GmbH", "ABD GmbH"),
            "short names need to be equal"
        );
        assert!(!resembles("GmbH", "GmbH"), "nothing left to compare");
    }
}
